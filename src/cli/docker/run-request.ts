import { readFileSync } from 'node:fs';
import type { ContainerConfig, HealthConfig, HostConfig, Ulimit } from '../../engine/spec/types.js';
import { EngineError, isEngineError } from '../../errors/engine-error.js';
import { parseAnyReference } from '../../image/reference.js';
import { parseDevice, parseGpus, parseThrottleBps, parseThrottleIops, parseWeightDevice } from './parse/devices.js';
import { flagsOf, flagDisplayName, RUN_FLAGS, specOf, type RunFlags } from './parse/flag-table.js';
import { goQuote, parseGoDuration, parseGoInt, parseGoUint, sortedRecord, ValueError } from './parse/go.js';
import { buildEnv, buildLabels, expandEnv, kvMap, type Lookup, type ReadFile } from './parse/kv.js';
import { parseMount, splitTmpfs, volumeHasSource } from './parse/mounts.js';
import { buildEndpoints, checkMac, normalizeDns, normalizeDnsSearch, parseNetworkOpt, type NetworkingConfig } from './parse/network.js';
import { checkModes, formatPlatform, normalizeAttach, parseRestartPolicy, parseSecurityOpts, parseStorageOpts, restartIsNone } from './parse/policy.js';
import { parsePorts } from './parse/ports.js';
import { memSwapBytes, parseNanoCpus, parseUlimit, ramInBytes } from './parse/units.js';

export type { RunFlags } from './parse/flag-table.js';
export type { EndpointSettings, NetworkingConfig } from './parse/network.js';

/**
 * `berth run` / `berth create` flags → the `POST /containers/create` request
 * the docker 20.10 CLI sends for the same command line: the body
 * `{...Config, HostConfig, NetworkingConfig}` with every field docker sends
 * (empty ones included, as Go's JSON writes them), the `name` and
 * `platform` query parameters, and what the client itself does with the
 * rest (attach, detach, --rm, signal proxying, warnings to print).
 *
 * The conversion follows the CLI's order, so when several things are wrong
 * the one reported is the one docker reports. It reads files (--env-file,
 * --label-file, a seccomp profile) and environment variables (-e KEY) only
 * through the functions it is given.
 */

/** The create body: the Config's fields at the top level, HostConfig and NetworkingConfig beside them. */
export type CreateBody = ContainerConfig & { HostConfig: HostConfig; NetworkingConfig: NetworkingConfig };

export type Stream = 'stdin' | 'stdout' | 'stderr';

export interface RunClientOptions {
  /** -d (run only): start and print the ID, attach nothing */
  detach: boolean;
  /** -i: keep stdin open */
  interactive: boolean;
  /** -t */
  tty: boolean;
  /** --rm: the daemon removes the container when it exits (HostConfig.AutoRemove); run waits for the removal */
  rm: boolean;
  /** the streams to attach to, from Config.AttachStd* (none with -d) */
  attach: Stream[];
  /** --sig-proxy (run): forward the signals the CLI receives; default true */
  sigProxy: boolean;
  /** --detach-keys (run) */
  detachKeys?: string;
  /** --cidfile: write the ID there (HostConfig.ContainerIDFile carries it too) */
  cidfile?: string;
  /** --pull: always | missing | never (not checked, as in docker) */
  pull: string;
  /** --disable-content-trust: berth verifies no signatures, so this is only accepted */
  disableContentTrust: boolean;
  /** lines to print to stderr before the request, as docker does ("WARNING: …") */
  warnings: string[];
}

export interface RunRequest {
  /** the container's name (--name), if any */
  name?: string;
  /** "os/arch[/variant]" from --platform (or $DOCKER_DEFAULT_PLATFORM), if any */
  platform?: string;
  /** the query of POST /containers/create: name and platform when set, keys in order */
  query: Record<string, string>;
  body: CreateBody;
  client: RunClientOptions;
}

export interface RunRequestOptions {
  /** `run` (default) or `create`: run has -d, --sig-proxy, --detach-keys, and clears the attach fields with -d */
  command?: 'run' | 'create';
  /** the CLI's environment: -e KEY and bare keys in --env-file take values from it; $DOCKER_DEFAULT_PLATFORM */
  env?: Record<string, string | undefined>;
  /** reads --env-file, --label-file and seccomp profiles; default fs.readFileSync */
  readFile?: ReadFile;
}

