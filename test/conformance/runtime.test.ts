/**
 * The runtime conformance suite: each case runs the same bundle under
 * berth-runtime and, when it is installed, runc; both must give the expected
 * result, and so agree with each other.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dockerDefaultCapabilities } from '../../src/security/defaults.js';
import { installProbe } from '../helpers/probe.js';
import { missing } from '../helpers/requirements.js';
import { cleanup, makeBundle, runIn, type Bundle, type Config, type RuntimeName } from '../helpers/bundle.js';

interface Case {
  name: string;
  script: string;
  change?: (c: Config, bundle: Bundle) => void;
  /** What the container prints, identical under every runtime. */
  stdout: string;
  status?: number;
}

const CASES: Case[] = [
  { name: 'app is PID 1', script: 'echo $$', stdout: '1\n' },
  { name: 'hostname', script: 'hostname', stdout: 'bth-test\n' },
  { name: 'environment is exactly process.env', script: 'env | sort', change: (c) => (c['process'].env = ['PATH=/bin', 'A=1']), stdout: 'A=1\nHOME=/root\nPATH=/bin\nPWD=/\nSHLVL=1\n' },
  { name: 'HOME of a user without a passwd entry', script: 'echo $HOME', change: (c) => (c['process'].user = { uid: 4242, gid: 4242 }), stdout: '/\n' },
  { name: 'cwd', script: 'pwd', change: (c) => (c['process'].cwd = '/tmp'), stdout: '/tmp\n' },
  { name: 'user and groups', script: 'id', change: (c) => (c['process'].user = { uid: 1000, gid: 1000, additionalGids: [5] }), stdout: 'uid=1000 gid=1000 groups=5(tty)\n' },
  { name: 'exit code', script: 'exit 42', stdout: '', status: 42 },
  {
    name: 'killed by a signal (not PID 1, which ignores it)',
    script: 'kill -KILL $$',
    change: (c) => (c['linux'].namespaces = c['linux'].namespaces.filter((n: { type: string }) => n.type !== 'pid')),
    stdout: '',
    status: 137,
  },
  { name: 'rlimit', script: 'ulimit -n; ulimit -Hn', change: (c) => (c['process'].rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 768 }]), stdout: '512\n768\n' },
  { name: 'masked file reads empty', script: 'wc -c < /proc/keys', stdout: '0\n' },
  { name: 'masked directory is empty', script: 'ls -A /sys/firmware | wc -l', stdout: '0\n' },
  { name: 'read-only path', script: 'echo 1 > /proc/sys/kernel/shmmni 2>/dev/null && echo wrote || echo refused', stdout: 'refused\n' },
  { name: 'read-only root', script: 'touch /x 2>/dev/null && echo wrote || echo refused', change: (c) => (c['root'].readonly = true), stdout: 'refused\n' },
  { name: 'devices', script: 'stat -c "%n %t:%T %a" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty', stdout: '/dev/null 1:3 666\n/dev/zero 1:5 666\n/dev/full 1:7 666\n/dev/random 1:8 666\n/dev/urandom 1:9 666\n/dev/tty 5:0 666\n' },
  { name: '/dev symlinks', script: 'for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done', stdout: '/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n' },
  { name: 'only stdio is open (and ls\'s own fd 3)', script: 'ls /proc/self/fd | tr "\\n" " "', stdout: '0 1 2 3 ' },
  {
    name: 'bind mount, read-only',
    script: 'cat /data/f; touch /data/g 2>/dev/null && echo wrote || echo refused',
    change: (c, b) => {
      mkdirSync(join(b.dir, 'data'));
      writeFileSync(join(b.dir, 'data', 'f'), 'host file\n');
      c['mounts'].push({ destination: '/data', type: 'bind', source: join(b.dir, 'data'), options: ['rbind', 'ro'] });
    },
    stdout: 'host file\nrefused\n',
  },
  { name: 'tmpfs mount options', script: 'grep " /t " /proc/self/mounts | cut -d" " -f3,4', change: (c) => c['mounts'].push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=2m'] }), stdout: 'tmpfs rw,nosuid,nodev,relatime,size=2048k\n' },
  {
    name: 'user namespace maps',
    script: 'cat /proc/self/uid_map | tr -s " \\t" "  "; id -u',
    change: (c) => {
      c['linux'].namespaces.push({ type: 'user' });
      c['linux'].uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
      c['linux'].gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    },
    stdout: ' 0 200000 1000\n0\n',
  },
  { name: 'sysctl', script: 'cat /proc/sys/kernel/msgmax', change: (c) => (c['linux'].sysctl = { 'kernel.msgmax': '4096' }), stdout: '4096\n' },
  { name: 'loopback is up in a new network namespace', script: 'cat /sys/class/net/lo/flags', stdout: '0x9\n' },
  // resources, through cgroups (on this host's layout)
  { name: 'cpuset pins to a CPU', script: 'grep Cpus_allowed_list /proc/self/status | tr -d "\t "', change: (c) => (c['linux'].resources = { cpu: { cpus: '0' } }), stdout: 'Cpus_allowed_list:0\n' },
  {
    name: 'a memory hog is OOM-killed at the limit',
    // the hog's subshell makes itself the OOM killer's first choice, so the shell that reports survives
    script: '(echo 1000 > /proc/self/oom_score_adj; head -c 200m /dev/zero | tail); echo $?',
    change: (c) => (c['linux'].resources = { memory: { limit: 24 << 20, swap: 24 << 20 } }),
    stdout: '137\n',
  },
  {
    name: 'the container sees its own cgroup limits at /sys/fs/cgroup',
    script: 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max',
    change: (c) => {
      c['mounts'].push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c['linux'].resources = { memory: { limit: 48 << 20 }, pids: { limit: 33 } };
    },
    stdout: `${48 << 20}\n33\n`,
  },
  {
    name: 'cgroupsPath places the container',
    script: 'grep -E "^[0-9]+:memory:" /proc/self/cgroup | cut -d: -f3',
    change: (c) => (c['linux'].cgroupsPath = '/bth-conformance/c1'),
    stdout: '/bth-conformance/c1\n',
  },
  // capabilities and no_new_privs, as the probe (test/fixtures/probe.c) reads them from /proc/self/status
  {
    name: 'Docker\'s default capabilities',
    script: 'probe | grep -o \'"Cap[A-Za-z]*":"[0-9a-f]*"\'',
    change: withProbe((c) => (c['process'].capabilities = dockerDefaultCapabilities())),
    stdout: '"CapInh":"0000000000000000"\n"CapPrm":"00000000a80425fb"\n"CapEff":"00000000a80425fb"\n"CapBnd":"00000000a80425fb"\n"CapAmb":"0000000000000000"\n',
  },
  {
    name: 'a non-root user: bounding only, unless ambient',
    script: 'probe | grep -o \'"Cap[A-Za-z]*":"[0-9a-f]*"\'',
    change: withProbe((c) => {
      c['process'].user = { uid: 1000, gid: 1000 };
      c['process'].capabilities = { ...dockerDefaultCapabilities(), inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    }),
    stdout: '"CapInh":"0000000000000020"\n"CapPrm":"0000000000000020"\n"CapEff":"0000000000000020"\n"CapBnd":"00000000a80425fb"\n"CapAmb":"0000000000000020"\n',
  },
  { name: 'noNewPrivileges', script: 'grep NoNewPrivs /proc/self/status', stdout: 'NoNewPrivs:\t1\n' },
  { name: 'no noNewPrivileges', script: 'grep NoNewPrivs /proc/self/status', change: (c) => (c['process'].noNewPrivileges = false), stdout: 'NoNewPrivs:\t0\n' },
  {
    name: 'a setuid-root binary under noNewPrivileges stays uid 1000',
    script: 'suid-probe | grep -o \'"uid":[^]]*]\\|"CapEff":"[0-9a-f]*"\'',
    change: withProbe((c, b) => {
      c['process'].user = { uid: 1000, gid: 1000 };
      c['process'].capabilities = dockerDefaultCapabilities();
      const suid = join(b.dir, 'rootfs', 'bin', 'suid-probe');
      copyFileSync(join(b.dir, 'rootfs', 'bin', 'probe'), suid);
      chmodSync(suid, 0o4755);
    }),
    stdout: '"CapEff":"0000000000000000"\n"uid":[1000,1000,1000,1000]\n',
  },
  { name: 'oom_score_adj', script: 'cat /proc/self/oom_score_adj', change: (c) => (c['process'].oomScoreAdj = 123), stdout: '123\n' },
  {
    name: 'seccomp: ERRNO denies mkdir with EPERM',
    script: 'mkdir /tmp/x 2>&1; grep "^Seccomp:" /proc/self/status',
    change: (c) => (c['linux'].seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }),
    stdout: "mkdir: can't create directory '/tmp/x': Operation not permitted\nSeccomp:\t2\n",
  },
];

