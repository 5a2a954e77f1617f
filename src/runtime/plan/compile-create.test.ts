import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Spec } from '../../spec/oci-runtime.js';
import type { CgroupHierarchy, HostFacts } from '../../sys/host-facts.js';
import { MS } from '../config/mount-options.js';
import { parseSpec } from '../config/parse-spec.js';
import { compileCreate, type CreateOptions } from './compile-create.js';
import { CLONE_NEW } from './namespaces.js';
import type { LaunchPlan, OpName } from './plan.js';

class FakeHost implements HostFacts {
  constructor(
    private readonly hierarchies: CgroupHierarchy[] = [],
    private readonly paths: Record<string, 'dir' | 'other'> = {},
    private readonly ramfs = false,
  ) {}
  cgroupHierarchies(): CgroupHierarchy[] {
    return this.hierarchies;
  }
  rootIsRamfs(): boolean {
    return this.ramfs;
  }
  pathKind(path: string): 'dir' | 'other' | 'missing' {
    return this.paths[path] ?? 'missing';
  }
}

const opts: CreateOptions = { bundle: '/b', rootfs: '/b/rootfs', execFifo: '/run/x/exec.fifo', noPivot: false, preserveFds: 0, wait: false, cgroups: false };

function spec(extra: Record<string, unknown> = {}, linux: Record<string, unknown> = {}): Spec {
  return parseSpec({
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/n' }], ...linux },
    ...extra,
  });
}

const names = (plan: LaunchPlan): OpName[] => plan.ops.map((o) => o.op);
const argsOf = (plan: LaunchPlan, op: OpName) => plan.ops.filter((o) => o.op === op).map((o) => o.args);

