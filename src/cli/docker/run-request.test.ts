import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { isEngineError } from '../../errors/engine-error.js';
import { addRunOptions, describeRunError, parseRunArgv, type RunFlags } from './run-options.js';
import { buildRunRequest, RUN_ERROR, type RunRequestOptions } from './run-request.js';

/** What docker 20.10 sends for `docker create busybox` (captured from the real CLI). */
const DEFAULT_BODY = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: true,
  AttachStderr: true,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: 'busybox',
  Volumes: {},
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: {},
  HostConfig: {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    ConsoleSize: [0, 0],
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    KernelMemory: 0,
    KernelMemoryTCP: 0,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

const files: Record<string, string> = {
  '/env': 'A=file\n#c\nBARE\nMISSING\n',
  '/labels': 'l1=a\nbare\n',
  '/seccomp.json': '{ "defaultAction": "SCMP_ACT_ERRNO", "n": 1.50 }\n',
};
const opts = (extra: RunRequestOptions = {}): RunRequestOptions => ({
  env: { BARE: 'from-env', HOME: '/root' },
  readFile: (p) => {
    if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return Buffer.from(files[p]!);
  },
  ...extra,
});

/** Reads argv as `berth create …` would and builds the request. */
function create(argv: string[], extra: RunRequestOptions = {}) {
  const p = parseRunArgv(argv, 'create');
  return buildRunRequest(p.flags, p.image, p.args, opts({ command: 'create', ...extra }));
}
function run(argv: string[]) {
  const p = parseRunArgv(argv, 'run');
  return buildRunRequest(p.flags, p.image, p.args, opts({ command: 'run' }));
}
function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isEngineError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  assert.fail('expected an error');
}

