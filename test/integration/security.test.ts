/**
 * What a container's process may do, seen from inside by the probe
 * (test/fixtures/probe.c): capability sets, no_new_privs, setuid binaries,
 * Docker's masked and read-only paths, and a fake /proc in the image.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, dockerDefaultCapabilities } from '../../src/security/defaults.js';
import { cleanup, makeBundle, REPO, runIn, runtime, type Bundle, type Config } from '../helpers/bundle.js';
import { installProbe, parseProbe, PROBE_PATH, type ProbeReport } from '../helpers/probe.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root', 'busybox', 'gcc');
const DOCKER_SORTED = [...DOCKER_DEFAULT_CAPABILITIES].sort();
const sorted = (names: string[]) => [...names].sort();

/** Runs the probe (or `args`, with the probe installed) in a fresh container; `prepare` may change its rootfs. */
function probe(args: string[], change?: (c: Config) => void, prepare?: (rootfs: string, b: Bundle) => void): ProbeReport {
  const b = makeBundle([PROBE_PATH, ...args], change);
  try {
    installProbe(join(b.dir, 'rootfs'));
    prepare?.(join(b.dir, 'rootfs'), b);
    const r = runIn(b);
    assert.equal(r.status, 0, r.stderr);
    return parseProbe(r.stdout, r.stderr);
  } finally {
    cleanup(b);
  }
}

const asUser = (uid: number) => (c: Config) => (c['process'].user = { uid, gid: uid });

describe('capabilities', { skip }, () => {
  it('Docker\'s defaults give exactly its 14 capabilities, none inheritable or ambient', () => {
    const p = probe([], (c) => (c['process'].capabilities = dockerDefaultCapabilities()));
    for (const set of ['CapEff', 'CapPrm', 'CapBnd'] as const) {
      assert.equal(p[set], '00000000a80425fb', set);
      assert.deepEqual(sorted(p.caps[set]), DOCKER_SORTED, set);
    }
    assert.deepEqual(p.caps.CapInh, []);
    assert.deepEqual(p.caps.CapAmb, []);
  });

  it('a non-root user keeps only the bounding set: nothing effective without ambient', () => {
    const p = probe([], (c) => {
      asUser(1000)(c);
      c['process'].capabilities = dockerDefaultCapabilities();
    });
    assert.deepEqual(p.uid, [1000, 1000, 1000, 1000]);
    assert.deepEqual(p.caps.CapEff, []);
    assert.deepEqual(p.caps.CapPrm, []);
    assert.deepEqual(sorted(p.caps.CapBnd), DOCKER_SORTED);
    assert.equal(p.tries.length, 0);
  });

  it('a non-root user gets the ambient capabilities as effective ones', () => {
    const p = probe([], (c) => {
      asUser(1000)(c);
      const caps = dockerDefaultCapabilities();
      c['process'].capabilities = { ...caps, inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] };
    });
    for (const set of ['CapEff', 'CapPrm', 'CapAmb', 'CapInh'] as const) assert.deepEqual(p.caps[set], ['CAP_NET_BIND_SERVICE'], set);
    assert.deepEqual(sorted(p.caps.CapBnd), DOCKER_SORTED);
  });

  it('without CAP_SYS_ADMIN the app cannot mount', () => {
    const p = probe(['try-mount', '/tmp'], (c) => (c['process'].capabilities = dockerDefaultCapabilities()));
    assert.deepEqual(p.tries, [{ try: 'try-mount', arg: '/tmp', ok: false, errno: 'EPERM' }]);
  });
});

