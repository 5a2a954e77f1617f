import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../security/defaults.js';
import { DOCKER_ALL_CAPABILITIES, parseSecurityOpt, processCapabilities, seccompFor, tweakCapabilities } from './security.js';

const refused = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, message);
    return true;
  });
};

describe('tweakCapabilities', () => {
  it('Docker\'s 14 when nothing is asked', () => {
    assert.deepEqual(tweakCapabilities(undefined, null, false), [...DOCKER_DEFAULT_CAPABILITIES]);
  });
  it('drops, then appends adds; names with or without CAP_, any case', () => {
    const caps = tweakCapabilities(['SYS_ADMIN'], ['net_raw'], false);
    assert.ok(!caps.includes('CAP_NET_RAW'));
    assert.equal(caps.at(-1), 'CAP_SYS_ADMIN');
    assert.equal(caps.length, 14);
    assert.deepEqual(tweakCapabilities(['cap_sys_time', 'Sys_Nice'], [], false).slice(-2), ['CAP_SYS_TIME', 'CAP_SYS_NICE']);
  });
  it('keeps a duplicate add, as dockerd does', () => {
    assert.equal(tweakCapabilities(['CHOWN'], [], false).filter((c) => c === 'CAP_CHOWN').length, 2);
  });
  it('--cap-add ALL: everything in number order but the drops', () => {
    const caps = tweakCapabilities(['ALL'], ['CHOWN'], false);
    assert.deepEqual(caps, DOCKER_ALL_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'));
    assert.equal(caps[0], 'CAP_DAC_OVERRIDE');
  });
  it('--cap-drop ALL: only the adds', () => {
    assert.deepEqual(tweakCapabilities(['cap_kill'], ['all'], false), ['CAP_KILL']);
    assert.deepEqual(tweakCapabilities([], ['ALL'], false), []);
  });
  it('privileged: all 38 capabilities dockerd 20.10 knows, up to CAP_AUDIT_READ', () => {
    const caps = tweakCapabilities(['NOPE'], [], true);
    assert.equal(caps.length, 38);
    assert.deepEqual([caps[0], caps.at(-1)], ['CAP_CHOWN', 'CAP_AUDIT_READ']);
    assert.ok(!caps.includes('CAP_BPF'));
  });
  it('refuses unknown names, and the capabilities newer than 20.10', () => {
    refused(() => tweakCapabilities(['BPF'], [], false), 'UNKNOWN_CAPABILITY', /^invalid CapAdd: unknown capability: "CAP_BPF"$/);
    refused(() => tweakCapabilities([], ['FOO'], false), 'UNKNOWN_CAPABILITY', /^invalid CapDrop: unknown capability: "CAP_FOO"$/);
  });
});

describe('processCapabilities', () => {
  it('root gets bounding, effective and permitted; anyone else only bounding', () => {
    assert.deepEqual(processCapabilities(['CAP_KILL'], 0), { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] });
    assert.deepEqual(processCapabilities(['CAP_KILL'], 1000), { bounding: ['CAP_KILL'] });
  });
});

describe('parseSecurityOpt', () => {
  it('reads no-new-privileges, seccomp, apparmor, label, with = or the old :', () => {
    assert.deepEqual(parseSecurityOpt(['no-new-privileges', 'seccomp=unconfined', 'apparmor:docker-default', 'label=level:s0', 'disable']), {
      noNewPrivileges: true,
      seccomp: 'unconfined',
      apparmor: 'docker-default',
      labels: ['level:s0', 'disable'],
    });
    assert.equal(parseSecurityOpt(['no-new-privileges=true', 'no-new-privileges=0']).noNewPrivileges, false);
    assert.equal(parseSecurityOpt(['no-new-privileges=T']).noNewPrivileges, true);
    assert.deepEqual(parseSecurityOpt(null), { noNewPrivileges: false, seccomp: '', labels: [] });
  });
  it('keeps a profile\'s JSON whole, "=" and ":" inside it included', () => {
    assert.equal(parseSecurityOpt(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, '{"defaultAction":"SCMP_ACT_ALLOW"}');
  });
  it('refuses what dockerd refuses, with its messages', () => {
    refused(() => parseSecurityOpt(['bogus']), 'BAD_SECURITY_OPT', /^invalid --security-opt 1: "bogus"$/);
    refused(() => parseSecurityOpt(['foo=bar']), 'BAD_SECURITY_OPT', /^invalid --security-opt 2: "foo=bar"$/);
    refused(() => parseSecurityOpt(['no-new-privileges=maybe']), 'BAD_SECURITY_OPT', /invalid --security-opt 2/);
    refused(() => parseSecurityOpt(['systempaths=unconfined']), 'BAD_SECURITY_OPT', /invalid --security-opt 2/);
  });
});

describe('seccompFor', () => {
  const ctx = { privileged: false, capabilities: [...DOCKER_DEFAULT_CAPABILITIES], kernel: '6.1.0' };
  it('none for unconfined or privileged', () => {
    assert.equal(seccompFor('unconfined', ctx), undefined);
    assert.equal(seccompFor('', { ...ctx, privileged: true }), undefined);
  });
  it('Docker\'s default otherwise', () => {
    assert.equal(seccompFor('', ctx)?.defaultAction, 'SCMP_ACT_ERRNO');
  });
  it('a profile with neither default action nor rules is no filter', () => {
    assert.equal(seccompFor('{}', ctx), undefined);
  });
  it('refuses profiles dockerd cannot decode or that mix forms', () => {
    refused(() => seccompFor('{nope', ctx), 'BAD_SECCOMP_PROFILE', /^Decoding seccomp profile failed: /);
    refused(() => seccompFor('[]', ctx), 'BAD_SECCOMP_PROFILE', /Decoding seccomp profile failed/);
    refused(() => seccompFor(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }), ctx), 'BAD_SECCOMP_PROFILE', /'architectures' and 'archMap'/);
    refused(() => seccompFor(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }] }), ctx), 'BAD_SECCOMP_PROFILE', /'name' and 'names'/);
  });
});
