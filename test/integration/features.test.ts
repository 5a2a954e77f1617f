import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInPty } from '../helpers/pty.js';
import { missing } from '../helpers/requirements.js';
import { BERTH_ROOT, cleanup, makeBundle, runIn, runtime, RUNTIME_BIN, TMP, uniqueId, type Config } from '../helpers/bundle.js';

const skip = missing('root', 'busybox');

function sh(script: string, change?: (c: Config) => void, flags: string[] = []) {
  const b = makeBundle(['sh', '-c', script], change);
  try {
    return runIn(b, { flags });
  } finally {
    cleanup(b);
  }
}

/**
 * A console-socket peer, as containerd and conmon are: receives the pty
 * master by SCM_RIGHTS and copies what the container writes to it. Node has
 * no SCM_RIGHTS, so the peer is a few lines of python3 (a node-gyp dependency).
 */
const CONSOLE_PEER = `
import array, os, socket, sys
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path); srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 4096, 1)
master = fds[0]
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
`;

describe('terminal', { skip }, () => {
  it('sends the pty master over --console-socket; the app has a controlling tty', async () => {
    const b = makeBundle(['sh', '-c', 'tty; test -t 0 && echo stdin-is-tty; readlink /dev/console >/dev/null; stat -c %t:%T /dev/console'], (c) => (c['process'].terminal = true));
    const sock = join(TMP, `${uniqueId('sock')}.sock`);
    const peer = spawn('python3', ['-c', CONSOLE_PEER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    peer.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      // the peer says "listening" once its socket is bound; what follows is the pty's
      await new Promise<void>((resolve) => peer.stdout.on('data', () => output.includes('listening\n') && resolve()));
      const c = runtime(['create', '--console-socket', sock, '--bundle', b.dir, b.id]);
      assert.equal(c.status, 0, c.stderr);
      assert.equal(runtime(['start', b.id]).status, 0);
      await new Promise((resolve) => peer.on('close', resolve));
      assert.equal(output.slice(output.indexOf('listening\n') + 'listening\n'.length), '/dev/pts/0\r\nstdin-is-tty\r\n88:0\r\n');
    } finally {
      peer.kill();
      cleanup(b);
    }
  });
});

/** Runs argv under a pseudo-terminal of 40 rows and 120 columns. */
async function underPty(argv: string[], input: string): Promise<{ status: number | null; output: string }> {
  const r = await runInPty(['sh', '-c', 'stty cols 120 rows 40; exec "$@"', 'sh', ...argv], { input });
  return { status: r.status, output: r.stdout.replace(/\r/g, '') };
}

describe('terminal relayed by the runtime in the foreground', { skip }, () => {
  it('run: an interactive shell on a pty, window size, exit code', async () => {
    const b = makeBundle(['sh'], (c) => (c['process'].terminal = true));
    try {
      const r = await underPty([RUNTIME_BIN, '--root', BERTH_ROOT, 'run', '--bundle', b.dir, b.id], 'tty; stty size; exit 4\n');
      assert.match(r.output, /\/dev\/pts\/0\n/);
      assert.match(r.output, /\n40 120\n/);
      assert.equal(r.status, 4);
    } finally {
      cleanup(b);
    }
  });

  it('exec -t in the foreground', async () => {
    const b = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
      const r = await underPty([RUNTIME_BIN, '--root', BERTH_ROOT, 'exec', '-t', b.id, 'sh', '-c', 'tty; test -t 1 && echo is-a-tty; exit 6'], '');
      assert.match(r.output, /\/dev\/pts\/\d+\nis-a-tty\n/);
      assert.equal(r.status, 6);
    } finally {
      cleanup(b);
    }
  });
});

