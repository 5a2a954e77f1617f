import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { blkioToIoWeight, ioV2 } from './io.js';

after(removeFixtures);

describe('v2 io', () => {
  it('converts the spec weight to io.weight as runc and crun do', () => {
    assert.equal(blkioToIoWeight(10), 1);
    assert.equal(blkioToIoWeight(1000), 10000);
    assert.equal(blkioToIoWeight(500), 4950);
    assert.equal(blkioToIoWeight(100), 910);
  });

  it('writes weights to io.bfq.weight unconverted when BFQ is there', () => {
    const dir = cgroupFixture({ 'io.bfq.weight': 'default 100\n', 'io.weight': 'default 100\n', 'io.max': '' });
    ioV2.apply(dir, { blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['io.bfq.weight', '300'],
      ['io.bfq.weight', '8:0 200'],
    ]);
  });

  it('falls back to io.weight, converted, without BFQ or without its per-device weights', () => {
    const dir = cgroupFixture({ 'io.weight': 'default 100\n', 'io.max': '' });
    ioV2.apply(dir, { blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 16, weight: 1000 }] } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['io.weight', 'default 4950'],
      ['io.weight', '8:16 10000'],
    ]);
    // a pre-5.4 BFQ prints one number: no per-device weights there
    const old = cgroupFixture({ 'io.bfq.weight': '100\n', 'io.weight': 'default 100\n' });
    ioV2.apply(old, { blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 10 }] } }, { update: false });
    assert.deepEqual(old.writes, [
      ['io.bfq.weight', '500'],
      ['io.weight', '8:0 1'],
    ]);
  });

  it('writes one io.max line per device with all its limits, 0 as max', () => {
    const dir = cgroupFixture({ 'io.max': '' });
    ioV2.apply(
      dir,
      {
        blockIO: {
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
          throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }, { major: 259, minor: 0, rate: 4096 }],
          throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
          throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }],
        },
      },
      { update: false },
    );
    assert.deepEqual(dir.writes, [
      ['io.max', '8:0 rbps=1048576 wbps=max riops=100 wiops=50'],
      ['io.max', '259:0 wbps=4096'],
    ]);
  });

  it('refuses leaf weights, out-of-range weights and missing weight files', () => {
    const dir = cgroupFixture({ 'io.max': '' });
    const leaf = engineErrorOf(() => ioV2.apply(dir, { blockIO: { weight: 100, leafWeight: 100 } }, { update: false }));
    assert.equal(leaf.code, 'BAD_RESOURCE');
    assert.match(leaf.message, /^linux\.resources\.blockIO\.leafWeight: cgroup v2 has no leaf weights/);
    assert.match(engineErrorOf(() => ioV2.apply(dir, { blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 100 }] } }, { update: false })).message, /blockIO\.weightDevice\[0\]\.leafWeight: cgroup v2 has no leaf weights/);
    assert.match(engineErrorOf(() => ioV2.apply(dir, { blockIO: { weight: 5 } }, { update: false })).message, /^linux\.resources\.blockIO\.weight: 5 is out of range \[10, 1000\]/);
    const none = engineErrorOf(() => ioV2.apply(dir, { blockIO: { weight: 100 } }, { update: false }));
    assert.equal(none.code, 'CGROUP_UNSUPPORTED');
    assert.match(none.message, /^linux\.resources\.blockIO\.weight: this host has no io\.weight in .*: proportional weights need the BFQ I\/O scheduler or the iocost controller/);
    assert.match(engineErrorOf(() => ioV2.apply(dir, { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } }, { update: false })).message, /throttleReadBpsDevice\[0\]\.rate: -1 is out of range/);
    assert.deepEqual(dir.writes, []);
  });

  it('reads io.stat into v1-style Read/Write tables', () => {
    const dir = cgroupFixture({ 'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=10 wbytes=0 rios=3 wios=0 dbytes=0 dios=0\n' });
    const s = emptyStats();
    ioV2.stats(dir, s);
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 259, minor: 0, op: 'Read', value: 10 },
      { major: 259, minor: 0, op: 'Write', value: 0 },
    ]);
    assert.deepEqual(s.blkio.ioServicedRecursive, [
      { major: 8, minor: 0, op: 'Read', value: 1 },
      { major: 8, minor: 0, op: 'Write', value: 2 },
      { major: 259, minor: 0, op: 'Read', value: 3 },
      { major: 259, minor: 0, op: 'Write', value: 0 },
    ]);
    const empty = emptyStats();
    ioV2.stats(cgroupFixture({}), empty);
    assert.deepEqual(empty.blkio, { ioServiceBytesRecursive: [], ioServicedRecursive: [] });
  });
});
