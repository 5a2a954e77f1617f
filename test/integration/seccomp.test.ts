/**
 * Seccomp filters compiled by src/security/seccomp, installed by
 * berth-init and enforced by the real kernel, seen from inside busybox
 * containers.
 */
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOCKER_DEFAULT_CAPS, dockerDefaultProfile, dockerToOci } from '../../src/security/seccomp/docker-profile.js';
import { cleanup, makeBundle, runIn, type Config } from '../helpers/bundle.js';
import { installProbe, parseProbe, PROBE_PATH } from '../helpers/probe.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root', 'busybox');

function run(script: string, seccomp: unknown, change: (c: Config) => void = () => undefined): { status: number | null; out: string } {
  const b = makeBundle(['sh', '-c', `${script} 2>&1`], (c) => {
    c.linux.seccomp = seccomp;
    change(c);
  });
  try {
    const r = runIn(b);
    return { status: r.status, out: r.stdout.trim() + r.stderr.trim() };
  } finally {
    cleanup(b);
  }
}

const deny = (names: string[], extra: Record<string, unknown> = {}) => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names, action: 'SCMP_ACT_ERRNO', ...extra }] });

const dockerDefault = dockerToOci(dockerDefaultProfile(), { capabilities: DOCKER_DEFAULT_CAPS, kernel: release() });

describe('seccomp (kernel)', { skip }, () => {
  it('ERRNO denies a call with EPERM, or the errnoRet given', () => {
    const eperm = run('mkdir /tmp/x; echo "rc=$?"', deny(['mkdir', 'mkdirat']));
    assert.equal(eperm.status, 0);
    assert.match(eperm.out, /Operation not permitted/);
    assert.match(eperm.out, /rc=1/);
    const enosys = run('mkdir /tmp/x', deny(['mkdir', 'mkdirat'], { errnoRet: 38 }));
    assert.match(enosys.out, /Function not implemented/);
    assert.equal(run('mkdir /tmp/x && echo made', deny(['rmdir'])).out, 'made');
  });

  it('KILL_PROCESS kills with SIGSYS (exit 159)', () => {
    const r = run('mkdir /tmp/x; echo survived', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] }, (c) => {
      c.process.args = ['mkdir', '/tmp/x'];
    });
    assert.equal(r.status, 159, r.out);
  });

  it('installs before the capability drop when no_new_privs is off', () => {
    const r = run('mkdir /tmp/x; grep Seccomp /proc/self/status; grep NoNewPrivs /proc/self/status', deny(['mkdir', 'mkdirat']), (c) => {
      c.process.noNewPrivileges = false;
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.cwd = '/tmp';
    });
    assert.match(r.out, /Operation not permitted/);
    assert.match(r.out, /Seccomp:\s+2/);
    assert.match(r.out, /NoNewPrivs:\s+0/);
  });

  it("Docker's default profile: namespaces and mounts refused, the usual calls allowed", () => {
    const script = [
      'unshare -U true; echo "userns=$?"',
      'unshare -m true; echo "mountns=$?"',
      'mount -t tmpfs none /mnt; echo "mount=$?"',
      'ls / >/dev/null; echo "ls=$?"',
      'sh -c "exit 3"; echo "sh=$?"',
      'grep -E "^Seccomp(_filters)?:" /proc/self/status',
    ].join('; ');
    const r = run(script, dockerDefault, (c) => {
      c.process.capabilities = { bounding: DOCKER_DEFAULT_CAPS, effective: DOCKER_DEFAULT_CAPS, permitted: DOCKER_DEFAULT_CAPS };
    });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /userns=1/);
    assert.match(r.out, /mountns=1/);
    assert.match(r.out, /mount=(1|255)/);
    assert.match(r.out, /Operation not permitted/);
    assert.match(r.out, /ls=0/);
    assert.match(r.out, /sh=3/);
    assert.match(r.out, /Seccomp:\s+2/);
    assert.match(r.out, /Seccomp_filters:\s+1/);
  });

  it('refuses a malformed profile, naming the field', () => {
    const r = run('true', deny(['mkdir', 'no such call']));
    assert.equal(r.status, 1);
    assert.match(r.out, /linux\.seccomp\.syscalls\[0\]\.names\[1\]: "no such call" is not a system call name/);
  });
});

describe("escapes that must fail under Docker's defaults (profile and capabilities)", { skip: skip || missing('gcc') }, () => {
  it('keyctl is refused, and no host process can be traced (none is even visible)', () => {
    const b = makeBundle([PROBE_PATH, 'try-keyctl', 'try-ptrace', String(process.pid), 'try-mount', '/mnt'], (c) => {
      c.linux.seccomp = dockerDefault;
      c.process.capabilities = { bounding: DOCKER_DEFAULT_CAPS, effective: DOCKER_DEFAULT_CAPS, permitted: DOCKER_DEFAULT_CAPS };
    });
    try {
      installProbe(join(b.dir, 'rootfs'));
      const r = runIn(b);
      assert.equal(r.status, 0, r.stderr);
      const tries = Object.fromEntries(parseProbe(r.stdout, r.stderr).tries.map((t) => [t.try, t]));
      assert.deepEqual([tries['try-keyctl']?.ok, tries['try-keyctl']?.errno], [false, 'EPERM'], 'keyctl was allowed');
      // the test runner's pid is a host pid: outside the container's PID namespace it does not exist there
      assert.deepEqual([tries['try-ptrace']?.ok, tries['try-ptrace']?.errno], [false, 'ESRCH'], 'a host process was traceable');
      assert.deepEqual([tries['try-mount']?.ok, tries['try-mount']?.errno], [false, 'EPERM'], 'mount was allowed');
    } finally {
      cleanup(b);
    }
  });

  const [major = 0, minor = 0] = release().split('.').map(Number);
  const hasFileGetattr = major > 6 || (major === 6 && minor >= 17);
  it('a call newer than the profile answers ENOSYS (so libc falls back), not EPERM', { skip: !hasFileGetattr && 'needs Linux 6.17 or newer (file_getattr)' }, () => {
    // file_getattr (468, Linux 6.17) is past the profile's newest call (removexattrat, 466)
    const FILE_GETATTR = '468';
    const seen: Record<string, string | undefined> = {};
    for (const filtered of [true, false]) {
      const b = makeBundle([PROBE_PATH, 'try-syscall', FILE_GETATTR], (c) => {
        if (filtered) c.linux.seccomp = dockerDefault;
        else delete c.linux.seccomp;
      });
      try {
        installProbe(join(b.dir, 'rootfs'));
        const r = runIn(b);
        assert.equal(r.status, 0, r.stderr);
        seen[String(filtered)] = parseProbe(r.stdout, r.stderr).tries[0]?.errno;
      } finally {
        cleanup(b);
      }
    }
    assert.notEqual(seen['false'], 'ENOSYS', 'the kernel itself answers file_getattr');
    assert.equal(seen['true'], 'ENOSYS');
  });
});
