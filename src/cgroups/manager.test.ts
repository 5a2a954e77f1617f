import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { fixtureTree, removeFixtures } from './cgroup-fixture.js';
import type { CgroupLayout } from './layout.js';
import { CgroupManager } from './manager.js';

/**
 * A hybrid host in a temp dir: memory and freezer as v1 hierarchies, and a
 * v2 tree offering only hugetlb, as on the development machine. The
 * container's directories hold the files the kernel would make in them.
 */
function hybridHost(): { root: string; layout: CgroupLayout } {
  const root = fixtureTree({
    'memory/berth/c1/cgroup.procs': '',
    'memory/berth/c1/memory.limit_in_bytes': '9223372036854771712\n',
    'memory/berth/c1/memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory/berth/c1/memory.usage_in_bytes': '4096\n',
    'freezer/berth/c1/cgroup.procs': '',
    'freezer/berth/c1/freezer.state': 'THAWED\n',
    'unified/cgroup.subtree_control': '',
    'unified/berth/cgroup.subtree_control': '',
    'unified/berth/c1/cgroup.procs': '',
    'unified/berth/c1/cgroup.kill': '',
    'unified/berth/c1/hugetlb.2MB.max': 'max\n',
  });
  const layout: CgroupLayout = {
    kind: 'hybrid',
    v1: [
      { mountPoint: join(root, 'memory'), subsystems: ['memory'], key: 'memory' },
      { mountPoint: join(root, 'freezer'), subsystems: ['freezer'], key: 'freezer' },
    ],
    unified: { mountPoint: join(root, 'unified'), controllers: ['hugetlb'] },
  };
  return { root, layout };
}

const own = new Map([['memory', '/'], ['freezer', '/'], ['', '/']]);

describe('CgroupManager on a hybrid fixture', () => {
  after(removeFixtures);

  it('puts the container at /berth/<id> in every hierarchy and joins them all', async () => {
    const { root, layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    assert.deepEqual(m.record.dirs, {
      memory: join(root, 'memory/berth/c1'),
      freezer: join(root, 'freezer/berth/c1'),
      unified: join(root, 'unified/berth/c1'),
    });
    m.join(4242);
    for (const dir of Object.values(m.record.dirs)) assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8'), '4242');
  });

  it('makes the directories that are missing and records exactly those', async () => {
    const { root, layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c2', '/docker/c2', own);
    assert.ok(existsSync(join(root, 'memory/docker/c2')));
    assert.deepEqual(m.record.created.filter((d) => d.includes('/memory/')), [join(root, 'memory/docker'), join(root, 'memory/docker/c2')]);
    assert.deepEqual(m.record.shared, [], 'a cgroupsPath of its own shares no berth parent');
  });

  it('applies each controller where the host has it: memory in v1, hugetlb in v2 (enabled down the tree)', async () => {
    const { root, layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    m.apply({ memory: { limit: 64 << 20 }, hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }, { update: false });
    assert.equal(readFileSync(join(root, 'memory/berth/c1/memory.limit_in_bytes'), 'utf8'), String(64 << 20));
    assert.equal(readFileSync(join(root, 'unified/berth/c1/hugetlb.2MB.max'), 'utf8'), String(1 << 21));
    assert.equal(readFileSync(join(root, 'unified/cgroup.subtree_control'), 'utf8'), '+hugetlb');
    assert.equal(readFileSync(join(root, 'unified/berth/cgroup.subtree_control'), 'utf8'), '+hugetlb');
  });

  it('refuses a setting whose controller the host lacks, instead of dropping it', async () => {
    const { layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    assert.throws(
      () => m.apply({ pids: { limit: 10 } }, { update: false }),
      (err: unknown) => err instanceof EngineError && err.code === 'NO_CGROUP_CONTROLLER' && /the pids controller is not available/.test(err.message),
    );
  });

  it('freezes through the v1 freezer and kills through cgroup.kill', async () => {
    const { root, layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    await m.freeze();
    assert.equal(readFileSync(join(root, 'freezer/berth/c1/freezer.state'), 'utf8'), 'FROZEN');
    assert.equal(m.isFrozen(), true);
    await m.thaw();
    assert.equal(m.isFrozen(), false);
    await m.signalAll('SIGKILL');
    assert.equal(readFileSync(join(root, 'unified/berth/c1/cgroup.kill'), 'utf8'), '1');
  });

  it('lists the processes from the v2 tree, which holds them all', async () => {
    const { layout } = hybridHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    m.join(7);
    assert.deepEqual(m.pids(), [7]);
  });
});

/** A cgroup v2 host in a temp dir: one unified tree with the usual controllers. */
function unifiedHost(): { root: string; layout: CgroupLayout } {
  const files: Record<string, string> = {
    'cgroup.subtree_control': '',
    'berth/cgroup.subtree_control': '',
    'berth/c1/cgroup.procs': '',
    'berth/c1/cgroup.freeze': '0\n',
    'berth/c1/cgroup.events': 'populated 1\nfrozen 0\n',
    'berth/c1/cgroup.kill': '',
    'berth/c1/memory.max': 'max\n',
    'berth/c1/memory.swap.max': 'max\n',
    'berth/c1/memory.current': '8192\n',
    'berth/c1/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n',
    'berth/c1/pids.max': 'max\n',
    'berth/c1/pids.current': '3\n',
    'berth/c1/cpu.max': 'max 100000\n',
    'berth/c1/cpu.weight': '100\n',
  };
  const root = fixtureTree(files);
  return { root, layout: { kind: 'v2', v1: [], unified: { mountPoint: root, controllers: ['cpu', 'memory', 'pids'] } } };
}

describe('CgroupManager on a cgroup v2 fixture', () => {
  after(removeFixtures);

  it('applies v2 files, enabling each controller from the root down', async () => {
    const { root, layout } = unifiedHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    m.apply({ memory: { limit: 32 << 20, swap: 64 << 20 }, pids: { limit: 50 }, cpu: { quota: 20000, period: 100000, shares: 1024 } }, { update: false });
    const read = (f: string) => readFileSync(join(root, 'berth/c1', f), 'utf8');
    assert.equal(read('memory.max'), String(32 << 20));
    assert.equal(read('memory.swap.max'), String(32 << 20), 'swap.max is swap minus the limit');
    assert.equal(read('pids.max'), '50');
    assert.equal(read('cpu.max'), '20000 100000');
    assert.equal(read('cpu.weight'), String(1 + Math.floor(((1024 - 2) * 9999) / 262142)));
    // the kernel adds each "+controller" to the set; a plain file keeps the last write
    assert.match(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), /^\+(cpu|memory|pids)$/);
    assert.match(readFileSync(join(root, 'berth/cgroup.subtree_control'), 'utf8'), /^\+(cpu|memory|pids)$/);
  });

  it('freezes through cgroup.freeze, counts OOM kills from memory.events, lists pids from cgroup.procs', async () => {
    const { root, layout } = unifiedHost();
    const m = await CgroupManager.create(layout, 'c1', undefined, own);
    const events = join(root, 'berth/c1/cgroup.events');
    // the fixture's "kernel": cgroup.events follows cgroup.freeze
    const freezing = m.freeze();
    writeFileSync(events, 'populated 1\nfrozen 1\n');
    await freezing;
    assert.equal(readFileSync(join(root, 'berth/c1/cgroup.freeze'), 'utf8'), '1');
    assert.equal(m.isFrozen(), true);
    assert.equal(m.oomKills(), 2);
    m.join(99);
    assert.deepEqual(m.pids(), [99]);
  });
});
