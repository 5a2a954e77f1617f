import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonReader } from './json-reader.js';
import { parseResources } from './parse-resources.js';

const parse = (v: unknown) => parseResources(new JsonReader(v, 'linux.resources'));

describe('parseResources', () => {
  it('keeps what is set, with -1 for unlimited', () => {
    const r = parse({ memory: { limit: 1 << 28, swap: -1 }, cpu: { quota: 20000, period: 100000, cpus: '0' }, pids: { limit: 64 } });
    assert.deepEqual(r, { memory: { limit: 1 << 28, swap: -1 }, cpu: { quota: 20000, period: 100000, cpus: '0' }, pids: { limit: 64 } });
  });

  it('names the field of a bad value', () => {
    assert.throws(() => parse({ memory: { swappiness: 101 } }), /linux\.resources\.memory\.swappiness: 101 is out of range \[0, 100\]/);
    assert.throws(() => parse({ cpu: { cpus: '0-' } }), /linux\.resources\.cpu\.cpus: "0-" is not a list such as "0-2,4"/);
    assert.throws(() => parse({ memory: { limit: 100, swap: 50 } }), /linux\.resources\.memory\.swap: 50 is below memory\.limit 100/);
    assert.throws(() => parse({ devices: [{ allow: true, access: 'rwx' }] }), /linux\.resources\.devices\[0\]\.access: "rwx" may only hold r, w and m/);
    assert.throws(() => parse({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), /pageSize: "2M" is not a page size/);
  });
});