describe('no_new_privs and setuid binaries', { skip }, () => {
  it('noNewPrivileges sets NoNewPrivs, and its absence leaves it clear (as docker without the option)', () => {
    assert.equal(probe([], (c) => (c['process'].noNewPrivileges = true)).NoNewPrivs, 1);
    assert.equal(probe([], (c) => (c['process'].noNewPrivileges = false)).NoNewPrivs, 0);
  });

  /** A setuid-root copy of the probe in the image, run as uid 1000 with Docker's capabilities. */
  function setuidProbe(noNewPrivileges: boolean): ProbeReport {
    const b = makeBundle(['/bin/suid-probe'], (c) => {
      asUser(1000)(c);
      c['process'].capabilities = dockerDefaultCapabilities();
      c['process'].noNewPrivileges = noNewPrivileges;
    });
    try {
      const rootfs = join(b.dir, 'rootfs');
      const suid = join(rootfs, 'bin', 'suid-probe');
      copyFileSync(installProbe(rootfs), suid);
      chownSync(suid, 0, 0);
      chmodSync(suid, 0o4755);
      assert.equal(statSync(suid).mode & 0o7777, 0o4755);
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      return parseProbe(r.stdout, r.stderr);
    } finally {
      cleanup(b);
    }
  }

  it('with noNewPrivileges a setuid-root binary gains no euid 0 and no capabilities', () => {
    const p = setuidProbe(true);
    assert.equal(p.NoNewPrivs, 1);
    assert.deepEqual(p.uid, [1000, 1000, 1000, 1000]);
    assert.deepEqual(p.caps.CapEff, []);
    assert.deepEqual(p.caps.CapPrm, []);
  });

  it('without it the same binary does become root, up to the bounding set (the test above is not vacuous)', () => {
    const p = setuidProbe(false);
    assert.deepEqual(p.uid, [1000, 0, 0, 0]);
    assert.deepEqual(sorted(p.caps.CapEff), DOCKER_SORTED);
  });
});

describe('Docker\'s masked and read-only paths', { skip }, () => {
  const dockerPaths = (c: Config) => {
    c['process'].capabilities = dockerDefaultCapabilities();
    c['linux'].maskedPaths = [...DOCKER_MASKED_PATHS];
    c['linux'].readonlyPaths = [...DOCKER_READONLY_PATHS];
  };

  it('masked files read empty and masked directories are empty, where this kernel has them', () => {
    const present = DOCKER_MASKED_PATHS.filter((p) => existsSync(p));
    assert.ok(present.length >= 3, `too few of Docker's masked paths exist here: ${present.join(' ')}`);
    const b = makeBundle(['sh', '-c', 'for p in "$@"; do if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)"; else echo "$p file $(wc -c < "$p")"; fi; done', 'sh', ...present], dockerPaths);
    try {
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      const expected = present.map((p) => `${p} ${statSync(p).isDirectory() ? 'dir' : 'file'} 0`);
      assert.deepEqual(r.stdout.trim().split('\n'), expected);
    } finally {
      cleanup(b);
    }
  });

  it('writes to read-only /proc paths and /sys fail with EROFS', () => {
    // no /proc/sysrq-trigger on this kernel: it is tried only where it exists
    const targets = ['/proc/sys/kernel/hostname', '/proc/sys/kernel/shmmni', '/proc/irq/default_smp_affinity', '/proc/sysrq-trigger', '/sys/class/net/lo/mtu'].filter((p) => existsSync(p));
    const p = probe(
      targets.flatMap((t) => ['try-open', t, 'w']),
      dockerPaths,
    );
    assert.deepEqual(
      p.tries,
      targets.map((t) => ({ try: 'try-open', arg: t, ok: false, errno: 'EROFS' })),
    );
  });
});