describe('namespaces beyond the basics', { skip }, () => {
  it('a time namespace shifts the boot clock by linux.timeOffsets', { skip: missing('timens') }, () => {
    const r = sh('cut -d. -f1 /proc/uptime', (c) => {
      c['linux'].namespaces.push({ type: 'time' });
      c['linux'].timeOffsets = { boottime: { secs: 10_000_000, nanosecs: 0 } };
    });
    assert.equal(r.stderr, '');
    assert.ok(Number(r.stdout) >= 10_000_000, `uptime ${r.stdout}`);
  });

  it('a cgroup namespace makes the container\'s cgroup its root', () => {
    const r = sh('readlink /proc/self/ns/cgroup; grep -c ":/$" /proc/self/cgroup', (c) => c['linux'].namespaces.push({ type: 'cgroup' }));
    const [ns, rootLines] = r.stdout.trim().split('\n');
    assert.notEqual(ns, readlinkSync('/proc/self/ns/cgroup'));
    assert.ok(Number(rootLines) >= 1, r.stdout);
  });

  it('--no-pivot enters the root by chroot', () => {
    const r = sh('echo $$; ls /bin/busybox', undefined, ['--no-pivot']);
    assert.equal(r.stdout, '1\n/bin/busybox\n', r.stderr);
  });

  it('mounts cgroup hierarchies read-only at /sys/fs/cgroup', () => {
    const r = sh('ls /sys/fs/cgroup | grep -c .; touch /sys/fs/cgroup/x 2>/dev/null && echo wrote || echo refused', (c) =>
      c['mounts'].push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }),
    );
    const [count, write] = r.stdout.trim().split('\n');
    assert.ok(Number(count) >= 1, r.stderr);
    assert.equal(write, 'refused');
  });
});

describe('startContainer hooks run inside the container, after start', { skip }, () => {
  it('sees the container\'s root and its state', () => {
    const b = makeBundle(['true']);
    try {
      writeFileSync(join(b.dir, 'rootfs', 'bin', 'hook'), '#!/bin/sh\ncat > /hook-state; hostname >> /hook-state\n', { mode: 0o755 });
      b.config['hooks'] = { startContainer: [{ path: '/bin/hook', args: ['hook'] }] };
      b.save();
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      const state = readFileSync(join(b.dir, 'rootfs', 'hook-state'), 'utf8');
      assert.match(state, new RegExp(`"id":"${b.id}"`));
      assert.match(state, /bth-test\n$/);
    } finally {
      cleanup(b);
    }
  });
});

