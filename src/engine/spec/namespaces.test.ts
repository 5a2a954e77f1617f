import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import type { SpecInput } from './input.js';
import { buildSysctls, decideNamespaces, namespaceList } from './namespaces.js';
import { fakeHost } from './testing.js';
import type { HostConfig } from './types.js';

const list = (hc: HostConfig, given?: SpecInput['namespaces'], cgroupV2 = false) => namespaceList(decideNamespaces(hc, given, { cgroupV2 }));
const sysctls = (hc: HostConfig, given?: SpecInput['namespaces'], exists = () => true) => buildSysctls(hc, decideNamespaces(hc, given, { cgroupV2: false }), fakeHost({ sysctlExists: exists }));
const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.match(err.message, message);
    return true;
  });
};

describe('namespaces', () => {
  it('mount, network, uts, pid, ipc of its own by default; no user or cgroup namespace on cgroup v1', () => {
    assert.deepEqual(list({}), [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  });
  it('--network none and bridge still make one', () => {
    assert.equal(list({ NetworkMode: 'none' })[1]!.type, 'network');
    assert.equal(list({ NetworkMode: 'bridge' })[1]!.type, 'network');
  });
  it('host modes leave theirs out', () => {
    assert.deepEqual(list({ NetworkMode: 'host', PidMode: 'host', IpcMode: 'host', UTSMode: 'host' }).map((n) => n.type), ['mount']);
  });
  it('container modes join the path the engine gives, and need one', () => {
    const ns = list({ NetworkMode: 'container:a', PidMode: 'container:b', IpcMode: 'container:c' }, { network: { path: '/proc/1/ns/net' }, pid: { path: '/proc/2/ns/pid' }, ipc: { path: '/proc/3/ns/ipc' } });
    assert.deepEqual(ns, [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'uts' }, { type: 'pid', path: '/proc/2/ns/pid' }, { type: 'ipc', path: '/proc/3/ns/ipc' }]);
    refused(() => list({ PidMode: 'container:b' }), 'NO_NAMESPACE_PATH', /SpecInput\.namespaces\.pid/);
  });
  it('the engine\'s choice wins over the mode', () => {
    assert.deepEqual(list({ NetworkMode: 'bridge' }, { network: { path: '/run/berth/netns/x' } })[1], { type: 'network', path: '/run/berth/netns/x' });
    assert.ok(!list({}, { uts: 'host' }).some((n) => n.type === 'uts'));
  });
  it('a cgroup namespace with CgroupnsMode private, and by default on cgroup v2', () => {
    assert.deepEqual(list({ CgroupnsMode: 'private' }).at(-1), { type: 'cgroup' });
    assert.deepEqual(list({}, undefined, true).at(-1), { type: 'cgroup' });
    assert.ok(!list({ CgroupnsMode: 'host' }, undefined, true).some((n) => n.type === 'cgroup'));
  });
  it('refuses unknown IPC and cgroup namespace modes', () => {
    refused(() => list({ IpcMode: 'weird' }), 'BAD_IPC_MODE', /^Invalid IPC mode: weird$/);
    refused(() => list({ CgroupnsMode: 'weird' }), 'BAD_CGROUPNS_MODE', /^invalid cgroup namespace mode: weird$/);
    for (const mode of ['private', 'shareable', 'none', 'host', '']) assert.doesNotThrow(() => list({ IpcMode: mode }));
  });
});

describe('sysctls', () => {
  const DEFAULTS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' };
  it('Docker\'s two network defaults in a network namespace of its own, where the kernel has them', () => {
    assert.deepEqual(sysctls({}).sysctl, DEFAULTS);
    assert.deepEqual(sysctls({ NetworkMode: 'none' }).sysctl, DEFAULTS);
    assert.deepEqual(sysctls({}, undefined, () => false).sysctl, {});
    assert.deepEqual(sysctls({ NetworkMode: 'host' }).sysctl, {});
    assert.deepEqual(sysctls({ NetworkMode: 'container:x' }, { network: { path: '/proc/9/ns/net' } }).sysctl, {});
  });
  it('HostConfig.Sysctls over them', () => {
    const s = sysctls({ Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100000', 'fs.mqueue.msg_max': '100' } }).sysctl;
    assert.deepEqual(s, { ...DEFAULTS, 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100000', 'fs.mqueue.msg_max': '100' });
  });
  it('net.* in a joined network namespace is fine', () => {
    assert.equal(sysctls({ NetworkMode: 'container:x', Sysctls: { 'net.core.somaxconn': '1' } }, { network: { path: '/proc/9/ns/net' } }).sysctl['net.core.somaxconn'], '1');
  });
  it('refuses what would change the host, with runc\'s messages', () => {
    refused(() => sysctls({ NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } }), 'BAD_SYSCTL', /^sysctl "net.ipv4.ip_forward" not allowed in host network namespace$/);
    refused(() => sysctls({ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }), 'BAD_SYSCTL', /^sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace$/);
    refused(() => sysctls({ IpcMode: 'host', Sysctls: { 'fs.mqueue.queues_max': '1' } }), 'BAD_SYSCTL', /hosts ipc namespace/);
    refused(() => sysctls({ Sysctls: { 'vm.swappiness': '1' } }), 'BAD_SYSCTL', /^sysctl "vm.swappiness" is not in a separate kernel namespace$/);
    refused(() => sysctls({ Sysctls: { 'kernel.hostname': 'x' } }), 'BAD_SYSCTL', /conflicts with the OCI "hostname" field/);
    refused(() => sysctls({ Sysctls: { 'kernel.msgmaxx': '1' } }), 'BAD_SYSCTL', /not in a separate kernel namespace/);
  });
  it('kernel.domainname becomes the domain name, refused in the host\'s UTS namespace', () => {
    const r = sysctls({ Sysctls: { 'kernel.domainname': 'example.org' } });
    assert.equal(r.domainname, 'example.org');
    assert.equal(r.sysctl['kernel.domainname'], undefined);
    refused(() => sysctls({ UTSMode: 'host', Sysctls: { 'kernel.domainname': 'x' } }), 'BAD_SYSCTL', /UTS namespace/);
  });
});
