import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilityMask, capabilityNumber } from './capabilities.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, dockerDefaultCapabilities } from './defaults.js';

describe('Docker defaults', () => {
  it('are the 14 capabilities docker shows as CapEff 00000000a80425fb', () => {
    assert.equal(DOCKER_DEFAULT_CAPABILITIES.length, 14);
    for (const name of DOCKER_DEFAULT_CAPABILITIES) assert.notEqual(capabilityNumber(name), undefined, name);
    assert.equal(capabilityMask(DOCKER_DEFAULT_CAPABILITIES).toString(16).padStart(16, '0'), '00000000a80425fb');
  });

  it('grant bounding, effective and permitted, never inheritable or ambient', () => {
    const caps = dockerDefaultCapabilities();
    assert.deepEqual(Object.keys(caps).sort(), ['bounding', 'effective', 'permitted']);
    caps.bounding!.push('CAP_SYS_ADMIN');
    assert.equal(dockerDefaultCapabilities().bounding!.length, 14, 'a caller changed the shared list');
  });

  it('mask and protect absolute paths, each once', () => {
    for (const list of [DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS]) {
      assert.equal(new Set(list).size, list.length);
      for (const p of list) assert.match(p, /^\/(proc|sys)\//);
    }
    assert.ok(DOCKER_READONLY_PATHS.includes('/proc/sys'));
    assert.ok(DOCKER_MASKED_PATHS.includes('/proc/kcore'));
  });
});