/** Where an error comes from decides how docker prints it; describeRunError (run-options.ts) prints it so. */
export const RUN_ERROR = {
  /** a flag or its value: "<message>\nSee '… --help'.", exit 125 */
  flag: 'RUN_FLAG_INVALID',
  /** no image given: docker's usage message, exit 1 */
  args: 'RUN_ARGS_MISSING',
  /** a Windows-only flag: the message alone, exit 1 */
  unsupported: 'RUN_FLAG_UNSUPPORTED',
  /** the options do not fit together or a value is refused after reading: "berth: <message>.\nSee …", exit 125 */
  options: 'RUN_OPTIONS_INVALID',
  /** the image reference or the platform: like options for run; the message alone and exit 1 for create */
  create: 'RUN_CREATE_INVALID',
  /** -a with -d: the message alone, exit 1 */
  conflict: 'RUN_OPTIONS_CONFLICT',
} as const;

const fail = (code: string, message: string): EngineError => new EngineError('InvalidArgument', code, message);

/** Runs fn; a ValueError it throws becomes an EngineError with the given code. */
function guard<T>(code: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValueError) throw fail(code, err.message);
    throw err;
  }
}

/** A flag value through its parser; a bad one fails as pflag would have when reading it. */
function flagValue<T>(attr: keyof RunFlags, raw: string, parse: (v: string) => T): T {
  try {
    return parse(raw);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw fail(RUN_ERROR.flag, `invalid argument ${goQuote(raw)} for ${goQuote(flagDisplayName(specOf(attr)))} flag: ${err.message}`);
  }
}

/**
 * Checks every value as the flag reader does (for flags that did not come
 * through it), then the Windows-only flags. The image is checked between
 * the two, as cobra checks arguments after flags.
 */
function checkFlags(flags: RunFlags, image: string | undefined, command: 'run' | 'create'): void {
  for (const spec of flagsOf(command)) {
    const v = flags[spec.attr];
    if (spec.check === undefined || v === undefined || typeof v === 'boolean') continue;
    for (const one of Array.isArray(v) ? v : [v]) flagValue(spec.attr, one, spec.check);
  }
  if (image === undefined) throw fail(RUN_ERROR.args, `"berth ${command}" requires at least 1 argument.`);
  for (const spec of RUN_FLAGS) {
    if (spec.windowsOnly && flags[spec.attr] !== undefined) {
      throw fail(RUN_ERROR.unsupported, `"--${spec.long}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`);
    }
  }
}

const LOCALHOST_RE = /((127\.([0-9]{1,3}\.){2}[0-9]{1,3})|(::1)$)/;