describe('exec, kill --all and ps', { skip }, () => {
  it('exec takes a user, env, cwd, a process.json, and --detach with a pid file', () => {
    const b = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
      const r = runtime(['exec', '--user', '1000:1000', '--env', 'X=42', '--cwd', '/tmp', b.id, 'sh', '-c', 'id -u; echo $X; pwd; echo $HOME']);
      assert.equal(r.stdout, '1000\n42\n/tmp\n/\n', r.stderr);
      const processFile = join(b.dir, 'process.json');
      writeFileSync(processFile, JSON.stringify({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh', '-c', 'echo from-process-json; exit 5'], env: ['PATH=/bin'] }));
      const p = runtime(['exec', '--process', processFile, b.id]);
      assert.equal(p.stdout, 'from-process-json\n');
      assert.equal(p.status, 5);
      const pidFile = join(b.dir, 'exec.pid');
      assert.equal(runtime(['exec', '--detach', '--pid-file', pidFile, b.id, 'sleep', '50']).status, 0);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(existsSync(`/proc/${pid}`));
      const pids = JSON.parse(runtime(['ps', '--format', 'json', b.id]).stdout) as number[];
      assert.equal(pids.length, 2);
      assert.ok(pids.includes(pid));
      assert.match(runtime(['ps', b.id]).stdout, /sleep 50/);
      assert.equal(runtime(['kill', '--all', b.id, 'KILL']).status, 0);
    } finally {
      cleanup(b);
    }
  });

  it('exec into a missing container or with a bad process file says so', () => {
    assert.match(runtime(['exec', 'bth-nope', 'true']).stderr, /container does not exist: bth-nope/);
    const b = makeBundle(['sleep', '100']);
    try {
      assert.equal(runtime(['run', '-d', '--bundle', b.dir, b.id]).status, 0);
      const processFile = join(b.dir, 'bad.json');
      writeFileSync(processFile, JSON.stringify({ user: { uid: 0, gid: 0 }, cwd: 'relative', args: ['true'] }));
      assert.match(runtime(['exec', '--process', processFile, b.id]).stderr, /process\.cwd: must be an absolute path, got "relative"/);
    } finally {
      cleanup(b);
    }
  });
});

describe('bad input gets its own message and leaves nothing', { skip }, () => {
  it('a missing bundle, a missing config.json, a bad rootfs, bad JSON', () => {
    const id = uniqueId();
    assert.match(runtime(['create', '--bundle', '/nonexistent/bundle', id]).stderr, /bundle "\/nonexistent\/bundle" does not exist/);
    const b = makeBundle(['true']);
    try {
      b.config['root'].path = 'no-such-rootfs';
      b.save();
      assert.match(runtime(['create', '--bundle', b.dir, b.id]).stderr, /root\.path: rootfs ".*no-such-rootfs" does not exist/);
      writeFileSync(join(b.dir, 'config.json'), '{ not json');
      assert.match(runtime(['create', '--bundle', b.dir, b.id]).stderr, /config\.json: not valid JSON/);
      b.remove();
      assert.match(runtime(['create', '--bundle', b.dir, b.id]).stderr, /does not exist/);
      assert.equal(runtime(['state', b.id]).status, 1);
    } finally {
      cleanup(b);
    }
  });

  it('an invalid container id', () => {
    assert.match(runtime(['state', '../etc']).stderr, /invalid container id "\.\.\/etc"/);
  });
});

describe('more of the spec, checked from inside', { skip }, () => {
  it('a hook that outlives its timeout fails the create, which leaves nothing', () => {
    const b = makeBundle(['true'], (c) => (c['hooks'] = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }));
    try {
      const started = Date.now();
      const r = runtime(['create', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /createRuntime hook "\/bin\/sleep": timed out after 1 s/);
      assert.ok(Date.now() - started < 8000, 'the timeout did not stop the hook');
      assert.equal(runtime(['state', b.id]).status, 1);
    } finally {
      cleanup(b);
    }
  });

  it('linux.rootfsPropagation sets the propagation of the root mount', () => {
    const r = sh('grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo | grep -o "shared:[0-9]*" | head -1', (c) => (c['linux'].rootfsPropagation = 'shared'));
    assert.match(r.stdout, /^shared:\d+\n$/, r.stderr);
  });

  it('looks the program up in the container\'s PATH, not the host\'s', () => {
    const b = makeBundle(['only-here'], (c) => (c['process'].env = ['PATH=/opt/tools']));
    try {
      mkdirSync(join(b.dir, 'rootfs', 'opt', 'tools'), { recursive: true });
      writeFileSync(join(b.dir, 'rootfs', 'opt', 'tools', 'only-here'), '#!/bin/sh\necho found in the container\n', { mode: 0o755 });
      assert.equal(runIn(b).stdout, 'found in the container\n');
    } finally {
      cleanup(b);
    }
    const host = sh('true', (c) => (c['process'].args = ['node', '--version']));
    assert.equal(host.status, 127, 'found a program that only the host has');
    assert.match(host.stderr, /exec: "node": executable file not found in \$PATH/);
  });

  it('joins a user namespace by path: its maps, and devices bound rather than made', () => {
    const first = makeBundle(['sleep', '100'], (c) => {
      c['linux'].namespaces.push({ type: 'user' });
      c['linux'].uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      c['linux'].gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    });
    try {
      assert.equal(runtime(['run', '-d', '--bundle', first.dir, first.id]).status, 0);
      const pid = JSON.parse(runtime(['state', first.id]).stdout).pid as number;
      const r = sh('cat /proc/self/uid_map | tr -s " "; stat -c %t:%T /dev/null', (c) => c['linux'].namespaces.push({ type: 'user', path: `/proc/${pid}/ns/user` }));
      assert.equal(r.stdout, ' 0 300000 65536\n1:3\n', r.stderr);
    } finally {
      cleanup(first);
    }
  });

  it('rro makes a bind mount and the mounts under it read-only', () => {
    const b = makeBundle(['sh', '-c', 'touch /data/sub/f 2>/dev/null && echo sub-writable || echo sub-read-only'], (c) =>
      c['mounts'].push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'rro'] }),
    );
    const sub = join(b.dir, 'data', 'sub');
    mkdirSync(sub, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', sub]);
    try {
      assert.equal(runIn(b).stdout, 'sub-read-only\n');
    } finally {
      execFileSync('umount', [sub]);
      cleanup(b);
    }
  });
});
