import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { missing } from '../helpers/requirements.js';
import { cleanup, makeBundle, runIn, runtime, type Config } from '../helpers/bundle.js';

const skip = missing('root', 'busybox');

/** Runs `sh -c script` in a fresh container and returns its output. */
function sh(script: string, change?: (c: Config) => void) {
  const b = makeBundle(['sh', '-c', script], change);
  try {
    return runIn(b);
  } finally {
    cleanup(b);
  }
}

describe('a container sees its own world', { skip }, () => {
  it('runs the app as PID 1 of its PID namespace', () => {
    const r = sh('echo $$; cat /proc/1/cmdline | tr "\\0" " "');
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '1\nsh -c echo $$; cat /proc/1/cmdline | tr "\\0" " " ');
    assert.equal(r.status, 0);
  });

  it('has the hostname and domainname of the config', () => {
    const r = sh('hostname; cat /proc/sys/kernel/domainname', (c) => (c['domainname'] = 'example.test'));
    assert.equal(r.stdout, 'bth-test\nexample.test\n');
  });

  it('lives in namespaces other than the host\'s', () => {
    const r = sh('for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done');
    const inside = r.stdout.trim().split('\n');
    const host = ['pid', 'net', 'ipc', 'uts', 'mnt'].map((n) => readlinkSync(`/proc/self/ns/${n}`));
    assert.equal(inside.length, 5);
    inside.forEach((ns, i) => assert.notEqual(ns, host[i], `namespace ${ns} is the host's`));
  });

  it('shares a namespace given by path', () => {
    const first = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['run', '-d', '--bundle', first.dir, first.id]).status, 0);
      const pid = JSON.parse(runtime(['state', first.id]).stdout).pid as number;
      const joinNet = (c: Config) => (c['linux'].namespaces = c['linux'].namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/net` } : n)));
      const r = sh('readlink /proc/self/ns/net', joinNet);
      assert.equal(r.stdout.trim(), readlinkSync(`/proc/${pid}/ns/net`));
    } finally {
      cleanup(first);
    }
  });

  it('has its own /proc: the host\'s processes are not in it', () => {
    const r = sh(`test -e /proc/${process.pid} && echo visible || echo hidden; cat /proc/1/comm; true`);
    assert.equal(r.stdout, 'hidden\nsh\n');
  });

  it('mounts in order: binds (read-only too), tmpfs with options', () => {
    const b = makeBundle(['sh', '-c', 'cat /data/hello; touch /data/x 2>/dev/null && echo writable || echo read-only; grep " /scratch " /proc/self/mounts | cut -d" " -f3,4'], (c) => {
      c['mounts'].push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] });
      c['mounts'].push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
    });
    try {
      mkdirSync(join(b.dir, 'data'));
      writeFileSync(join(b.dir, 'data', 'hello'), 'hi from the host\n');
      const r = runIn(b);
      assert.equal(r.stdout, 'hi from the host\nread-only\ntmpfs rw,nosuid,relatime,size=1024k\n');
    } finally {
      cleanup(b);
    }
  });

  it('resolves mount destinations inside the root: a symlink cannot send a mount to the host', () => {
    const b = makeBundle(['sh', '-c', 'ls /escape/'], (c) => c['mounts'].push({ destination: '/escape/inner', type: 'tmpfs', source: 'tmpfs' }));
    try {
      const hostTarget = join(b.dir, 'host-dir');
      mkdirSync(hostTarget);
      symlinkSync(hostTarget, join(b.dir, 'rootfs', 'escape'));
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(existsSync(join(hostTarget, 'inner')), false, 'the mount point was made on the host');
    } finally {
      cleanup(b);
    }
  });

  it('masks paths and makes others read-only', () => {
    // this kernel has no /proc/kcore or /proc/sysrq-trigger: /proc/keys, /proc/timer_list and /proc/sys stand in
    const r = sh('wc -c < /proc/keys; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/shmmni 2>/dev/null || echo denied');
    assert.equal(r.stdout, '0\n0\n0\ndenied\n');
  });

  it('gets the default devices and the /dev symlinks', () => {
    const r = sh('for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done');
    assert.equal(
      r.stdout,
      [
        '/dev/null character special file 1:3 666',
        '/dev/zero character special file 1:5 666',
        '/dev/full character special file 1:7 666',
        '/dev/random character special file 1:8 666',
        '/dev/urandom character special file 1:9 666',
        '/dev/tty character special file 5:0 666',
        '/proc/self/fd',
        '/proc/self/fd/0',
        'pts/ptmx',
        '',
      ].join('\n'),
    );
  });

  it('creates linux.devices with their owner and mode', () => {
    const r = sh('stat -c "%F %t:%T %a %u:%g" /dev/mydev', (c) => (c['linux'].devices = [{ type: 'c', path: '/dev/mydev', major: 1, minor: 3, fileMode: 0o600, uid: 7, gid: 8 }]));
    assert.equal(r.stdout, 'character special file 1:3 600 7:8\n');
  });

  it('maps users in a new user namespace', () => {
    const r = sh('cat /proc/self/uid_map /proc/self/gid_map; id -u', (c) => {
      c['linux'].namespaces.push({ type: 'user' });
      c['linux'].uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c['linux'].gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.replace(/[ \t]+/g, ' ').replace(/^ /gm, ''), '0 100000 65536\n0 100000 65536\n0\n');
  });

  it('runs as the configured user with its groups, umask and cwd', () => {
    const r = sh('id -u; id -g; id -G; umask; pwd', (c) => {
      c['process'].user = { uid: 1000, gid: 1000, additionalGids: [5, 20], umask: 0o027 };
      c['process'].cwd = '/home/work';
    });
    assert.equal(r.stdout, '1000\n1000\n1000 5 20\n0027\n/home/work\n');
  });

  it('applies rlimits, clamping a hard limit above what the host allows', () => {
    const r = sh('ulimit -n; ulimit -Hn; ulimit -c', (c) => {
      c['process'].rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1000, hard: 1000 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ];
    });
    assert.equal(r.stdout, '1000\n1000\n0\n');
  });

  it('sets oom_score_adj and namespaced sysctls', () => {
    const r = sh('cat /proc/self/oom_score_adj; cat /proc/sys/kernel/shmmni', (c) => {
      c['process'].oomScoreAdj = 500;
      c['linux'].sysctl = { 'kernel.shmmni': '1234' };
    });
    assert.equal(r.stdout, '500\n1234\n');
  });

  it('passes only stdio to the app, plus --preserve-fds', () => {
    // ls holds one fd of its own (3, or 4 with one preserved) to read the directory
    const script = 'ls /proc/self/fd | tr "\\n" " "; echo; cat <&3 2>/dev/null || echo no-fd-3';
    const b = makeBundle(['sh', '-c', script]);
    const extra = openSync(join(b.dir, 'config.json'), 'r');
    try {
      assert.equal(runIn(b).stdout, '0 1 2 3 \nno-fd-3\n');
      runtime(['delete', '--force', b.id]);
      const r = runIn(b, { flags: ['--preserve-fds', '1'], extraFds: [extra] });
      const [fds, ...rest] = r.stdout.split('\n');
      assert.equal(fds, '0 1 2 3 4 ', r.stderr);
      assert.match(rest.join('\n'), /"ociVersion"/);
    } finally {
      closeSync(extra);
      cleanup(b);
    }
  });

  it('reports the app\'s exit code and signal', () => {
    assert.equal(sh('exit 7').status, 7);
    // PID 1 of a namespace ignores its own SIGKILL: this shell must not be PID 1
    const hostPidNs = (c: Config) => (c['linux'].namespaces = c['linux'].namespaces.filter((n: { type: string }) => n.type !== 'pid'));
    assert.equal(sh('kill -9 $$', hostPidNs).status, 137);
  });

  it('says what is missing when the executable is not there', () => {
    const b = makeBundle(['no-such-program']);
    try {
      const r = runIn(b);
      assert.equal(r.status, 127);
      assert.match(r.stderr, /exec: "no-such-program": executable file not found in \$PATH/);
      assert.equal(runtime(['state', b.id]).status, 1, 'a failed create left state behind');
    } finally {
      cleanup(b);
    }
  });
});

describe('the lifecycle matches runc: created → running → stopped', { skip }, () => {
  it('creates, starts, kills and deletes', async () => {
    const b = makeBundle(['sleep', '100']);
    try {
      const pidFile = join(b.dir, 'pid');
      const c = runtime(['create', '--bundle', b.dir, '--pid-file', pidFile, b.id]);
      assert.equal(c.status, 0, c.stderr);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      let state = JSON.parse(runtime(['state', b.id]).stdout);
      assert.equal(state.status, 'created');
      assert.equal(state.pid, pid);
      assert.equal(runtime(['start', b.id]).status, 0);
      state = JSON.parse(runtime(['state', b.id]).stdout);
      assert.equal(state.status, 'running');
      assert.equal(runtime(['start', b.id]).status, 1, 'started twice');
      assert.match(runtime(['list']).stdout, new RegExp(`${b.id}\\s+${pid}\\s+running`));
      assert.equal(runtime(['delete', b.id]).status, 1, 'deleted while running');
      assert.equal(runtime(['kill', b.id, 'KILL']).status, 0);
      for (let i = 0; i < 200 && JSON.parse(runtime(['state', b.id]).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(JSON.parse(runtime(['state', b.id]).stdout).status, 'stopped');
      assert.equal(runtime(['kill', b.id]).status, 1, 'killed a stopped container');
      assert.equal(runtime(['delete', b.id]).status, 0);
      assert.match(runtime(['state', b.id]).stderr, /container does not exist/);
    } finally {
      cleanup(b);
    }
  });

  it('refuses a second container with the same id', () => {
    const b = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['create', '--bundle', b.dir, b.id]).status, 0);
      const again = runtime(['create', '--bundle', b.dir, b.id]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /container with id exists/);
    } finally {
      cleanup(b);
    }
  });

  it('execs into a running container, in its namespaces', () => {
    const b = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
      const r = runtime(['exec', b.id, 'sh', '-c', 'hostname; echo $$; ls /proc/self/fd | wc -l; exit 3']);
      const [host, pid, fds] = r.stdout.trim().split('\n');
      assert.equal(host, 'bth-test');
      assert.notEqual(pid, '1');
      assert.equal(fds, '4');
      assert.equal(r.status, 3);
      const ps = JSON.parse(runtime(['ps', '--format', 'json', b.id]).stdout) as number[];
      assert.equal(ps.length, 1);
    } finally {
      cleanup(b);
    }
  });

  it('leaves nothing behind when create fails: no state, mount or process', () => {
    const b = makeBundle(['true'], (c) => c['mounts'].push({ destination: '/x', type: 'nosuchfs', source: 'none' }));
    try {
      const before = mountNamespaces();
      const r = runtime(['create', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /mount "none" to "\/x"/);
      assert.equal(runtime(['state', b.id]).status, 1);
      assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(b.dir), 'a mount was left behind');
      const leaked = [...mountNamespaces()].filter((ns) => !before.has(ns));
      assert.deepEqual(leaked, [], 'a process of the failed container is still alive');
    } finally {
      cleanup(b);
    }
  });
});

/** The mount namespaces that live processes are in: a leaked container keeps its own. */
function mountNamespaces(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      out.add(readlinkSync(`/proc/${pid}/ns/mnt`));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('hooks run at their points with the state on stdin', { skip }, () => {
  it('prestart, createRuntime, createContainer, startContainer, poststart and poststop', () => {
    const b = makeBundle(['true']);
    const log = join(b.dir, 'hooks.log');
    try {
      const hookScript = join(b.dir, 'hook.sh');
      writeFileSync(hookScript, `#!/bin/sh\nread state\necho "$1 $(echo "$state" | grep -o '"status":"[a-z]*"')" >> ${log}\n`, { mode: 0o755 });
      const h = (name: string) => [{ path: hookScript, args: ['hook.sh', name] }];
      b.config['hooks'] = { prestart: h('prestart'), createRuntime: h('createRuntime'), createContainer: h('createContainer'), poststart: h('poststart'), poststop: h('poststop') };
      b.save();
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
        'prestart "status":"creating"',
        'createRuntime "status":"creating"',
        'createContainer "status":"creating"',
        'poststart "status":"running"',
        'poststop "status":"stopped"',
      ]);
    } finally {
      cleanup(b);
    }
  });

  it('a failing prestart hook fails create and cleans up', () => {
    const b = makeBundle(['true'], (c) => (c['hooks'] = { prestart: [{ path: '/bin/false' }] }));
    try {
      const before = mountNamespaces();
      const r = runtime(['create', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /prestart hook "\/bin\/false": exited with 1/);
      assert.equal(runtime(['state', b.id]).status, 1);
      assert.deepEqual([...mountNamespaces()].filter((ns) => !before.has(ns)), [], 'the waiting container was not killed');
    } finally {
      cleanup(b);
    }
  });
});

describe('the binary that starts a container is out of its reach', { skip }, () => {
  it('a waiting container\'s PID 1 is a sealed copy, not the file on disk', () => {
    const b = makeBundle(['true']);
    try {
      assert.equal(runtime(['create', '--bundle', b.dir, b.id]).status, 0);
      const r = runtime(['exec', b.id, 'sh', '-c', 'readlink /proc/1/exe; echo x >> /proc/1/exe && echo WROTE || echo refused']);
      assert.match(r.stdout, /refused/);
      assert.doesNotMatch(r.stdout, /WROTE/);
    } finally {
      cleanup(b);
    }
  });

  it('no host directory is reachable through an inherited fd as the cwd', () => {
    for (let fd = 3; fd < 12; fd++) {
      const hostFd = openSync('/etc', 'r');
      try {
        const r = sh('ls ../../../ 2>&1 | head -3; pwd', (c) => (c['process'].cwd = `/proc/self/fd/${fd}`));
        assert.doesNotMatch(r.stdout, /hostname|passwd\s+shadow/, `cwd /proc/self/fd/${fd} reached the host`);
      } finally {
        closeSync(hostFd);
      }
    }
  });
});