describe('a fake /proc in the image (CVE-2019-16884 class)', { skip }, () => {
  /** `check` runs before the bundle is removed. */
  function run(prepare: (rootfs: string, b: Bundle) => void, change?: (c: Config) => void, check: () => void = () => undefined) {
    const b = makeBundle(['true'], change);
    try {
      prepare(join(b.dir, 'rootfs'), b);
      const r = runIn(b);
      check();
      return r;
    } finally {
      cleanup(b);
    }
  }
  const replaceProc = (rootfs: string, target: string) => {
    rmSync(join(rootfs, 'proc'), { recursive: true });
    symlinkSync(target, join(rootfs, 'proc'));
  };

  it('a /proc that is a symlink to /dev/shm is refused: proc goes on an ordinary directory', () => {
    const r = run((rootfs) => replaceProc(rootfs, '/dev/shm'), (c) => (c['process'].oomScoreAdj = 100));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mount "proc" to "\/proc": filesystem "proc" must be mounted on an ordinary directory, and "\/proc" is a symlink/);
  });

  it('a /proc that is a symlink to a host directory is refused, and nothing is made there', () => {
    let outside = '';
    const r = run(
      (rootfs, b) => {
        outside = join(b.dir, 'host-proc');
        mkdirSync(outside);
        replaceProc(rootfs, outside);
        assert.equal(readdirSync(outside).length, 0);
      },
      (c) => (c['linux'].sysctl = { 'kernel.shmmni': '1234' }),
      () => assert.deepEqual(readdirSync(outside), [], 'something was made in the host directory'),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /filesystem "proc" must be mounted on an ordinary directory/);
  });

  it('a sysctl is never written to a file that only looks like /proc/sys', () => {
    // no proc mount: the image's own /proc/sys/kernel/shmmni is what the path finds
    const b = makeBundle(['true'], (c) => {
      c['mounts'] = c['mounts'].filter((m: { type: string }) => m.type !== 'proc');
      c['linux'].maskedPaths = [];
      c['linux'].readonlyPaths = [];
      c['linux'].sysctl = { 'kernel.shmmni': '1234' };
    });
    try {
      const fake = join(b.dir, 'rootfs', 'proc', 'sys', 'kernel', 'shmmni');
      mkdirSync(join(fake, '..'), { recursive: true });
      writeFileSync(fake, 'fake\n');
      const r = runIn(b);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /sysctl "kernel\/shmmni": open "\/proc\/sys\/kernel\/shmmni": \/proc\/sys is not a procfs/);
      assert.equal(readFileSync(fake, 'utf8'), 'fake\n');
    } finally {
      cleanup(b);
    }
  });
});

describe('what this host cannot enforce is refused', { skip }, () => {
  it('process.apparmorProfile and process.selinuxLabel', () => {
    for (const [field, value, text] of [
      ['apparmorProfile', 'docker-default', /process\.apparmorProfile: AppArmor is not available on this host, so profile "docker-default" cannot be applied \(remove apparmorProfile from config\.json\)/],
      ['selinuxLabel', 'system_u:system_r:container_t:s0', /process\.selinuxLabel: SELinux is not available on this host, so label "system_u:system_r:container_t:s0" cannot be applied/],
    ] as const) {
      const b = makeBundle(['true'], (c) => (c['process'][field] = value));
      try {
        const r = runIn(b);
        assert.equal(r.status, 1);
        assert.match(r.stderr, text);
        assert.equal(r.stdout, '');
      } finally {
        cleanup(b);
      }
    }
  });
});

describe('overwriting the runtime through /proc/<pid>/exe (CVE-2019-5736 class)', { skip }, () => {
  it('a container writing to every foreign /proc/N/exe while execs enter it leaves berth-init unchanged', () => {
    const init = join(REPO, 'build', 'Release', 'berth-init');
    const digest = () => createHash('sha256').update(readFileSync(init)).digest('hex');
    const before = digest();
    // every process whose exe is not one of the container's own binaries
    // (berth-init entering with exec) is written to; each success is logged
    const attack = [
      'while :; do for p in /proc/[0-9]*; do',
      '  case "$(readlink $p/exe 2>/dev/null)" in /bin/*|/usr/*) continue;; esac',
      '  (echo pwned >> $p/exe) 2>/dev/null && echo "wrote $p" >> /tmp/wrote',
      'done; done',
    ].join('\n');
    const b = makeBundle(['sh', '-c', attack]);
    try {
      assert.equal(runtime(['run', '--detach', '--bundle', b.dir, b.id]).status, 0);
      for (let i = 0; i < 25; i++) assert.equal(runtime(['exec', b.id, 'true']).status, 0);
      const wrote = runtime(['exec', b.id, 'cat', '/tmp/wrote']).stdout;
      assert.equal(wrote, '', 'the container wrote to a process image from outside it');
      assert.equal(digest(), before, 'berth-init on the host changed');
    } finally {
      cleanup(b);
    }
  });
});