export function buildRunRequest(flags: RunFlags, image: string | undefined, args: readonly string[] = [], options: RunRequestOptions = {}): RunRequest {
  const command = options.command ?? 'run';
  const env = options.env ?? process.env;
  const lookup: Lookup = (k) => (Object.hasOwn(env, k) ? env[k] : undefined);
  const readFile: ReadFile = options.readFile ?? ((p) => readFileSync(p));
  checkFlags(flags, image, command);

  const f = flags;
  const list = (v: string[] | undefined): string[] => v ?? [];
  const int = (attr: keyof RunFlags, raw: string | undefined, dflt = 0): number => (raw === undefined ? dflt : flagValue(attr, raw, (v) => parseGoInt(v, 64)));
  const bytes = (attr: keyof RunFlags, raw: string | undefined): number => (raw === undefined ? 0 : flagValue(attr, raw, ramInBytes));
  const duration = (attr: keyof RunFlags, raw: string | undefined): number => (raw === undefined ? 0 : flagValue(attr, raw, parseGoDuration));
  const opt = (fn: () => void): void => guard(RUN_ERROR.options, fn);

  const attach = list(f.attach).map((a) => flagValue('attach', a, normalizeAttach));
  const interactive = Boolean(f.interactive);
  let attachStdin = attach.includes('stdin') || interactive;
  let attachStdout = attach.length === 0 || attach.includes('stdout');
  let attachStderr = attach.length === 0 || attach.includes('stderr');

  if (f.macAddress) opt(() => checkMac(f.macAddress!));
  const swappiness = int('memorySwappiness', f.memorySwappiness, -1);
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw fail(RUN_ERROR.options, `invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  // -v: values naming a source are binds, bare paths anonymous volumes; a value given twice counts once
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of new Set(list(f.volume))) {
    if (volumeHasSource(v)) binds.push(v);
    else volumes[v] = {};
  }
  const tmpfs: Record<string, string> = {};
  for (const t of list(f.tmpfs)) {
    const [path, o] = splitTmpfs(t);
    tmpfs[path] = o;
  }
  const cmd = args.length > 0 ? [...args] : null;
  const entrypoint = f.entrypoint === undefined ? null : [f.entrypoint];
  const ports = guard(RUN_ERROR.options, () => parsePorts(list(f.publish), list(f.expose)));
  const devices = list(f.device).map((d) => guard(RUN_ERROR.options, () => parseDevice(d)));
  const envVars = guard(RUN_ERROR.options, () =>
    buildEnv(
      list(f.envFile),
      list(f.env).map((e) => expandEnv(e, lookup)),
      readFile,
      lookup,
    ),
  );
  const labels = guard(RUN_ERROR.options, () => buildLabels(list(f.labelFile), list(f.label), readFile));
  opt(() => checkModes({ pid: f.pid ?? '', uts: f.uts ?? '', userns: f.userns ?? '', cgroupns: f.cgroupns ?? '' }));
  const restartPolicy = guard(RUN_ERROR.options, () => parseRestartPolicy(f.restart ?? 'no'));
  const logOpts = list(f.logOpt);
  if (f.logDriver === 'none' && logOpts.length > 0) throw fail(RUN_ERROR.options, 'invalid logging opts for driver none');
  const security = guard(RUN_ERROR.options, () => parseSecurityOpts(f.securityOpt, readFile));
  const storageOpt = guard(RUN_ERROR.options, () => parseStorageOpts(list(f.storageOpt)));
  const healthcheck = buildHealthcheck(f, duration, int);

  const ulimits = new Map<string, Ulimit>();
  for (const u of list(f.ulimit)) {
    const parsed = flagValue('ulimit', u, parseUlimit);
    ulimits.set(parsed.Name, parsed);
  }
  const sysctls = kvMap(list(f.sysctl));
  const mounts = list(f.mount).map((m) => flagValue('mount', m, parseMount));
  const oomKillDisable = Boolean(f.oomKillDisable);
  const memory = bytes('memory', f.memory);

  const config: ContainerConfig = {
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(ports.exposed).length > 0 ? { ExposedPorts: sortedRecord(ports.exposed) } : {}),
    Tty: Boolean(f.tty),
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: envVars,
    Cmd: cmd,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    Image: image!,
    Volumes: sortedRecord(volumes),
    WorkingDir: f.workdir ?? '',
    Entrypoint: entrypoint,
    ...(f.macAddress ? { MacAddress: f.macAddress } : {}),
    OnBuild: null,
    Labels: sortedRecord(labels),
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(f.stopTimeout !== undefined ? { StopTimeout: int('stopTimeout', f.stopTimeout) } : {}),
  };

  const hostConfig: HostConfig = {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: f.cidfile ?? '',
    LogConfig: { Type: f.logDriver ?? '', Config: sortedRecord(kvMap(logOpts)) },
    NetworkMode: '',
    PortBindings: sortedRecord(ports.bindings),
    RestartPolicy: restartPolicy,
    AutoRemove: Boolean(f.rm),
    VolumeDriver: f.volumeDriver ?? '',
    VolumesFrom: f.volumesFrom ?? null,
    CapAdd: f.capAdd ?? null,
    CapDrop: f.capDrop ?? null,
    CgroupnsMode: f.cgroupns ?? '',
    Dns: list(f.dns).map((d) => flagValue('dns', d, normalizeDns)),
    DnsOptions: list(f.dnsOption),
    DnsSearch: list(f.dnsSearch).map((d) => flagValue('dnsSearch', d, normalizeDnsSearch)),
    ExtraHosts: f.addHost ?? null,
    GroupAdd: f.groupAdd ?? null,
    IpcMode: f.ipc ?? '',
    Cgroup: '',
    Links: f.link ?? null,
    OomScoreAdj: int('oomScoreAdj', f.oomScoreAdj),
    PidMode: f.pid ?? '',
    Privileged: Boolean(f.privileged),
    PublishAllPorts: Boolean(f.publishAll),
    ReadonlyRootfs: Boolean(f.readOnly),
    SecurityOpt: security.securityOpt,
    ...(Object.keys(storageOpt).length > 0 ? { StorageOpt: sortedRecord(storageOpt) } : {}),
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: sortedRecord(tmpfs) } : {}),
    UTSMode: f.uts ?? '',
    UsernsMode: f.userns ?? '',
    ShmSize: bytes('shmSize', f.shmSize),
    ...(Object.keys(sysctls).length > 0 ? { Sysctls: sortedRecord(sysctls) } : {}),
    ...(f.runtime ? { Runtime: f.runtime } : {}),
    ConsoleSize: [0, 0],
    Isolation: f.isolation ?? '',
    CpuShares: int('cpuShares', f.cpuShares),
    Memory: memory,
    NanoCpus: f.cpus === undefined ? 0 : flagValue('cpus', f.cpus, parseNanoCpus),
    CgroupParent: f.cgroupParent ?? '',
    BlkioWeight: f.blkioWeight === undefined ? 0 : flagValue('blkioWeight', f.blkioWeight, (v) => parseGoUint(v, 16)),
    BlkioWeightDevice: list(f.blkioWeightDevice).map((d) => flagValue('blkioWeightDevice', d, parseWeightDevice)),
    BlkioDeviceReadBps: orNull(list(f.deviceReadBps).map((d) => flagValue('deviceReadBps', d, parseThrottleBps))),
    BlkioDeviceWriteBps: orNull(list(f.deviceWriteBps).map((d) => flagValue('deviceWriteBps', d, parseThrottleBps))),
    BlkioDeviceReadIOps: orNull(list(f.deviceReadIops).map((d) => flagValue('deviceReadIops', d, parseThrottleIops))),
    BlkioDeviceWriteIOps: orNull(list(f.deviceWriteIops).map((d) => flagValue('deviceWriteIops', d, parseThrottleIops))),
    CpuPeriod: int('cpuPeriod', f.cpuPeriod),
    CpuQuota: int('cpuQuota', f.cpuQuota),
    CpuRealtimePeriod: int('cpuRtPeriod', f.cpuRtPeriod),
    CpuRealtimeRuntime: int('cpuRtRuntime', f.cpuRtRuntime),
    CpusetCpus: f.cpusetCpus ?? '',
    CpusetMems: f.cpusetMems ?? '',
    Devices: devices,
    DeviceCgroupRules: f.deviceCgroupRule ?? null,
    DeviceRequests: orNull(list(f.gpus).map((g) => flagValue('gpus', g, parseGpus))),
    KernelMemory: bytes('kernelMemory', f.kernelMemory),
    KernelMemoryTCP: 0,
    MemoryReservation: bytes('memoryReservation', f.memoryReservation),
    MemorySwap: f.memorySwap === undefined ? 0 : flagValue('memorySwap', f.memorySwap, memSwapBytes),
    MemorySwappiness: swappiness,
    OomKillDisable: oomKillDisable,
    PidsLimit: int('pidsLimit', f.pidsLimit),
    Ulimits: orNull([...ulimits.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(mounts.length > 0 ? { Mounts: mounts } : {}),
    MaskedPaths: security.maskedPaths,
    ReadonlyPaths: security.readonlyPaths,
    ...(f.init !== undefined ? { Init: f.init } : {}),
  };

  if (f.rm && !restartIsNone(restartPolicy)) throw fail(RUN_ERROR.options, 'Conflicting options: --restart and --rm');

  const networks = list(f.network).map((n) => flagValue('network', n, parseNetworkOpt));
  hostConfig.NetworkMode = networks[0]?.target ?? 'default';
  const endpoints = guard(RUN_ERROR.options, () =>
    buildEndpoints(networks, { aliases: list(f.networkAlias), links: list(f.link), ipv4: f.ip ?? '', ipv6: f.ip6 ?? '', linkLocalIPs: list(f.linkLocalIp) }),
  );

  const detach = command === 'run' && Boolean(f.detach);
  if (detach) {
    if (attach.length > 0) throw fail(RUN_ERROR.conflict, 'Conflicting options: -a and -d');
    attachStdin = attachStdout = attachStderr = false;
    config.AttachStdin = config.AttachStdout = config.AttachStderr = config.StdinOnce = false;
  }

  const warnings: string[] = [];
  if (oomKillDisable && memory === 0) warnings.push("WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.");
  const localDns = (hostConfig.Dns ?? []).find((d) => LOCALHOST_RE.test(d));
  if (localDns !== undefined) warnings.push(`WARNING: Localhost DNS setting (--dns=${localDns}) may fail in containers.`);

  try {
    parseAnyReference(image!);
  } catch (err) {
    if (isEngineError(err)) throw fail(RUN_ERROR.create, err.message);
    throw err;
  }
  const platformSpec = f.platform ?? lookup('DOCKER_DEFAULT_PLATFORM') ?? '';
  const platform = platformSpec === '' ? undefined : guard(RUN_ERROR.create, () => formatPlatform(platformSpec));

  const query: Record<string, string> = {};
  if (f.name) query['name'] = f.name;
  if (platform) query['platform'] = platform;

  const streams: Stream[] = [];
  if (attachStdin) streams.push('stdin');
  if (attachStdout) streams.push('stdout');
  if (attachStderr) streams.push('stderr');

  return {
    ...(f.name ? { name: f.name } : {}),
    ...(platform ? { platform } : {}),
    query,
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints } },
    client: {
      detach,
      interactive,
      tty: Boolean(f.tty),
      rm: Boolean(f.rm),
      attach: streams,
      sigProxy: command === 'run' ? (f.sigProxy ?? true) : false,
      ...(command === 'run' && f.detachKeys !== undefined ? { detachKeys: f.detachKeys } : {}),
      ...(f.cidfile ? { cidfile: f.cidfile } : {}),
      pull: f.pull ?? 'missing',
      disableContentTrust: f.disableContentTrust ?? true,
      warnings,
    },
  };
}

function orNull<T>(a: T[]): T[] | null {
  return a.length > 0 ? a : null;
}

/** --health-* and --no-healthcheck → Config.Healthcheck, or nothing. Durations are nanoseconds. */
function buildHealthcheck(
  f: RunFlags,
  duration: (attr: keyof RunFlags, raw: string | undefined) => number,
  int: (attr: keyof RunFlags, raw: string | undefined) => number,
): HealthConfig | undefined {
  const interval = duration('healthInterval', f.healthInterval);
  const timeout = duration('healthTimeout', f.healthTimeout);
  const startPeriod = duration('healthStartPeriod', f.healthStartPeriod);
  const retries = int('healthRetries', f.healthRetries);
  const cmd = f.healthCmd ?? '';
  const any = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0;
  if (f.noHealthcheck) {
    if (any) throw fail(RUN_ERROR.options, '--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  if (interval < 0) throw fail(RUN_ERROR.options, '--health-interval cannot be negative');
  if (timeout < 0) throw fail(RUN_ERROR.options, '--health-timeout cannot be negative');
  if (retries < 0) throw fail(RUN_ERROR.options, '--health-retries cannot be negative');
  if (startPeriod < 0) throw fail(RUN_ERROR.options, '--health-start-period cannot be negative');
  // Go's JSON leaves out each zero field
  return {
    ...(cmd !== '' ? { Test: ['CMD-SHELL', cmd] } : {}),
    ...(interval ? { Interval: interval } : {}),
    ...(timeout ? { Timeout: timeout } : {}),
    ...(startPeriod ? { StartPeriod: startPeriod } : {}),
    ...(retries ? { Retries: retries } : {}),
  };
}
