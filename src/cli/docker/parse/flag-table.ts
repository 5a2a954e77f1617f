import { checkDeviceCgroupRule, parseGpus, parseThrottleBps, parseThrottleIops, parseWeightDevice } from './devices.js';
import { parseGoDuration, parseGoInt, parseGoUint } from './go.js';
import { checkLabel, expandEnv } from './kv.js';
import { parseMount } from './mounts.js';
import { checkExtraHost, checkLink, normalizeDns, normalizeDnsSearch, parseNetworkOpt } from './network.js';
import { checkSysctl, normalizeAttach } from './policy.js';
import { memSwapBytes, parseNanoCpus, parseUlimit, ramInBytes } from './units.js';

/**
 * The flags of `berth run` and `berth create`: docker 20.10's, with its
 * names, shorthands, help and value checks. Values are kept as typed
 * (strings, lists of strings, booleans) and converted by run-request.ts;
 * the checks here run as each flag is read, so a bad value fails in
 * command-line order with docker's message, as pflag does.
 */

/** The flags as read: the value typed for each flag given, or nothing. */
export interface RunFlags {
  addHost?: string[];
  attach?: string[];
  blkioWeight?: string;
  blkioWeightDevice?: string[];
  capAdd?: string[];
  capDrop?: string[];
  cgroupParent?: string;
  cgroupns?: string;
  cidfile?: string;
  cpuCount?: string;
  cpuPercent?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  detach?: boolean;
  detachKeys?: string;
  device?: string[];
  deviceCgroupRule?: string[];
  deviceReadBps?: string[];
  deviceReadIops?: string[];
  deviceWriteBps?: string[];
  deviceWriteIops?: string[];
  disableContentTrust?: boolean;
  dns?: string[];
  dnsOption?: string[];
  dnsSearch?: string[];
  domainname?: string;
  entrypoint?: string;
  env?: string[];
  envFile?: string[];
  expose?: string[];
  gpus?: string[];
  groupAdd?: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthTimeout?: string;
  help?: boolean;
  hostname?: string;
  init?: boolean;
  interactive?: boolean;
  ioMaxbandwidth?: string;
  ioMaxiops?: string;
  ip?: string;
  ip6?: string;
  ipc?: string;
  isolation?: string;
  kernelMemory?: string;
  label?: string[];
  labelFile?: string[];
  link?: string[];
  linkLocalIp?: string[];
  logDriver?: string;
  logOpt?: string[];
  macAddress?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  memorySwappiness?: string;
  mount?: string[];
  name?: string;
  network?: string[];
  networkAlias?: string[];
  noHealthcheck?: boolean;
  oomKillDisable?: boolean;
  oomScoreAdj?: string;
  pid?: string;
  pidsLimit?: string;
  platform?: string;
  privileged?: boolean;
  publish?: string[];
  publishAll?: boolean;
  pull?: string;
  readOnly?: boolean;
  restart?: string;
  rm?: boolean;
  runtime?: string;
  securityOpt?: string[];
  shmSize?: string;
  sigProxy?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  storageOpt?: string[];
  sysctl?: string[];
  tmpfs?: string[];
  tty?: boolean;
  ulimit?: string[];
  user?: string;
  userns?: string;
  uts?: string;
  volume?: string[];
  volumeDriver?: string;
  volumesFrom?: string[];
  workdir?: string;
}

type Kind = 'bool' | 'string' | 'list';
type Attr<K extends Kind> = { [A in keyof RunFlags]-?: RunFlags[A] extends (K extends 'bool' ? boolean | undefined : K extends 'list' ? string[] | undefined : string | undefined) ? A : never }[keyof RunFlags];

export interface FlagSpec {
  long: string;
  short?: string;
  kind: Kind;
  attr: keyof RunFlags;
  /** the value's type as docker's help shows it: list, string, bytes, int, … */
  type?: string;
  help: string;
  /** docker's default, for the help only */
  defaultText?: string;
  hidden?: boolean;
  /** a flag of `run` only */
  runOnly?: boolean;
  /** only for a Windows daemon: refused by berth, as docker refuses it with a Linux daemon */
  windowsOnly?: boolean;
  /** throws a ValueError when the value is not valid */
  check?: (value: string) => unknown;
}