/** Installs the probe at /bin/probe, then changes the config. */
function withProbe(change: (c: Config, bundle: Bundle) => void): (c: Config, bundle: Bundle) => void {
  return (c, b) => {
    installProbe(join(b.dir, 'rootfs'));
    change(c, b);
  };
}

const runtimes: RuntimeName[] = ['berth'];
if (!missing('runc')) runtimes.push('runc');

/** runc removes the cgroup it was given but not the parents it made for it: the suite does. */
async function removeConformanceCgroups(): Promise<void> {
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', hierarchy, 'bth-conformance');
    // busy for a moment while the last container's cgroup below it goes
    for (let i = 0; existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

describe('runtime conformance', { skip: missing('root', 'busybox', 'gcc') }, () => {
  after(removeConformanceCgroups);
  for (const name of runtimes) {
    describe(name, () => {
      for (const c of CASES) {
        it(c.name, () => {
          const b = makeBundle(['sh', '-c', c.script]);
          try {
            c.change?.(b.config, b);
            b.save();
            const r = runIn(b, { name });
            assert.equal(r.stdout, c.stdout, `stderr: ${r.stderr}`);
            assert.equal(r.status, c.status ?? 0, `stderr: ${r.stderr}`);
          } finally {
            cleanup(b, name);
          }
        });
      }
    });
  }
});
