import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JsonReader } from './json-reader.js';
import { runFilter } from '../../security/seccomp/bpf-interpreter.js';
import { AUDIT_ARCH, compileInsns } from '../../security/seccomp/compile.js';
import { DOCKER_DEFAULT_CAPS, dockerDefaultProfile, dockerToOci, kernelAtLeast, type DockerProfile } from '../../security/seccomp/docker-profile.js';
import { RET } from '../../security/seccomp/profile.js';
import { readSeccomp } from './seccomp.js';
import { SYSCALLS_X32 } from '../../security/seccomp/syscalls-x32.generated.js';
import { SYSCALLS_X86 } from '../../security/seccomp/syscalls-x86.generated.js';
import { SYSCALLS_X86_64 } from '../../security/seccomp/syscalls-x86_64.generated.js';

const file = fileURLToPath(new URL('../../../../shared/specs/seccomp/docker-default.json', import.meta.url));
const docker = dockerDefaultProfile();
const EPERM = RET.ERRNO | 1;

function verdicts(caps: string[], kernel = '6.1.0-18-amd64') {
  const oci = dockerToOci(docker, { capabilities: caps, kernel });
  const prog = compileInsns(readSeccomp(new JsonReader(oci, 'linux.seccomp')));
  return (name: string, args: bigint[] = [], abi: 'x86_64' | 'x86' | 'x32' = 'x86_64'): number => {
    const table = { x86_64: SYSCALLS_X86_64, x86: SYSCALLS_X86, x32: SYSCALLS_X32 }[abi];
    return runFilter(prog, { nr: table[name]!, arch: AUDIT_ARCH[abi], args });
  };
}

describe("seccomp: Docker's default profile", () => {
  it('is the copy of the spec given in shared/specs', () => {
    assert.deepEqual(docker, JSON.parse(readFileSync(file, 'utf8')) as DockerProfile);
  });

  it('keeps the amd64 ABIs and the default errno', () => {
    const oci = dockerToOci(docker, { capabilities: DOCKER_DEFAULT_CAPS, kernel: '6.1.0' });
    assert.deepEqual(oci.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(oci.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(oci.defaultErrnoRet, 1);
  });

  it('allows the usual calls and refuses privileged ones, with the default capabilities', () => {
    const v = verdicts(DOCKER_DEFAULT_CAPS);
    for (const name of ['read', 'write', 'execve', 'openat', 'mmap', 'arch_prctl', 'chroot']) assert.equal(v(name), RET.ALLOW, name);
    for (const name of ['mount', 'unshare', 'keyctl', 'setns', 'umount2', 'reboot', 'init_module', 'bpf']) assert.equal(v(name), EPERM, name);
    assert.equal(v('clone3'), RET.ERRNO | 38); // ENOSYS, so that libc falls back to clone
    assert.equal(v('read', [], 'x86'), RET.ALLOW);
    assert.equal(v('mount', [], 'x86'), EPERM);
    assert.equal(v('execve', [], 'x32'), RET.ALLOW);
    assert.equal(v('unshare', [], 'x32'), EPERM);
  });

  it('personality: only the listed personas', () => {
    const v = verdicts(DOCKER_DEFAULT_CAPS);
    for (const p of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]) assert.equal(v('personality', [p]), RET.ALLOW, String(p));
    for (const p of [1n, 0x0400000n]) assert.equal(v('personality', [p]), EPERM, String(p));
  });

  it('clone: no namespace flags without CAP_SYS_ADMIN, anything with it', () => {
    const v = verdicts(DOCKER_DEFAULT_CAPS);
    const CLONE_THREAD_ETC = 0x3d0f00n;
    assert.equal(v('clone', [CLONE_THREAD_ETC]), RET.ALLOW);
    assert.equal(v('clone', [0x10000000n]), EPERM); // CLONE_NEWUSER
    assert.equal(v('clone', [0x20000n]), EPERM); // CLONE_NEWNS
    const admin = verdicts([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN']);
    assert.equal(admin('clone', [0x10000000n]), RET.ALLOW);
    assert.equal(admin('mount'), RET.ALLOW);
    assert.equal(admin('clone3'), RET.ALLOW);
  });

  it('ptrace needs kernel 4.8; socket(AF_VSOCK) stays refused', () => {
    assert.equal(verdicts(DOCKER_DEFAULT_CAPS, '6.18.0')('ptrace'), RET.ALLOW);
    assert.equal(verdicts(DOCKER_DEFAULT_CAPS, '4.4.0')('ptrace'), EPERM);
    const v = verdicts(DOCKER_DEFAULT_CAPS);
    assert.equal(v('socket', [2n]), RET.ALLOW); // AF_INET
    assert.equal(v('socket', [40n]), EPERM); // AF_VSOCK
    assert.equal(v('socket', [44n]), RET.ALLOW);
  });

  it('compares kernel versions by major.minor', () => {
    assert.ok(kernelAtLeast('6.18.0-1-amd64', '4.8'));
    assert.ok(kernelAtLeast('4.8.0', '4.8'));
    assert.ok(!kernelAtLeast('4.7.10', '4.8'));
    assert.ok(!kernelAtLeast('3.10', '4.8'));
  });
});
