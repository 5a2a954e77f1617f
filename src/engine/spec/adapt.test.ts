import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../security/defaults.js';
import { adaptHostConfig, withCreateDefaults, type AdaptHost } from './adapt.js';
import type { HostConfig } from './types.js';

const HOST: AdaptHost = { cgroupV2: false, numCpus: 2 };
const adapt = (hc: HostConfig, host: Partial<AdaptHost> = {}) => adaptHostConfig(hc, { ...HOST, ...host });
const refused = (hc: HostConfig, message: RegExp, host: Partial<AdaptHost> = {}, code = 'BAD_HOST_CONFIG'): void => {
  assert.throws(() => adapt(hc, host), (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, message);
    return true;
  });
};

describe('withCreateDefaults: what dockerd 20.10 stored in HostConfig (docker inspect)', () => {
  it('ShmSize 64 MiB, IpcMode private, CgroupnsMode host on cgroup v1, OomKillDisable false, Docker\'s paths', () => {
    const hc = withCreateDefaults({}, { cgroupV2: false });
    assert.deepEqual(hc, {
      ShmSize: 67108864,
      IpcMode: 'private',
      CgroupnsMode: 'host',
      OomKillDisable: false,
      MaskedPaths: [...DOCKER_MASKED_PATHS],
      ReadonlyPaths: [...DOCKER_READONLY_PATHS],
    });
  });
  it('private cgroup namespace on cgroup v2, privileged or not', () => {
    assert.equal(withCreateDefaults({}, { cgroupV2: true }).CgroupnsMode, 'private');
    assert.equal(withCreateDefaults({ Privileged: true }, { cgroupV2: true }).CgroupnsMode, 'private');
    assert.equal(withCreateDefaults({ Privileged: true }, { cgroupV2: false }).CgroupnsMode, 'host');
  });
  it('swap twice the memory only when the memory is limited and swap unset', () => {
    assert.equal(withCreateDefaults({ Memory: 64 << 20 }, HOST).MemorySwap, 128 << 20);
    assert.equal(withCreateDefaults({ Memory: 64 << 20, MemorySwap: -1 }, HOST).MemorySwap, -1);
    assert.equal(withCreateDefaults({}, HOST).MemorySwap, undefined);
  });
  it('privileged: no default masked or read-only paths; given ones and [] (systempaths=unconfined) are kept', () => {
    const p = withCreateDefaults({ Privileged: true }, HOST);
    assert.equal(p.MaskedPaths, undefined);
    assert.equal(p.ReadonlyPaths, undefined);
    assert.deepEqual(withCreateDefaults({ MaskedPaths: [], ReadonlyPaths: ['/x'] }, HOST), { ...withCreateDefaults({}, HOST), MaskedPaths: [], ReadonlyPaths: ['/x'] });
  });
  it('a pids limit of 0 or -1 is no limit, swappiness -1 unset', () => {
    assert.equal(withCreateDefaults({ PidsLimit: 0 }, HOST).PidsLimit, null);
    assert.equal(withCreateDefaults({ PidsLimit: -1 }, HOST).PidsLimit, null);
    assert.equal(withCreateDefaults({ PidsLimit: 5 }, HOST).PidsLimit, 5);
    assert.equal(withCreateDefaults({ MemorySwappiness: -1 }, HOST).MemorySwappiness, null);
  });
  it('is idempotent and leaves its argument alone', () => {
    const input: HostConfig = { Memory: 64 << 20, PidsLimit: -1 };
    const once = withCreateDefaults(input, HOST);
    assert.deepEqual(withCreateDefaults(once, HOST), once);
    assert.deepEqual(input, { Memory: 64 << 20, PidsLimit: -1 });
  });
});

