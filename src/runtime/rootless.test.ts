import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Spec } from '../spec/oci-runtime.js';
import { checkRootlessWithoutCgroups, defaultStateRoot, resourceLimitsSet } from './rootless.js';

describe('rootless', () => {
  it('keeps state where runc would: /run for root, XDG_RUNTIME_DIR or /tmp/<name>-<uid> for others', () => {
    assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 0), '/run/berth-runtime');
    assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/berth-runtime');
    assert.equal(defaultStateRoot({}, 1000), '/tmp/berth-runtime-1000');
    assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: 'relative' }, 1000), '/tmp/berth-runtime-1000');
  });

  it('without a cgroup: device rules and empty resources pass, limits and a cgroupsPath are refused', () => {
    const s = (linux: Record<string, unknown>): Spec => ({ ociVersion: '1.2.0', linux } as Spec);
    assert.deepEqual(resourceLimitsSet(s({ resources: { devices: [{ allow: false, access: 'rwm' }] } })), []);
    checkRootlessWithoutCgroups(s({ resources: { devices: [{ allow: false }], memory: {} } }));
    assert.throws(() => checkRootlessWithoutCgroups(s({ resources: { memory: { limit: 1 }, pids: { limit: 5 } } })), /linux.resources \(memory, pids\): cannot set limits: running rootless/);
    assert.throws(() => checkRootlessWithoutCgroups(s({ cgroupsPath: '/mine' })), /linux.cgroupsPath/);
  });
});