describe('buildRunRequest', () => {
  it('sends every field docker sends, with its empty values, for a bare image', () => {
    const r = create(['busybox']);
    assert.deepEqual(r.body, DEFAULT_BODY);
    assert.deepEqual(r.query, {});
    // and in Go's field order, so the JSON text matches too
    assert.deepEqual(Object.keys(r.body), Object.keys(DEFAULT_BODY));
    assert.deepEqual(Object.keys(r.body.HostConfig), Object.keys(DEFAULT_BODY.HostConfig));
  });

  it('works from a partial flags object, with docker defaults for what is missing', () => {
    const r = buildRunRequest({}, 'busybox', [], { command: 'create', env: {} });
    assert.deepEqual(r.body, DEFAULT_BODY);
    assert.equal(r.client.pull, 'missing');
    assert.equal(r.client.disableContentTrust, true);
  });

  it('stops reading flags at the image: the rest is the command', () => {
    const r = create(['-i', 'busybox', 'ls', '-l', '--rm']);
    assert.deepEqual(r.body.Cmd, ['ls', '-l', '--rm']);
    assert.equal(r.body.HostConfig.AutoRemove, false);
  });

  it('sets the attach fields from -i, -a and -d as docker does', () => {
    const it = create(['-i', 'busybox']).body;
    assert.deepEqual([it.AttachStdin, it.AttachStdout, it.AttachStderr, it.OpenStdin, it.StdinOnce], [true, true, true, true, true]);
    const a = create(['-a', 'STDERR', 'busybox']).body;
    assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, false, true]);
    const d = run(['-d', '-i', 'busybox']);
    assert.deepEqual([d.body.AttachStdin, d.body.AttachStdout, d.body.AttachStderr, d.body.OpenStdin, d.body.StdinOnce], [false, false, false, true, false]);
    assert.deepEqual(d.client.attach, []);
    assert.equal(d.client.detach, true);
    // create has no -d: the attach fields stay (docker create ignores them until start)
    assert.deepEqual(create(['-i', 'busybox']).client.attach, ['stdin', 'stdout', 'stderr']);
  });

  it('returns the client-side options', () => {
    const r = run(['--rm', '-t', '--sig-proxy=false', '--detach-keys', 'ctrl-a', '--cidfile', '/tmp/cid', '--pull', 'never', '--name', 'web', 'busybox']);
    assert.deepEqual(r.client, {
      detach: false,
      interactive: false,
      tty: true,
      rm: true,
      attach: ['stdout', 'stderr'],
      sigProxy: false,
      detachKeys: 'ctrl-a',
      cidfile: '/tmp/cid',
      pull: 'never',
      disableContentTrust: true,
      warnings: [],
    });
    assert.equal(r.name, 'web');
    assert.deepEqual(r.query, { name: 'web' });
    assert.equal(r.body.HostConfig.ContainerIDFile, '/tmp/cid');
  });

  it('reads env and label files through the given reader, files first, then the flags', () => {
    const r = create(['--env-file', '/env', '-e', 'A=flag', '-e', 'BARE', '-e', 'NOPE', '--label-file', '/labels', '-l', 'l1=b', 'busybox']);
    assert.deepEqual(r.body.Env, ['A=file', 'BARE=from-env', 'A=flag', 'BARE=from-env', 'NOPE']);
    // a bare key in a label file is dropped (it is in an env file only when the variable is set)
    assert.deepEqual(r.body.Labels, { l1: 'b' });
  });

  it('sends a seccomp profile inline, compacted byte for byte', () => {
    const r = create(['--security-opt', 'seccomp=/seccomp.json', '--security-opt', 'systempaths=unconfined', 'busybox']);
    assert.deepEqual(r.body.HostConfig.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ERRNO","n":1.50}']);
    assert.deepEqual(r.body.HostConfig.MaskedPaths, []);
    assert.deepEqual(r.body.HostConfig.ReadonlyPaths, []);
  });

  it('converts sizes, CPUs, durations and counts', () => {
    const r = create(['-m', '512m', '--memory-swap', '-1', '--cpus', '1.5', '--shm-size', '64m', '--pids-limit', '-1', '--stop-timeout', '0', '--health-cmd', 'true', '--health-interval', '1m30s', 'busybox']);
    const h = r.body.HostConfig;
    assert.equal(h.Memory, 512 * 1024 * 1024);
    assert.equal(h.MemorySwap, -1);
    assert.equal(h.NanoCpus, 1_500_000_000);
    assert.equal(h.ShmSize, 64 * 1024 * 1024);
    assert.equal(h.PidsLimit, -1);
    assert.equal(r.body.StopTimeout, 0);
    assert.deepEqual(r.body.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 90e9 });
  });

  it('sends Init and the entrypoint only when the flag is given, even empty or false', () => {
    assert.equal('Init' in create(['busybox']).body.HostConfig, false);
    assert.equal(create(['--init=false', 'busybox']).body.HostConfig.Init, false);
    assert.deepEqual(create(['--entrypoint', '', 'busybox']).body.Entrypoint, ['']);
    assert.deepEqual(create(['--entrypoint=/bin/sh -c', 'busybox']).body.Entrypoint, ['/bin/sh -c']);
  });

  it('builds the network endpoint only when it carries something', () => {
    assert.deepEqual(create(['--network', 'net1', 'busybox']).body.NetworkingConfig, { EndpointsConfig: {} });
    const r = create(['--network', 'net1', '--network-alias', 'web', '--ip', '10.1.0.5', 'busybox']);
    assert.equal(r.body.HostConfig.NetworkMode, 'net1');
    const ep = r.body.NetworkingConfig.EndpointsConfig['net1']!;
    assert.deepEqual(ep.Aliases, ['web']);
    assert.deepEqual(ep.IPAMConfig, { IPv4Address: '10.1.0.5' });
  });

  it('warns as docker warns', () => {
    assert.deepEqual(create(['--oom-kill-disable', '--dns', '127.0.0.53', '--dns', '::1', 'busybox']).client.warnings, [
      "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.",
      'WARNING: Localhost DNS setting (--dns=127.0.0.53) may fail in containers.',
    ]);
    assert.deepEqual(create(['--oom-kill-disable', '-m', '1g', 'busybox']).client.warnings, []);
  });

  it('sends --platform, or $DOCKER_DEFAULT_PLATFORM, normalized', () => {
    assert.deepEqual(create(['--platform', 'linux/aarch64', 'busybox']).query, { platform: 'linux/arm64' });
    assert.deepEqual(create(['busybox'], { env: { DOCKER_DEFAULT_PLATFORM: 'linux/arm/7' } }).query, { platform: 'linux/arm/v7' });
    assert.deepEqual(create(['--platform', '', 'busybox'], { env: { DOCKER_DEFAULT_PLATFORM: 'linux' } }).query, {});
  });

  it("reports the first error in docker's order", () => {
    // --mac-address is checked before --memory-swappiness, which is before the ports
    assert.deepEqual(failure(() => create(['-p', 'x', '--memory-swappiness', '200', '--mac-address', 'x', 'busybox'])), {
      code: RUN_ERROR.options,
      message: 'x is not a valid mac address',
    });
    assert.deepEqual(failure(() => create(['-p', 'x', '--memory-swappiness', '200', 'busybox'])), {
      code: RUN_ERROR.options,
      message: 'invalid value: 200. Valid memory swappiness range is 0-100',
    });
    // flag values fail as they are read, before anything else
    assert.equal(failure(() => create(['--rm', '--restart', 'always', '-m', 'lots', 'busybox'])).code, RUN_ERROR.flag);
    assert.equal(failure(() => create(['--rm', '--restart', 'always', 'busybox'])).message, 'Conflicting options: --restart and --rm');
  });

  it('checks the values of a flags object that did not come through the reader', () => {
    const flags: RunFlags = { memory: '1x' };
    assert.deepEqual(failure(() => buildRunRequest(flags, 'busybox')), {
      code: RUN_ERROR.flag,
      message: `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`,
    });
    assert.equal(failure(() => buildRunRequest({}, undefined)).code, RUN_ERROR.args);
    assert.equal(failure(() => buildRunRequest({ cpuCount: '1' }, 'busybox')).code, RUN_ERROR.unsupported);
  });

  it('refuses a bad image reference after the options, as docker does', () => {
    assert.deepEqual(failure(() => create(['Busybox'])), { code: RUN_ERROR.create, message: 'invalid reference format: repository name must be lowercase' });
    assert.equal(create([`${'a'.repeat(64)}`]).body.Image, 'a'.repeat(64));
  });
});

