import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../errors/engine-error.js';
import { parseSpec } from './parse-spec.js';

const base = (): Record<string, any> => ({
  ociVersion: '1.2.0',
  root: { path: 'rootfs' },
  process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] },
  linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }] },
});

function rejects(mutate: (c: Record<string, any>) => void, message: string): void {
  const c = base();
  mutate(c);
  assert.throws(() => parseSpec(c), (err: unknown) => {
    assert.ok(err instanceof EngineError);
    assert.equal(err.message, message);
    assert.equal(err.kind, 'InvalidArgument');
    return true;
  });
}

describe('parseSpec', () => {
  it('accepts a minimal config and keeps its fields', () => {
    const spec = parseSpec({ ...base(), hostname: 'h' });
    assert.equal(spec.hostname, 'h');
    assert.deepEqual(spec.process?.args, ['sh']);
    assert.equal(spec.linux?.namespaces?.length, 3);
  });

  it('names the field of an unknown namespace', () => {
    rejects((c) => c.linux.namespaces.push({ type: 'foo' }), 'linux.namespaces[3].type: unknown namespace "foo" (known: pid, network, mount, ipc, uts, user, cgroup, time)');
  });

  it('refuses a namespace listed twice', () => {
    rejects((c) => c.linux.namespaces.push({ type: 'pid' }), 'linux.namespaces[3].type: duplicate namespace "pid"');
  });

  it('requires a root', () => {
    rejects((c) => delete (c as Record<string, unknown>)['root'], 'root: is required: the container needs a root filesystem');
  });

  it('checks types with the path of the value', () => {
    rejects((c) => (c.process.user.uid = -1), 'process.user.uid: -1 is out of range [0, 4294967295]');
    rejects((c) => (c.process.args = 'sh' as never), 'process.args: must be an array, got the string "sh"');
    rejects((c) => (c.process.cwd = 'tmp'), 'process.cwd: must be an absolute path, got "tmp"');
  });

  it('refuses a hostname without a UTS namespace', () => {
    rejects((c) => {
      c.hostname = 'x';
      c.linux.namespaces = [{ type: 'mount' }];
    }, 'hostname: setting the hostname needs a private UTS namespace (add {"type": "uts"} to linux.namespaces)');
  });

  it('ties id mappings to a new user namespace', () => {
    rejects((c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), 'linux.uidMappings: id mappings need a new user namespace (add {"type": "user"} without a path to linux.namespaces)');
    rejects((c) => c.linux.namespaces.push({ type: 'user' }), 'linux.namespaces: a new user namespace needs both linux.uidMappings and linux.gidMappings');
  });

  it('allows only namespaced sysctls', () => {
    rejects((c) => (c.linux.sysctl = { 'vm.swappiness': '1' }), 'linux.sysctl.vm.swappiness: is not namespaced: it would change the host, so a container may not set it');
    rejects((c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), 'linux.sysctl.net.ipv4.ip_forward: needs a private network namespace (add {"type": "network"} to linux.namespaces)');
    assert.doesNotThrow(() => parseSpec({ ...base(), linux: { namespaces: [{ type: 'ipc' }, { type: 'mount' }], sysctl: { 'kernel.shmmax': '1' } } }));
  });

  it('checks rlimits and capabilities by name', () => {
    rejects((c) => ((c.process as Record<string, unknown>)['rlimits'] = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), 'process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"');
    rejects((c) => ((c.process as Record<string, unknown>)['rlimits'] = [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]), 'process.rlimits[0]: soft limit 2 is above hard limit 1');
    rejects((c) => ((c.process as Record<string, unknown>)['capabilities'] = { bounding: ['CAP_FLY'] }), 'process.capabilities.bounding[0]: unknown capability "CAP_FLY"');
  });

  it('reads 2^64-1 rlimits as unlimited', () => {
    const c = base() as Record<string, any>;
    c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }];
    assert.equal(parseSpec(c).process?.rlimits?.[0]?.hard, Number.POSITIVE_INFINITY);
  });

  it('refuses unknown hook kinds and relative hook paths', () => {
    rejects((c) => (c.hooks = { prestrat: [] }), 'hooks.prestrat: unknown hook kind (known: prestart, createRuntime, createContainer, startContainer, poststart, poststop)');
    rejects((c) => (c.hooks = { prestart: [{ path: 'hook' }] }), 'hooks.prestart[0].path: must be an absolute path, got "hook"');
  });
});