describe('compileCreate', () => {
  it('clones new namespaces and joins the ones with a path', () => {
    const plan = compileCreate(spec(), opts, new FakeHost());
    assert.deepEqual(argsOf(plan, 'JOIN_NS'), [[CLONE_NEW.network, '/run/netns/n']]);
    assert.deepEqual(argsOf(plan, 'CLONE'), [[CLONE_NEW.pid | CLONE_NEW.mount]]);
  });

  it('lets the child join its cgroups itself, opened before any namespace is joined, with no wait for node', () => {
    const join = { v1Tasks: ['/sys/fs/cgroup/memory/berth/c/tasks', '/sys/fs/cgroup/pids/berth/c/tasks'], v2Dir: '/sys/fs/cgroup/unified/berth/c' };
    const cgroupns = spec({}, { namespaces: [{ type: 'mount' }, { type: 'cgroup' }, { type: 'network', path: '/run/netns/n' }] });
    const plan = compileCreate(cgroupns, { ...opts, cgroups: true, cgroupSelfJoin: join }, new FakeHost());
    assert.deepEqual(argsOf(plan, 'CGROUP_JOIN'), [[0, join.v1Tasks[0]], [0, join.v1Tasks[1]], [1, join.v2Dir]]);
    assert.ok(names(plan).lastIndexOf('CGROUP_JOIN') < names(plan).indexOf('JOIN_NS'));
    assert.ok(!argsOf(plan, 'SYNC').some(([id]) => id === 1), 'no PARENT_SETUP sync: nothing for node to do there');
    assert.ok(names(plan).indexOf('UNSHARE') > names(plan).indexOf('CLONE'));
    // node joins by pid otherwise, and the child waits for it before its cgroup namespace
    const byNode = compileCreate(cgroupns, { ...opts, cgroups: true }, new FakeHost());
    assert.ok(!byNode.has('CGROUP_JOIN'));
    assert.ok(argsOf(byNode, 'SYNC').some(([id]) => id === 1));
  });

  it('brings up lo in a new network namespace only', () => {
    assert.ok(!compileCreate(spec(), opts, new FakeHost()).has('LOOPBACK_UP'));
    const own = compileCreate(spec({}, { namespaces: [{ type: 'mount' }, { type: 'network' }] }), opts, new FakeHost());
    assert.ok(names(own).indexOf('LOOPBACK_UP') > names(own).indexOf('CLONE'));
    assert.ok(names(own).indexOf('LOOPBACK_UP') < names(own).indexOf('PREPARE_ROOT'));
  });

  it('orders the setup: root, mounts, pivot, process, ready, wait, exec', () => {
    const plan = compileCreate(spec({ mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }] }), opts, new FakeHost());
    const order = names(plan).filter((n) => ['PREPARE_ROOT', 'MOUNT', 'PIVOT_ROOT', 'SET_USER', 'CWD', 'RESOLVE_EXEC', 'READY', 'WAIT_START', 'EXEC'].includes(n));
    assert.deepEqual(order, ['PREPARE_ROOT', 'MOUNT', 'PIVOT_ROOT', 'SET_USER', 'CWD', 'RESOLVE_EXEC', 'READY', 'WAIT_START', 'EXEC']);
  });

  it('writes the maps before the child waits for them', () => {
    const plan = compileCreate(
      spec({}, { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] }),
      opts,
      new FakeHost(),
    );
    assert.deepEqual(argsOf(plan, 'UID_MAP'), [['0 100000 65536\n']]);
    assert.ok(names(plan).indexOf('UID_MAP') < names(plan).indexOf('WAIT_MAPS'));
  });

  it('rootless: writes its own id itself (setgroups denied first), ranges through newuidmap/newgidmap', () => {
    const own = { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
    const caller = { uid: 1000, gid: 1000, newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' };
    const single = compileCreate(spec({}, own), { ...opts, caller }, new FakeHost());
    assert.deepEqual(
      names(single).filter((n) => /MAP|SETGROUPS/.test(n)),
      ['UID_MAP', 'SETGROUPS', 'GID_MAP', 'WAIT_MAPS'],
    );
    assert.deepEqual(argsOf(single, 'SETGROUPS'), [['deny']]);
    const ranges = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 200000, size: 65536 }];
    const multi = compileCreate(spec({}, { ...own, uidMappings: ranges, gidMappings: ranges }), { ...opts, caller }, new FakeHost());
    assert.deepEqual(argsOf(multi, 'UID_MAP_HELPER'), [['/usr/bin/newuidmap', '0 1000 1\n1 200000 65536\n']]);
    assert.deepEqual(argsOf(multi, 'GID_MAP_HELPER'), [['/usr/bin/newgidmap', '0 1000 1\n1 200000 65536\n']]);
    assert.equal(argsOf(multi, 'SETGROUPS').length, 0);
    assert.ok(names(multi).indexOf('GID_MAP_HELPER') < names(multi).indexOf('WAIT_MAPS'));
    assert.throws(() => compileCreate(spec({}, { ...own, uidMappings: ranges }), { ...opts, caller: { uid: 1000, gid: 1000 } }, new FakeHost()), /newuidmap was not found/);
    // root writes every map itself, with no setgroups
    const root = compileCreate(spec({}, { ...own, uidMappings: ranges }), { ...opts, caller: { uid: 0, gid: 0 } }, new FakeHost());
    assert.deepEqual(names(root).filter((n) => /MAP|SETGROUPS/.test(n)), ['UID_MAP', 'GID_MAP', 'WAIT_MAPS']);
  });

  it('binds devices instead of mknod in a user namespace', () => {
    const userSpec = spec({}, { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
    const plan = compileCreate(userSpec, opts, new FakeHost());
    assert.equal(argsOf(plan, 'MKNOD').length, 0);
    assert.ok(argsOf(plan, 'MOUNT').some((a) => a[0] === '/dev/null' && a[1] === '/dev/null'));
    const plain = compileCreate(spec(), opts, new FakeHost());
    assert.equal(argsOf(plain, 'MKNOD').length, 6);
  });

  it('makes bind mounts read-only by a remount, and keeps propagation separate', () => {
    const s = spec({ mounts: [{ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'rprivate'] }] });
    const plan = compileCreate(s, opts, new FakeHost([], { '/b/data': 'dir' }));
    const [mount] = argsOf(plan, 'MOUNT');
    assert.deepEqual(mount, ['/b/data', '/data', '', MS.BIND | MS.REC, '', 0, MS.RDONLY, 0, 0]);
    assert.deepEqual(argsOf(plan, 'MOUNT_PROPAGATION'), [['/data', MS.PRIVATE | MS.REC]]);
  });

  it('refuses a bind mount whose source is missing', () => {
    const s = spec({ mounts: [{ destination: '/data', type: 'bind', source: '/nope', options: ['rbind'] }] });
    assert.throws(() => compileCreate(s, opts, new FakeHost()), /mounts\[0\]\.source: bind source "\/nope" does not exist/);
  });

  it('mounts each cgroup v1 hierarchy under a tmpfs', () => {
    const host = new FakeHost([
      { name: 'memory', fstype: 'cgroup', data: 'memory' },
      { name: 'systemd', fstype: 'cgroup', data: 'name=systemd' },
    ]);
    const s = spec({ mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid'] }] });
    const plan = compileCreate(s, opts, host);
    const mounts = argsOf(plan, 'MOUNT').map((a) => [a[1], a[2], a[4]]);
    assert.deepEqual(mounts, [
      ['/sys/fs/cgroup', 'tmpfs', 'mode=755'],
      ['/sys/fs/cgroup/memory', 'cgroup', 'memory'],
      ['/sys/fs/cgroup/systemd', 'cgroup', 'name=systemd'],
    ]);
    assert.deepEqual(argsOf(plan, 'READONLY_PATH'), [['/sys/fs/cgroup']]);
  });

  it('binds the container\'s own cgroups there when it has no cgroup namespace, as runc does', () => {
    const s = spec({ mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] }] });
    const cgroupDirs = { memory: '/sys/fs/cgroup/memory/berth/c1', unified: '/sys/fs/cgroup/unified/berth/c1' };
    const plan = compileCreate(s, { ...opts, cgroupDirs }, new FakeHost([{ name: 'memory', fstype: 'cgroup', data: 'memory' }]));
    assert.deepEqual(
      argsOf(plan, 'MOUNT').map((a) => [a[0], a[1], a[3]]),
      [
        ['tmpfs', '/sys/fs/cgroup', MS.NOSUID | MS.NODEV | MS.NOEXEC],
        ['/sys/fs/cgroup/memory/berth/c1', '/sys/fs/cgroup/memory', MS.BIND],
        ['/sys/fs/cgroup/unified/berth/c1', '/sys/fs/cgroup/unified', MS.BIND],
      ],
    );
    assert.ok(argsOf(plan, 'MOUNT').slice(1).every((a) => (Number(a[6]) & MS.RDONLY) !== 0), 'binds are not read-only');
    const withNs = spec({ mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] }] }, { namespaces: [{ type: 'mount' }, { type: 'cgroup' }] });
    const fresh = compileCreate(withNs, { ...opts, cgroupDirs }, new FakeHost([{ name: 'memory', fstype: 'cgroup', data: 'memory' }]));
    assert.equal(argsOf(fresh, 'MOUNT')[1]?.[2], 'cgroup', 'in a cgroup namespace a fresh mount is right');
  });

  it('chroots where pivot_root cannot work', () => {
    assert.ok(names(compileCreate(spec(), { ...opts, noPivot: true }, new FakeHost())).includes('CHROOT'));
    assert.ok(names(compileCreate(spec(), opts, new FakeHost([], {}, true))).includes('CHROOT'));
    assert.ok(names(compileCreate(spec(), opts, new FakeHost())).includes('PIVOT_ROOT'));
  });

  it('requires a mount namespace', () => {
    assert.throws(() => compileCreate(spec({}, { namespaces: [{ type: 'pid' }] }), opts, new FakeHost()), /linux\.namespaces: a mount namespace is required/);
  });

  it('sends a terminal to the console socket, or relays it in the foreground', () => {
    const s = spec({ process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'], terminal: true } });
    assert.throws(() => compileCreate(s, opts, new FakeHost()), /process\.terminal: is true, and a terminal needs --console-socket/);
    const viaSocket = compileCreate(s, { ...opts, consoleSocket: '/tmp/s' }, new FakeHost());
    assert.deepEqual(argsOf(viaSocket, 'CONSOLE_SOCKET'), [['/tmp/s']]);
    assert.ok(names(viaSocket).includes('SETUP_TTY'));
    const relayed = compileCreate(s, { ...opts, wait: true }, new FakeHost());
    assert.ok(names(relayed).includes('CONSOLE_RELAY'));
    assert.ok(names(relayed).indexOf('CONSOLE_RELAY') < names(relayed).indexOf('CLONE'));
  });

  it('stops for hooks before the pivot only when there are hooks', () => {
    assert.ok(!names(compileCreate(spec(), opts, new FakeHost())).includes('SYNC'));
    const plan = compileCreate(spec({ hooks: { prestart: [{ path: '/bin/true' }] } }), opts, new FakeHost());
    assert.ok(names(plan).indexOf('SYNC') < names(plan).indexOf('PIVOT_ROOT'));
  });

  describe('seccomp', () => {
    const filter = (action: string, extra: Record<string, unknown> = {}) => ({ seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action }], ...extra } });
    const nnp = (noNewPrivileges: boolean) => ({ process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'], noNewPrivileges } });

    it('puts a filter before the user switch without no_new_privs, and just before EXEC with it', () => {
      const early = names(compileCreate(spec(nnp(false), filter('SCMP_ACT_ERRNO')), opts, new FakeHost()));
      assert.ok(early.indexOf('SECCOMP') < early.indexOf('SET_USER'));
      const late = names(compileCreate(spec(nnp(true), filter('SCMP_ACT_ERRNO')), opts, new FakeHost()));
      assert.equal(late.indexOf('SECCOMP'), late.indexOf('EXEC') - 1);
      assert.ok(!late.includes('SECCOMP_AGENT'));
    });

    it('connects to the agent before the clone and installs a listening filter before READY, even with no_new_privs', () => {
      const plan = compileCreate(spec(nnp(true), filter('SCMP_ACT_NOTIFY', { listenerPath: '/run/agent.sock' })), opts, new FakeHost());
      const order = names(plan);
      assert.deepEqual(argsOf(plan, 'SECCOMP_AGENT'), [['/run/agent.sock']]);
      assert.ok(order.indexOf('SECCOMP_AGENT') < order.indexOf('CLONE'));
      assert.equal(order.filter((n) => n === 'SECCOMP').length, 1);
      assert.ok(order.indexOf('SECCOMP') < order.indexOf('SET_USER'));
      const [, flags, listener] = argsOf(plan, 'SECCOMP')[0]!;
      assert.equal(listener, '/run/agent.sock');
      assert.equal((flags as number) & 8, 8, 'SECCOMP_FILTER_FLAG_NEW_LISTENER');
    });

    it('ignores a listener path without SCMP_ACT_NOTIFY rules, as runc does', () => {
      const plan = compileCreate(spec(nnp(false), filter('SCMP_ACT_ERRNO', { listenerPath: '/run/agent.sock' })), opts, new FakeHost());
      assert.ok(!plan.has('SECCOMP_AGENT'));
      assert.equal(argsOf(plan, 'SECCOMP')[0]![2], '');
    });
  });
});