const bool = (long: string, attr: Attr<'bool'>, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ long, attr, kind: 'bool', help, ...extra });
const str = (long: string, attr: Attr<'string'>, type: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ long, attr, kind: 'string', type, help, ...extra });
const list = (long: string, attr: Attr<'list'>, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ long, attr, kind: 'list', type: 'list', help, ...extra });

const int64 = (v: string): number => parseGoInt(v, 64);
const uint16 = (v: string): number => parseGoUint(v, 16);
const uint64 = (v: string): number => parseGoUint(v, 64);
const noLookup = (): undefined => undefined;

export const RUN_FLAGS: readonly FlagSpec[] = [
  list('add-host', 'addHost', 'Add a custom host-to-IP mapping (host:ip)', { check: checkExtraHost }),
  list('attach', 'attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a', check: normalizeAttach }),
  str('blkio-weight', 'blkioWeight', 'uint16', 'Block IO (relative weight), between 10 and 1000, or 0 to disable', { check: uint16, defaultText: '0' }),
  list('blkio-weight-device', 'blkioWeightDevice', 'Block IO weight (relative device weight)', { check: parseWeightDevice, defaultText: '[]' }),
  list('cap-add', 'capAdd', 'Add Linux capabilities'),
  list('cap-drop', 'capDrop', 'Drop Linux capabilities'),
  str('cgroup-parent', 'cgroupParent', 'string', 'Optional parent cgroup for the container'),
  str('cgroupns', 'cgroupns', 'string', "Cgroup namespace to use (host|private): 'host' is the host's cgroup namespace, 'private' a namespace of its own, '' the daemon's default"),
  str('cidfile', 'cidfile', 'string', 'Write the container ID to the file'),
  str('cpu-count', 'cpuCount', 'int', 'CPU count (Windows only)', { check: int64, windowsOnly: true, hidden: true }),
  str('cpu-percent', 'cpuPercent', 'int', 'CPU percent (Windows only)', { check: int64, windowsOnly: true, hidden: true }),
  str('cpu-period', 'cpuPeriod', 'int', 'Limit CPU CFS (Completely Fair Scheduler) period', { check: int64 }),
  str('cpu-quota', 'cpuQuota', 'int', 'Limit CPU CFS (Completely Fair Scheduler) quota', { check: int64 }),
  str('cpu-rt-period', 'cpuRtPeriod', 'int', 'Limit CPU real-time period in microseconds', { check: int64 }),
  str('cpu-rt-runtime', 'cpuRtRuntime', 'int', 'Limit CPU real-time runtime in microseconds', { check: int64 }),
  str('cpu-shares', 'cpuShares', 'int', 'CPU shares (relative weight)', { short: 'c', check: int64 }),
  str('cpus', 'cpus', 'decimal', 'Number of CPUs', { check: parseNanoCpus }),
  str('cpuset-cpus', 'cpusetCpus', 'string', 'CPUs in which to allow execution (0-3, 0,1)'),
  str('cpuset-mems', 'cpusetMems', 'string', 'MEMs in which to allow execution (0-3, 0,1)'),
  bool('detach', 'detach', 'Run container in background and print container ID', { short: 'd', runOnly: true }),
  str('detach-keys', 'detachKeys', 'string', 'Override the key sequence for detaching a container', { runOnly: true }),
  list('device', 'device', 'Add a host device to the container'),
  list('device-cgroup-rule', 'deviceCgroupRule', 'Add a rule to the cgroup allowed devices list', { check: checkDeviceCgroupRule }),
  list('device-read-bps', 'deviceReadBps', 'Limit read rate (bytes per second) from a device', { check: parseThrottleBps, defaultText: '[]' }),
  list('device-read-iops', 'deviceReadIops', 'Limit read rate (IO per second) from a device', { check: parseThrottleIops, defaultText: '[]' }),
  list('device-write-bps', 'deviceWriteBps', 'Limit write rate (bytes per second) to a device', { check: parseThrottleBps, defaultText: '[]' }),
  list('device-write-iops', 'deviceWriteIops', 'Limit write rate (IO per second) to a device', { check: parseThrottleIops, defaultText: '[]' }),
  bool('disable-content-trust', 'disableContentTrust', 'Skip image verification', { defaultText: 'true' }),
  list('dns', 'dns', 'Set custom DNS servers', { check: normalizeDns }),
  list('dns-opt', 'dnsOption', 'Set DNS options', { hidden: true }),
  list('dns-option', 'dnsOption', 'Set DNS options'),
  list('dns-search', 'dnsSearch', 'Set custom DNS search domains', { check: normalizeDnsSearch }),
  str('domainname', 'domainname', 'string', 'Container NIS domain name'),
  str('entrypoint', 'entrypoint', 'string', 'Overwrite the default ENTRYPOINT of the image'),
  list('env', 'env', 'Set environment variables', { short: 'e', check: (v) => expandEnv(v, noLookup) }),
  list('env-file', 'envFile', 'Read in a file of environment variables'),
  list('expose', 'expose', 'Expose a port or a range of ports'),
  list('gpus', 'gpus', "GPU devices to add to the container ('all' to pass all GPUs)", { type: 'gpu-request', check: parseGpus }),
  list('group-add', 'groupAdd', 'Add additional groups to join'),
  str('health-cmd', 'healthCmd', 'string', 'Command to run to check health'),
  str('health-interval', 'healthInterval', 'duration', 'Time between running the check (ms|s|m|h)', { check: parseGoDuration, defaultText: '0s' }),
  str('health-retries', 'healthRetries', 'int', 'Consecutive failures needed to report unhealthy', { check: int64 }),
  str('health-start-period', 'healthStartPeriod', 'duration', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)', { check: parseGoDuration, defaultText: '0s' }),
  str('health-timeout', 'healthTimeout', 'duration', 'Maximum time to allow one check to run (ms|s|m|h)', { check: parseGoDuration, defaultText: '0s' }),
  bool('help', 'help', 'Print usage'),
  str('hostname', 'hostname', 'string', 'Container host name', { short: 'h' }),
  bool('init', 'init', 'Run an init inside the container that forwards signals and reaps processes'),
  bool('interactive', 'interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
  str('io-maxbandwidth', 'ioMaxbandwidth', 'bytes', 'Maximum IO bandwidth limit for the system drive (Windows only)', { check: ramInBytes, windowsOnly: true, hidden: true }),
  str('io-maxiops', 'ioMaxiops', 'uint', 'Maximum IOps limit for the system drive (Windows only)', { check: uint64, windowsOnly: true, hidden: true }),
  str('ip', 'ip', 'string', 'IPv4 address (e.g., 172.30.100.104)'),
  str('ip6', 'ip6', 'string', 'IPv6 address (e.g., 2001:db8::33)'),
  str('ipc', 'ipc', 'string', 'IPC mode to use'),
  str('isolation', 'isolation', 'string', 'Container isolation technology'),
  str('kernel-memory', 'kernelMemory', 'bytes', 'Kernel memory limit', { check: ramInBytes }),
  list('label', 'label', 'Set meta data on a container', { short: 'l', check: checkLabel }),
  list('label-file', 'labelFile', 'Read in a line delimited file of labels'),
  list('link', 'link', 'Add link to another container', { check: checkLink }),
  list('link-local-ip', 'linkLocalIp', 'Container IPv4/IPv6 link-local addresses'),
  str('log-driver', 'logDriver', 'string', 'Logging driver for the container'),
  list('log-opt', 'logOpt', 'Log driver options'),
  str('mac-address', 'macAddress', 'string', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  str('memory', 'memory', 'bytes', 'Memory limit', { short: 'm', check: ramInBytes }),
  str('memory-reservation', 'memoryReservation', 'bytes', 'Memory soft limit', { check: ramInBytes }),
  str('memory-swap', 'memorySwap', 'bytes', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", { check: memSwapBytes }),
  str('memory-swappiness', 'memorySwappiness', 'int', 'Tune container memory swappiness (0 to 100)', { check: int64, defaultText: '-1' }),
  list('mount', 'mount', 'Attach a filesystem mount to the container', { type: 'mount', check: parseMount }),
  str('name', 'name', 'string', 'Assign a name to the container'),
  list('net', 'network', 'Connect a container to a network', { type: 'network', hidden: true, check: parseNetworkOpt }),
  list('net-alias', 'networkAlias', 'Add network-scoped alias for the container', { hidden: true }),
  list('network', 'network', 'Connect a container to a network', { type: 'network', check: parseNetworkOpt }),
  list('network-alias', 'networkAlias', 'Add network-scoped alias for the container'),
  bool('no-healthcheck', 'noHealthcheck', 'Disable any container-specified HEALTHCHECK'),
  bool('oom-kill-disable', 'oomKillDisable', 'Disable OOM Killer'),
  str('oom-score-adj', 'oomScoreAdj', 'int', "Tune host's OOM preferences (-1000 to 1000)", { check: int64 }),
  str('pid', 'pid', 'string', 'PID namespace to use'),
  str('pids-limit', 'pidsLimit', 'int', 'Tune container pids limit (set -1 for unlimited)', { check: int64 }),
  str('platform', 'platform', 'string', 'Set platform if server is multi-platform capable'),
  bool('privileged', 'privileged', 'Give extended privileges to this container'),
  list('publish', 'publish', "Publish a container's port(s) to the host", { short: 'p' }),
  bool('publish-all', 'publishAll', 'Publish all exposed ports to random ports', { short: 'P' }),
  str('pull', 'pull', 'string', 'Pull image before running ("always"|"missing"|"never")', { defaultText: '"missing"' }),
  bool('read-only', 'readOnly', "Mount the container's root filesystem as read only"),
  str('restart', 'restart', 'string', 'Restart policy to apply when a container exits', { defaultText: '"no"' }),
  bool('rm', 'rm', 'Automatically remove the container when it exits'),
  str('runtime', 'runtime', 'string', 'Runtime to use for this container'),
  list('security-opt', 'securityOpt', 'Security Options'),
  str('shm-size', 'shmSize', 'bytes', 'Size of /dev/shm', { check: ramInBytes }),
  bool('sig-proxy', 'sigProxy', 'Proxy received signals to the process', { runOnly: true, defaultText: 'true' }),
  str('stop-signal', 'stopSignal', 'string', 'Signal to stop a container', { defaultText: '"SIGTERM"' }),
  str('stop-timeout', 'stopTimeout', 'int', 'Timeout (in seconds) to stop a container', { check: int64 }),
  list('storage-opt', 'storageOpt', 'Storage driver options for the container'),
  list('sysctl', 'sysctl', 'Sysctl options', { type: 'map', check: checkSysctl, defaultText: 'map[]' }),
  list('tmpfs', 'tmpfs', 'Mount a tmpfs directory'),
  bool('tty', 'tty', 'Allocate a pseudo-TTY', { short: 't' }),
  list('ulimit', 'ulimit', 'Ulimit options', { type: 'ulimit', check: parseUlimit, defaultText: '[]' }),
  str('user', 'user', 'string', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
  str('userns', 'userns', 'string', 'User namespace to use'),
  str('uts', 'uts', 'string', 'UTS namespace to use'),
  list('volume', 'volume', 'Bind mount a volume', { short: 'v' }),
  str('volume-driver', 'volumeDriver', 'string', 'Optional volume driver for the container'),
  list('volumes-from', 'volumesFrom', 'Mount volumes from the specified container(s)'),
  str('workdir', 'workdir', 'string', 'Working directory inside the container', { short: 'w' }),
];

/** The flags of one command: `run` has -d, --sig-proxy and --detach-keys, `create` has not. */
export function flagsOf(command: 'run' | 'create'): readonly FlagSpec[] {
  return command === 'run' ? RUN_FLAGS : RUN_FLAGS.filter((f) => !f.runOnly);
}

/** How pflag names a flag in its messages: "-m, --memory" or "--cpus". */
export function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
}

/** The spec of a flag by its attribute (the first, visible one when an alias shares it). */
export function specOf(attr: keyof RunFlags): FlagSpec {
  return RUN_FLAGS.find((f) => f.attr === attr && !f.hidden) ?? RUN_FLAGS.find((f) => f.attr === attr)!;
}
