import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cgroupFixture, engineErrorOf, removeFixtures, type FixtureDir } from '../cgroup-fixture.js';
import { emptyStats } from '../stats.js';
import { blkioV1 } from './blkio.js';

after(removeFixtures);

const THROTTLE_FILES = {
  'blkio.throttle.read_bps_device': '',
  'blkio.throttle.write_bps_device': '',
  'blkio.throttle.read_iops_device': '',
  'blkio.throttle.write_iops_device': '',
};

/** A current kernel with BFQ: no CFQ files. */
function bfqDir(extra: Record<string, string> = {}): FixtureDir {
  return cgroupFixture({ 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '', ...THROTTLE_FILES, ...extra });
}

/** A pre-5.0 kernel with CFQ. */
function cfqDir(): FixtureDir {
  return cgroupFixture({ 'blkio.weight': '500', 'blkio.weight_device': '', 'blkio.leaf_weight': '500', 'blkio.leaf_weight_device': '', ...THROTTLE_FILES });
}

describe('v1 blkio', () => {
  it('writes weights to BFQ files when the kernel has only those', () => {
    const dir = bfqDir();
    blkioV1.apply(dir, { blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['blkio.bfq.weight', '300'],
      ['blkio.bfq.weight_device', '8:0 200'],
    ]);
  });

  it('writes weights and leaf weights to CFQ files where they exist', () => {
    const dir = cfqDir();
    blkioV1.apply(dir, { blockIO: { weight: 300, leafWeight: 400, weightDevice: [{ major: 8, minor: 16, weight: 200, leafWeight: 100 }] } }, { update: false });
    assert.deepEqual(dir.writes, [
      ['blkio.weight', '300'],
      ['blkio.leaf_weight', '400'],
      ['blkio.weight_device', '8:16 200'],
      ['blkio.leaf_weight_device', '8:16 100'],
    ]);
  });

  it('writes one throttle rule per line to its file', () => {
    const dir = bfqDir();
    const t = (major: number, minor: number, rate: number): { major: number; minor: number; rate: number } => ({ major, minor, rate });
    blkioV1.apply(
      dir,
      {
        blockIO: {
          throttleReadBpsDevice: [t(8, 0, 1048576), t(8, 16, 0)],
          throttleWriteBpsDevice: [t(8, 0, 2097152)],
          throttleReadIOPSDevice: [t(8, 0, 100)],
          throttleWriteIOPSDevice: [t(259, 0, 50)],
        },
      },
      { update: false },
    );
    assert.deepEqual(dir.writes, [
      ['blkio.throttle.read_bps_device', '8:0 1048576'],
      ['blkio.throttle.read_bps_device', '8:16 0'],
      ['blkio.throttle.write_bps_device', '8:0 2097152'],
      ['blkio.throttle.read_iops_device', '8:0 100'],
      ['blkio.throttle.write_iops_device', '259:0 50'],
    ]);
  });

  it('is needed only for what it writes', () => {
    assert.equal(blkioV1.needed({ blockIO: {} }), false);
    assert.equal(blkioV1.needed({ blockIO: { weight: 0, weightDevice: [{ major: 8, minor: 0 }], throttleReadBpsDevice: [] } }), false);
    assert.equal(blkioV1.needed({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }), true);
    assert.equal(blkioV1.needed({ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 10 }] } }), true);
  });

  it('refuses weights out of range and bad device numbers before writing', () => {
    const dir = cfqDir();
    const cases: [object, RegExp][] = [
      [{ weight: 5 }, /^linux\.resources\.blockIO\.weight: 5 is out of range \[10, 1000\] \(CFQ weights\)/],
      [{ weight: 1001 }, /blockIO\.weight: 1001 is out of range/],
      [{ weight: 100, weightDevice: [{ major: 8, minor: 0, weight: 2000 }] }, /^linux\.resources\.blockIO\.weightDevice\[0\]\.weight: 2000 is out of range/],
      [{ throttleReadBpsDevice: [{ major: -1, minor: 0, rate: 1 }] }, /^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\]\.major: -1 is out of range/],
      [{ throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: -5 }] }, /^linux\.resources\.blockIO\.throttleWriteIOPSDevice\[0\]\.rate: -5 is out of range \[0, \d+\] \(0 removes the limit\)/],
    ];
    for (const [blockIO, re] of cases) assert.match(engineErrorOf(() => blkioV1.apply(dir, { blockIO }, { update: false })).message, re);
    assert.deepEqual(dir.writes, []);
    // BFQ goes down to 1
    const bfq = bfqDir();
    blkioV1.apply(bfq, { blockIO: { weight: 1 } }, { update: false });
    assert.deepEqual(bfq.writes, [['blkio.bfq.weight', '1']]);
  });

  it('says leaf weights went with CFQ', () => {
    const err = engineErrorOf(() => blkioV1.apply(bfqDir(), { blockIO: { leafWeight: 500 } }, { update: false }));
    assert.equal(err.code, 'CGROUP_UNSUPPORTED');
    assert.match(err.message, /^linux\.resources\.blockIO\.leafWeight: this host has no blkio\.leaf_weight in .*: leaf weights were a feature of the CFQ I\/O scheduler/);
  });

  it('reads the throttle counters, dropping the closing total', () => {
    const dir = bfqDir({
      'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
      'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
      'blkio.bfq.io_service_bytes_recursive': '8:0 Read 1\nTotal 1\n',
    });
    const s = emptyStats();
    blkioV1.stats(dir, s);
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 8, minor: 0, op: 'Sync', value: 0 },
      { major: 8, minor: 0, op: 'Async', value: 12288 },
      { major: 8, minor: 0, op: 'Discard', value: 0 },
      { major: 8, minor: 0, op: 'Total', value: 12288 },
    ]);
    assert.deepEqual(s.blkio.ioServicedRecursive, [
      { major: 8, minor: 0, op: 'Read', value: 1 },
      { major: 8, minor: 0, op: 'Write', value: 2 },
    ]);
  });

  it('falls back to BFQ counters, and to nothing', () => {
    const s = emptyStats();
    blkioV1.stats(cgroupFixture({ 'blkio.bfq.io_serviced_recursive': '8:0 Read 5\nTotal 5\n' }), s);
    assert.deepEqual(s.blkio.ioServicedRecursive, [{ major: 8, minor: 0, op: 'Read', value: 5 }]);
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, []);
    // an idle cgroup: the kernel prints only "Total 0"
    blkioV1.stats(cgroupFixture({ 'blkio.throttle.io_serviced_recursive': 'Total 0\n' }), s);
    assert.deepEqual(s.blkio.ioServicedRecursive, []);
  });
});