describe('adaptHostConfig: dockerd\'s create-time checks', () => {
  it('applies the defaults and has no warning for a plain container', () => {
    assert.deepEqual(adapt({ NetworkMode: 'default' }), { hostConfig: { NetworkMode: 'default', ...withCreateDefaults({}, HOST) }, warnings: [] });
  });
  it('memory', () => {
    refused({ Memory: 1 << 20 }, /^Minimum memory limit allowed is 6MB$/);
    refused({ Memory: 64 << 20, MemorySwap: 32 << 20 }, /^Minimum memoryswap limit should be larger than memory limit, see usage$/);
    refused({ MemorySwap: 64 << 20 }, /^You should always set the Memory limit when using Memoryswap limit, see usage$/);
    refused({ MemorySwappiness: 101 }, /^Invalid value: 101, valid memory swappiness range is 0-100$/);
    refused({ MemoryReservation: 1 << 20 }, /^Minimum memory reservation allowed is 6MB$/);
    refused({ Memory: 16 << 20, MemoryReservation: 32 << 20 }, /^Minimum memory limit can not be less than memory reservation limit, see usage$/);
    refused({ KernelMemory: 1 << 20 }, /^Minimum kernel memory limit allowed is 6MB$/);
  });
  it('memory warnings', () => {
    const noSwap = adapt({ Memory: 64 << 20 }, { swapLimit: false });
    assert.equal(noSwap.hostConfig.MemorySwap, -1);
    assert.deepEqual(noSwap.warnings, ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
    assert.deepEqual(adapt({ OomKillDisable: true }).warnings, ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
    assert.deepEqual(adapt({ KernelMemory: 8 << 20 }).warnings, ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
  });
  it('cpu', () => {
    refused({ NanoCpus: 1e9, CpuPeriod: 100000 }, /^Conflicting options: Nano CPUs and CPU Period cannot both be set$/);
    refused({ NanoCpus: 1e9, CpuQuota: 50000 }, /^Conflicting options: Nano CPUs and CPU Quota cannot both be set$/);
    refused({ NanoCpus: 3e9 }, /^Range of CPUs is from 0\.01 to 2\.00, as there are only 2 CPUs available$/);
    refused({ CpuPeriod: 999 }, /^CPU cfs period can not be less than 1ms \(i\.e\. 1000\) or larger than 1s \(i\.e\. 1000000\)$/);
    refused({ CpuQuota: 999 }, /^CPU cfs quota can not be less than 1ms \(i\.e\. 1000\)$/);
    refused({ NanoCpus: 1e9 }, /CPU CFS scheduler/, { cpuCfs: false });
    assert.deepEqual(adapt({ NanoCpus: 1.5e9 }).warnings, []);
    assert.deepEqual(adapt({ CpuPercent: 50 }).warnings, ['linux does not support CPU percent. Percent discarded.']);
  });
  it('block I/O', () => {
    refused({ BlkioWeight: 5 }, /^Range of blkio weight is from 10 to 1000$/);
    const w = adapt({ BlkioWeight: 300 }, { blkioWeight: false });
    assert.equal(w.hostConfig.BlkioWeight, 0);
    assert.match(w.warnings[0]!, /Block I\/O weight/);
    refused({ IOMaximumIOps: 5 }, /does not support Maximum IO Bandwidth or Maximum IO IOps/);
  });
  it('the rest of HostConfig', () => {
    refused({ ShmSize: -1 }, /^SHM size can not be less than 0$/);
    refused({ OomScoreAdj: 1001 }, /^Invalid value 1001, range for oom score adj is \[-1000, 1000\]$/);
    refused({ Tmpfs: { rel: '' } }, /^invalid mount path: 'rel' mount path must be absolute$/);
    refused({ Tmpfs: { '/': '' } }, /^invalid specification: destination can't be '\/'$/);
    refused({ CgroupnsMode: 'both' }, /^invalid cgroup namespace mode: both$/);
    refused({ AutoRemove: true, RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }, /^can't create 'AutoRemove' container with restart policy$/);
    refused({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }, /^maximum retry count cannot be used with restart policy 'always'$/);
    refused({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }, /^maximum retry count cannot be negative$/);
    refused({ RestartPolicy: { Name: 'sometimes', MaximumRetryCount: 0 } }, /^invalid restart policy 'sometimes'$/);
    refused({ CapAdd: ['FOO'] }, /invalid CapAdd: unknown capability: "CAP_FOO"/, {}, 'UNKNOWN_CAPABILITY');
    refused({ SecurityOpt: ['foo'] }, /invalid --security-opt 1/, {}, 'BAD_SECURITY_OPT');
    assert.deepEqual(adapt({ NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }).warnings, ['Published ports are discarded when using host network mode']);
    assert.doesNotThrow(() => adapt({ AutoRemove: true, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } }));
  });
});
