import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeResources } from '../../runtime/resources.js';
import { parseBytes, updateResources } from './update-flags.js';

describe('update flags', () => {
  it('reads sizes as runc does', () => {
    assert.equal(parseBytes('memory', '512m'), 512 * 1024 * 1024);
    assert.equal(parseBytes('memory', '1g'), 1024 ** 3);
    assert.equal(parseBytes('memory', '4096'), 4096);
    assert.equal(parseBytes('memory', '-1'), -1);
    assert.throws(() => parseBytes('memory', 'lots'), /--memory: "lots" is not a size/);
  });

  it('turns flags into resources, and refuses an empty update', () => {
    assert.deepEqual(updateResources({ memory: '64m', cpuQuota: '20000', cpuPeriod: '100000', pidsLimit: '10' }), {
      memory: { limit: 64 * 1024 * 1024 },
      cpu: { period: 100000, quota: 20000 },
      pids: { limit: 10 },
    });
    assert.throws(() => updateResources({}), /no resource given/);
  });

  it('merges an update into the resources a container has', () => {
    assert.deepEqual(mergeResources({ memory: { limit: 1, swap: 2 }, pids: { limit: 5 } }, { memory: { limit: 3 } }), { memory: { limit: 3, swap: 2 }, pids: { limit: 5 } });
  });
});