describe('describeRunError', () => {
  const err = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  it("prints docker's texts with berth's name, and docker's exit codes", () => {
    assert.deepEqual(describeRunError(err(() => create(['-m', 'x', 'busybox'])), 'create'), {
      text: `invalid argument "x" for "-m, --memory" flag: invalid size: 'x'\nSee 'berth create --help'.\n`,
      exitCode: 125,
    });
    assert.deepEqual(describeRunError(err(() => create(['--restart', 'a:b', 'busybox'])), 'run'), {
      text: "berth: maximum retry count must be an integer.\nSee 'berth run --help'.\n",
      exitCode: 125,
    });
    assert.deepEqual(describeRunError(err(() => run(['-d', '-a', 'stdin', 'busybox'])), 'run'), { text: 'Conflicting options: -a and -d\n', exitCode: 1 });
    assert.equal(describeRunError(err(() => create([])), 'create').exitCode, 1);
    assert.equal(describeRunError(err(() => create(['UPPER'])), 'create').text, 'invalid reference format: repository name must be lowercase\n');
    assert.equal(describeRunError(err(() => create(['UPPER'])), 'run').exitCode, 125);
  });
});

describe('addRunOptions', () => {
  /** A program as the CLI builds it, with commander's exits and output captured. */
  function program(command: 'run' | 'create') {
    const out: string[] = [];
    const prog = new Command('berth')
      .exitOverride()
      .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) })
      .option('--data-root <dir>')
      .enablePositionalOptions();
    let got: { image: string | undefined; args: string[]; flags: RunFlags } | undefined;
    addRunOptions(prog.command(command), command).action((image: string | undefined, args: string[], flags: RunFlags) => {
      got = { image, args, flags };
    });
    const parse = (argv: string[]): { got: typeof got; out: string; exitCode?: number } => {
      got = undefined;
      out.length = 0;
      try {
        prog.parse(argv, { from: 'user' });
      } catch (e) {
        return { got, out: out.join(''), exitCode: (e as { exitCode: number }).exitCode };
      }
      return { got, out: out.join('') };
    };
    return parse;
  }

  it('hands the action the image, the command and the flags as read', () => {
    const parse = program('run');
    const { got } = parse(['--data-root', '/x', 'run', '-dit', '-v', '/a:/b', '--rm=false', '-e=A=1', 'busybox', 'ls', '-l']);
    assert.ok(got);
    assert.equal(got.image, 'busybox');
    assert.deepEqual(got.args, ['ls', '-l']);
    const set = Object.fromEntries(Object.entries(got.flags).filter(([, v]) => v !== undefined));
    assert.deepEqual(set, { detach: true, interactive: true, tty: true, volume: ['/a:/b'], rm: false, env: ['A=1'] });
    // a second parse starts afresh
    const again = parse(['run', 'alpine']).got!;
    assert.deepEqual(Object.entries(again.flags).filter(([, v]) => v !== undefined), []);
  });

  it("fails on bad flags with docker's text and exit code, before the action", () => {
    const parse = program('create');
    assert.deepEqual(parse(['create', '--bogus', 'busybox']), { got: undefined, out: "unknown flag: --bogus\nSee 'berth create --help'.\n", exitCode: 125 });
    assert.deepEqual(parse(['create', '-d', 'busybox']), { got: undefined, out: "unknown shorthand flag: 'd' in -d\nSee 'berth create --help'.\n", exitCode: 125 });
    const missing = parse(['create']);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.out, /^"berth create" requires at least 1 argument\.\nSee 'berth create --help'\.\n\nUsage: {2}berth create \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate a new container\n$/);
  });

  it('shows the help for --help only: -h is the hostname', () => {
    const parse = program('run');
    const help = parse(['run', '--help']);
    assert.equal(help.exitCode, 0);
    assert.match(help.out, /-h, --hostname <string>/);
    assert.match(help.out, /--sig-proxy\s+Proxy received signals to the\s+process\s+\(default true\)/);
    assert.doesNotMatch(help.out, /--cpu-count|--net /);
    assert.equal(parse(['run', '-h', 'box', 'busybox']).got?.flags.hostname, 'box');
  });
});
