import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDeviceCgroupRule, parseDevice, parseGpus, parseThrottleBps, parseThrottleIops, parseWeightDevice } from './devices.js';
import { buildEndpoints, checkExtraHost, checkLink, normalizeDns, normalizeDnsSearch, parseNetworkOpt } from './network.js';
import { checkModes, checkSysctl, formatPlatform, hostArch, normalizeAttach, parseRestartPolicy, parseSecurityOpts, parseStorageOpts } from './policy.js';

describe('devices', () => {
  it('reads --device as the CLI does for a Linux daemon', () => {
    assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
    assert.deepEqual(parseDevice('/dev/sda:/dev/xvda:r'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' });
    assert.deepEqual(parseDevice('/dev/null:rw'), { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rw' });
    assert.deepEqual(parseDevice('/dev/a/../b:/dev/x/./y'), { PathOnHost: '/dev/a/../b', PathInContainer: '/dev/x/y', CgroupPermissions: 'rwm' });
    assert.throws(() => parseDevice('relative'), { message: 'relative is not an absolute path' });
    assert.throws(() => parseDevice('/a:/b:rr'), { message: 'bad mode specified: rr' });
    assert.throws(() => parseDevice('/a:/b:r:x'), { message: 'bad format for path: /a:/b:r:x' });
    assert.throws(() => parseDevice(':/b'), { message: 'bad format for path: :/b' });
  });
  it('reads cgroup rules, weights and throttles', () => {
    assert.equal(checkDeviceCgroupRule('c 1:3 mr'), 'c 1:3 mr');
    assert.equal(checkDeviceCgroupRule('a *:* rwm'), 'a *:* rwm');
    assert.throws(() => checkDeviceCgroupRule('c 1:3'), { message: "invalid device cgroup format 'c 1:3'" });
    assert.deepEqual(parseWeightDevice('/dev/sda:200'), { Path: '/dev/sda', Weight: 200 });
    assert.deepEqual(parseWeightDevice('/dev/sda:0'), { Path: '/dev/sda', Weight: 0 });
    assert.throws(() => parseWeightDevice('/dev/sda:5'), { message: 'invalid weight for device: /dev/sda:5' });
    assert.throws(() => parseWeightDevice('sda:5'), { message: 'bad format for device path: sda:5' });
    assert.throws(() => parseWeightDevice('/dev/sda'), { message: 'bad format: /dev/sda' });
    assert.deepEqual(parseThrottleBps('/dev/sda:1mb'), { Path: '/dev/sda', Rate: 2 ** 20 });
    assert.deepEqual(parseThrottleIops('/dev/sda:1000'), { Path: '/dev/sda', Rate: 1000 });
    assert.throws(() => parseThrottleIops('/dev/sda:1k'), { message: 'invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer' });
  });
  it('reads --gpus', () => {
    assert.deepEqual(parseGpus('all'), { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} });
    assert.deepEqual(parseGpus('"device=0,1"'), { Driver: '', Count: 0, DeviceIDs: ['0', '1'], Capabilities: [['gpu']], Options: {} });
    assert.deepEqual(parseGpus('driver=nvidia,"capabilities=compute,utility"'), { Driver: 'nvidia', Count: 1, DeviceIDs: null, Capabilities: [['compute', 'utility', 'gpu']], Options: {} });
    assert.throws(() => parseGpus('all,count=2'), { message: "gpu request key 'count' can be specified only once" });
    assert.throws(() => parseGpus('count=x'), { message: 'count must be an integer: strconv.Atoi: parsing "x": invalid syntax' });
  });
});

describe('network options', () => {
  it('reads --network in both forms', () => {
    assert.deepEqual(parseNetworkOpt('bridge'), { target: 'bridge', aliases: [] });
    assert.deepEqual(parseNetworkOpt('container:abc'), { target: 'container:abc', aliases: [] });
    assert.deepEqual(parseNetworkOpt('name=MyNet,alias=A,alias=b,ip=10.0.0.1,driver-opt=K=V'), {
      target: 'mynet',
      aliases: ['a', 'b'],
      ipv4: '10.0.0.1',
      driverOpts: { k: 'v' },
    });
    assert.throws(() => parseNetworkOpt('alias=a'), { message: 'network name/id is not specified' });
    assert.throws(() => parseNetworkOpt('name=a,x=y'), { message: 'invalid field key x' });
  });
  it('builds endpoints for the first network and refuses mixes', () => {
    const none = { aliases: [], links: [], ipv4: '', ipv6: '', linkLocalIPs: [] };
    assert.deepEqual(buildEndpoints([{ target: 'n', aliases: [] }], none), {});
    assert.deepEqual(buildEndpoints([], { ...none, aliases: ['ignored'] }), {});
    const two = buildEndpoints([{ target: 'a', aliases: [] }, { target: 'b', aliases: [] }], none);
    assert.deepEqual(Object.keys(two), ['a', 'b']);
    assert.equal(two['a']!.Aliases, null);
    assert.throws(() => buildEndpoints([{ target: 'host', aliases: [] }], { ...none, aliases: ['x'] }), { message: 'network-scoped aliases are only supported for user-defined networks' });
    assert.throws(() => buildEndpoints([{ target: 'bridge', aliases: [] }], { ...none, links: ['x'] }), { message: 'links are only supported for user-defined networks' });
    assert.throws(() => buildEndpoints([{ target: 'a', aliases: [] }, { target: 'none', aliases: [] }], none), {
      message: 'conflicting options: cannot attach both user-defined and non-user-defined network-modes',
    });
    assert.throws(() => buildEndpoints([{ target: 'a', aliases: [] }, { target: 'a', aliases: [] }], none), { message: 'network "a" is specified multiple times' });
    assert.throws(() => buildEndpoints([{ target: 'a', aliases: [], ipv4: '1.1.1.1' }], { ...none, ipv4: '2.2.2.2' }), {
      message: 'conflicting options: cannot specify both --ip and per-network IPv4 address',
    });
  });
  it('reads --dns, --dns-search, --add-host and --link', () => {
    assert.equal(normalizeDns(' 2001:DB8::1 '), '2001:db8::1');
    assert.throws(() => normalizeDns('nope'), { message: 'nope is not an ip address' });
    assert.equal(normalizeDnsSearch('example.com.'), 'example.com');
    assert.equal(normalizeDnsSearch(' . '), '.');
    assert.throws(() => normalizeDnsSearch('-bad-'), { message: '-bad- is not a valid domain' });
    assert.throws(() => normalizeDnsSearch('123'), { message: '123 is not a valid domain' });
    assert.equal(checkExtraHost('db:10.0.0.2'), 'db:10.0.0.2');
    assert.equal(checkExtraHost('v6:::1'), 'v6:::1');
    assert.equal(checkExtraHost('gw:host-gateway'), 'gw:host-gateway');
    assert.throws(() => checkExtraHost(':1.1.1.1'), { message: 'bad format for add-host: ":1.1.1.1"' });
    assert.throws(() => checkExtraHost('db:x'), { message: 'invalid IP address in add-host: "x"' });
    assert.equal(checkLink('a:b'), 'a:b');
    assert.throws(() => checkLink('a:b:c'), { message: 'bad format for links: a:b:c' });
  });
});

describe('policies and modes', () => {
  it('reads --restart syntax (names are the daemon’s to check)', () => {
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('foo'), { Name: 'foo', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy(''), { Name: '', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy('a:b:c'), { message: 'invalid restart policy format' });
    assert.throws(() => parseRestartPolicy('on-failure:x'), { message: 'maximum retry count must be an integer' });
  });
  it('reads --security-opt, inlining a seccomp profile', () => {
    const read = (p: string): Buffer => {
      if (p === '/p.json') return Buffer.from('{ "a" : [1, 2] }');
      throw Object.assign(new Error('no'), { code: 'ENOENT' });
    };
    assert.deepEqual(parseSecurityOpts(['seccomp:/p.json', 'seccomp=unconfined', 'label=disable', 'no-new-privileges'], read), {
      securityOpt: ['seccomp={"a":[1,2]}', 'seccomp=unconfined', 'label=disable', 'no-new-privileges'],
      maskedPaths: null,
      readonlyPaths: null,
    });
    assert.deepEqual(parseSecurityOpts(['systempaths=unconfined'], read), { securityOpt: [], maskedPaths: [], readonlyPaths: [] });
    assert.deepEqual(parseSecurityOpts([], read), { securityOpt: null, maskedPaths: null, readonlyPaths: null });
    assert.throws(() => parseSecurityOpts(['foo'], read), { message: 'Invalid --security-opt: "foo"' });
    assert.throws(() => parseSecurityOpts(['seccomp=/x'], read), { message: 'opening seccomp profile (/x) failed: open /x: no such file or directory' });
  });
  it('reads storage options, sysctls, attach streams and modes', () => {
    assert.deepEqual(parseStorageOpts(['size=10G', 'a=b=c']), { size: '10G', a: 'b=c' });
    assert.throws(() => parseStorageOpts(['size']), { message: 'invalid storage option' });
    assert.equal(checkSysctl('net.ipv4.ip_forward=1'), 'net.ipv4.ip_forward=1');
    assert.equal(checkSysctl('kernel.shm_rmid_forced=1'), 'kernel.shm_rmid_forced=1');
    assert.throws(() => checkSysctl('kernel.foo=1'), { message: "sysctl 'kernel.foo=1' is not whitelisted" });
    assert.throws(() => checkSysctl('net.x'), { message: "sysctl 'net.x' is not whitelisted" });
    assert.equal(normalizeAttach('STDIN'), 'stdin');
    assert.throws(() => normalizeAttach('x'), { message: 'valid streams are STDIN, STDOUT and STDERR' });
    checkModes({ pid: 'container:x', uts: 'host', userns: 'host', cgroupns: 'private' });
    assert.throws(() => checkModes({ pid: 'container:', uts: '', userns: '', cgroupns: '' }), { message: '--pid: invalid PID mode' });
    assert.throws(() => checkModes({ pid: '', uts: 'x', userns: '', cgroupns: '' }), { message: '--uts: invalid UTS mode' });
    assert.throws(() => checkModes({ pid: '', uts: '', userns: 'x', cgroupns: '' }), { message: '--userns: invalid USER mode' });
    assert.throws(() => checkModes({ pid: '', uts: '', userns: '', cgroupns: 'x' }), { message: '--cgroupns: invalid CGROUP mode' });
  });
  it('normalizes --platform as containerd does', () => {
    assert.equal(formatPlatform('linux/amd64'), 'linux/amd64');
    assert.equal(formatPlatform('Linux/x86_64'), 'linux/amd64');
    assert.equal(formatPlatform('linux/arm'), 'linux/arm');
    assert.equal(formatPlatform('linux/arm/7'), 'linux/arm/v7');
    assert.equal(formatPlatform('linux/aarch64'), 'linux/arm64');
    // containerd gives arm64 the variant v8 back when a variant was written
    assert.equal(formatPlatform('linux/arm64/v8'), 'linux/arm64/v8');
    assert.equal(formatPlatform('arm64'), 'linux/arm64');
    assert.equal(formatPlatform('linux'), `linux/${hostArch()}`);
    assert.throws(() => formatPlatform('foo'), { message: 'error parsing specified platform: "foo": unknown operating system or architecture: invalid argument' });
    assert.throws(() => formatPlatform('linux/*'), { message: 'error parsing specified platform: "linux/*": wildcards not yet supported: invalid argument' });
    assert.throws(() => formatPlatform('a/b/c/d'), { message: 'error parsing specified platform: "a/b/c/d": cannot parse platform specifier: invalid argument' });
  });
});
