import { isAbsolute } from 'node:path';
import {
  HOOK_KINDS,
  NAMESPACE_TYPES,
  type Capabilities,
  type Device,
  type Hook,
  type Hooks,
  type IdMapping,
  type Linux,
  type Mount,
  type Namespace,
  type NamespaceType,
  type Process,
  type Rlimit,
  type Spec,
} from '../../spec/oci-runtime.js';
import { capabilityNumber } from '../../security/capabilities.js';
import { JsonReader } from './json-reader.js';
import { parseResources } from './parse-resources.js';
import { RLIMITS } from './rlimits.js';
import { checkSysctls } from './sysctl.js';

const UINT32_MAX = 0xffff_ffff;

/**
 * config.json → a checked Spec. Every problem names its field. The checks are
 * those of the spec plus the cross-field rules runc enforces (a hostname
 * needs a UTS namespace, mappings need a user namespace, …).
 */
export function parseSpec(json: unknown): Spec {
  const r = JsonReader.root(json);
  r.object();
  const spec: Spec = { ociVersion: r.field('ociVersion').string() };
  const root = r.field('root');
  if (!root.present) root.fail('is required: the container needs a root filesystem');
  spec.root = { path: root.field('path').string() };
  if (spec.root.path === '') root.field('path').fail('must not be empty');
  const ro = root.field('readonly').optionalBoolean();
  if (ro !== undefined) spec.root.readonly = ro;

  if (r.field('process').present) spec.process = parseProcess(r.field('process'));
  const hostname = r.field('hostname').optionalString();
  if (hostname !== undefined) spec.hostname = hostname;
  const domainname = r.field('domainname').optionalString();
  if (domainname !== undefined) spec.domainname = domainname;
  spec.mounts = r.field('mounts').optionalItems().map(parseMount);
  if (r.field('hooks').present) spec.hooks = parseHooks(r.field('hooks'));
  const annotations = r.field('annotations').optionalStringMap();
  if (annotations) spec.annotations = annotations;
  spec.linux = r.field('linux').present ? parseLinux(r.field('linux')) : {};
  checkCrossFields(spec, r);
  return spec;
}

export function parseProcess(p: JsonReader): Process {
  p.object();
  const user = p.field('user');
  const process: Process = {
    user: {
      uid: user.field('uid').integer(0, UINT32_MAX),
      gid: user.field('gid').integer(0, UINT32_MAX),
    },
    cwd: p.field('cwd').string(),
  };
  if (!isAbsolute(process.cwd)) p.field('cwd').fail(`must be an absolute path, got ${JSON.stringify(process.cwd)}`);
  const umask = user.field('umask').optionalInteger(0, 0o777);
  if (umask !== undefined) process.user.umask = umask;
  const gids = user.field('additionalGids').optionalItems().map((g) => g.integer(0, UINT32_MAX));
  if (gids.length) process.user.additionalGids = gids;
  const args = p.field('args').optionalStrings();
  if (args !== undefined) {
    if (args.length === 0 || args[0] === '') p.field('args').fail('must name a program to run');
    process.args = args;
  }
  const env = p.field('env').optionalStrings();
  if (env) {
    env.forEach((e, i) => {
      if (!e.includes('=') || e.startsWith('=')) p.field('env').items()[i]!.fail(`must be KEY=value, got ${JSON.stringify(e)}`);
    });
    process.env = env;
  }
  const terminal = p.field('terminal').optionalBoolean();
  if (terminal !== undefined) process.terminal = terminal;
  const size = p.field('consoleSize');
  if (size.present) {
    process.consoleSize = { height: size.field('height').integer(0, 65535), width: size.field('width').integer(0, 65535) };
  }
  if (p.field('capabilities').present) process.capabilities = parseCapabilities(p.field('capabilities'));
  const rlimits = p.field('rlimits').optionalItems().map(parseRlimit);
  const seen = new Set<string>();
  rlimits.forEach((rl, i) => {
    if (seen.has(rl.type)) p.field('rlimits').items()[i]!.field('type').fail(`duplicate rlimit "${rl.type}"`);
    seen.add(rl.type);
  });
  if (rlimits.length) process.rlimits = rlimits;
  const nnp = p.field('noNewPrivileges').optionalBoolean();
  if (nnp !== undefined) process.noNewPrivileges = nnp;
  const oom = p.field('oomScoreAdj').optionalInteger(-1000, 1000);
  if (oom !== undefined) process.oomScoreAdj = oom;
  const apparmor = p.field('apparmorProfile').optionalString();
  if (apparmor) process.apparmorProfile = apparmor;
  const selinux = p.field('selinuxLabel').optionalString();
  if (selinux) process.selinuxLabel = selinux;
  return process;
}

function parseCapabilities(c: JsonReader): Capabilities {
  const caps: Capabilities = {};
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
    const list = c.field(set);
    if (!list.present) continue;
    caps[set] = list.items().map((item) => {
      const name = item.string();
      if (capabilityNumber(name) === undefined) item.fail(`unknown capability ${JSON.stringify(name)}`);
      return name;
    });
  }
  return caps;
}

function parseRlimit(r: JsonReader): Rlimit {
  const type = r.field('type').string();
  if (!(type in RLIMITS)) r.field('type').fail(`unknown rlimit ${JSON.stringify(type)}`);
  const soft = rlimitValue(r.field('soft'));
  const hard = rlimitValue(r.field('hard'));
  if (soft > hard) r.fail(`soft limit ${soft} is above hard limit ${hard}`);
  return { type, soft, hard };
}

/** uint64 limits arrive as JSON numbers; 2^64-1 is not exact in a double, so
 * anything at or past 2^63 means "unlimited". */
function rlimitValue(r: JsonReader): number {
  const v = r.value;
  if (typeof v !== 'number' || v < 0 || !Number.isFinite(v)) r.fail(`must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v >= 2 ** 63 ? Number.POSITIVE_INFINITY : Math.floor(v);
}

function parseMount(m: JsonReader): Mount {
  const destination = m.field('destination').string();
  if (!isAbsolute(destination)) m.field('destination').fail(`must be an absolute path, got ${JSON.stringify(destination)}`);
  const mount: Mount = { destination };
  const type = m.field('type').optionalString();
  if (type) mount.type = type;
  const source = m.field('source').optionalString();
  if (source !== undefined) mount.source = source;
  const options = m.field('options').optionalStrings();
  if (options) mount.options = options;
  return mount;
}

function parseHooks(h: JsonReader): Hooks {
  const hooks: Hooks = {};
  for (const key of Object.keys(h.object())) {
    if (!(HOOK_KINDS as readonly string[]).includes(key)) h.field(key).fail(`unknown hook kind (known: ${HOOK_KINDS.join(', ')})`);
  }
  for (const kind of HOOK_KINDS) {
    const list = h.field(kind);
    if (list.present) hooks[kind] = list.items().map(parseHook);
  }
  return hooks;
}

function parseHook(h: JsonReader): Hook {
  const path = h.field('path').string();
  if (!isAbsolute(path)) h.field('path').fail(`must be an absolute path, got ${JSON.stringify(path)}`);
  const hook: Hook = { path };
  const args = h.field('args').optionalStrings();
  if (args) hook.args = args;
  const env = h.field('env').optionalStrings();
  if (env) hook.env = env;
  const timeout = h.field('timeout').optionalInteger(1);
  if (timeout !== undefined) hook.timeout = timeout;
  return hook;
}

function parseLinux(l: JsonReader): Linux {
  const linux: Linux = {};
  const seen = new Set<string>();
  linux.namespaces = l.field('namespaces').optionalItems().map((ns): Namespace => {
    const type = ns.field('type').string();
    if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) {
      ns.field('type').fail(`unknown namespace ${JSON.stringify(type)} (known: ${NAMESPACE_TYPES.join(', ')})`);
    }
    if (seen.has(type)) ns.field('type').fail(`duplicate namespace ${JSON.stringify(type)}`);
    seen.add(type);
    const path = ns.field('path').optionalString();
    if (path !== undefined && !isAbsolute(path)) ns.field('path').fail(`must be an absolute path, got ${JSON.stringify(path)}`);
    return path ? { type: type as NamespaceType, path } : { type: type as NamespaceType };
  });
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const maps = l.field(key).optionalItems().map(parseIdMapping);
    if (maps.length) linux[key] = maps;
  }
  const offsets = l.field('timeOffsets');
  if (offsets.present) {
    linux.timeOffsets = {};
    for (const clock of Object.keys(offsets.object())) {
      if (clock !== 'monotonic' && clock !== 'boottime') return offsets.field(clock).fail('unknown clock (known: monotonic, boottime)');
      const o = offsets.field(clock);
      linux.timeOffsets[clock] = { secs: o.field('secs').optionalInteger() ?? 0, nanosecs: o.field('nanosecs').optionalInteger(0, 999_999_999) ?? 0 };
    }
  }
  const devices = l.field('devices').optionalItems().map(parseDevice);
  if (devices.length) linux.devices = devices;
  const cgroupsPath = l.field('cgroupsPath').optionalString();
  if (cgroupsPath) linux.cgroupsPath = cgroupsPath;
  if (l.field('resources').present) linux.resources = parseResources(l.field('resources'));
  const propagation = l.field('rootfsPropagation').optionalString();
  if (propagation) linux.rootfsPropagation = propagation;
  if (l.field('seccomp').present) linux.seccomp = l.field('seccomp').object();
  const sysctl = l.field('sysctl').optionalStringMap();
  if (sysctl) linux.sysctl = sysctl;
  const masked = l.field('maskedPaths').optionalStrings();
  if (masked) linux.maskedPaths = masked;
  const readonly = l.field('readonlyPaths').optionalStrings();
  if (readonly) linux.readonlyPaths = readonly;
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    l.field(key).optionalItems().forEach((item) => {
      if (!isAbsolute(item.string())) item.fail(`must be an absolute path, got ${JSON.stringify(item.value)}`);
    });
  }
  const label = l.field('mountLabel').optionalString();
  if (label) linux.mountLabel = label;
  if (l.field('personality').present) linux.personality = l.field('personality').object();
  if (l.field('intelRdt').present) linux.intelRdt = l.field('intelRdt').object();
  return linux;
}

function parseIdMapping(m: JsonReader): IdMapping {
  return {
    containerID: m.field('containerID').integer(0, UINT32_MAX),
    hostID: m.field('hostID').integer(0, UINT32_MAX),
    size: m.field('size').integer(1, UINT32_MAX),
  };
}

const DEVICE_TYPES = ['c', 'b', 'u', 'p'];

function parseDevice(d: JsonReader): Device {
  const type = d.field('type').string();
  if (!DEVICE_TYPES.includes(type)) d.field('type').fail(`unknown device type ${JSON.stringify(type)} (known: c, b, u, p)`);
  const path = d.field('path').string();
  if (!isAbsolute(path)) d.field('path').fail(`must be an absolute path, got ${JSON.stringify(path)}`);
  const device: Device = { type: type as Device['type'], path };
  if (type !== 'p') {
    device.major = d.field('major').integer(0, UINT32_MAX);
    device.minor = d.field('minor').integer(0, UINT32_MAX);
  }
  const mode = d.field('fileMode').optionalInteger(0, 0o7777);
  if (mode !== undefined) device.fileMode = mode;
  const uid = d.field('uid').optionalInteger(0, UINT32_MAX);
  if (uid !== undefined) device.uid = uid;
  const gid = d.field('gid').optionalInteger(0, UINT32_MAX);
  if (gid !== undefined) device.gid = gid;
  return device;
}

/** Rules that tie fields together, as runc checks them before creating anything. */
function checkCrossFields(spec: Spec, r: JsonReader): void {
  const linux = spec.linux ?? {};
  const ns = new Map((linux.namespaces ?? []).map((n) => [n.type, n]));
  const newNs = (t: NamespaceType): boolean => ns.has(t) && !ns.get(t)!.path;
  const l = r.field('linux');
  if (spec.hostname !== undefined && !ns.has('uts')) r.field('hostname').fail('setting the hostname needs a private UTS namespace (add {"type": "uts"} to linux.namespaces)');
  if (spec.domainname !== undefined && !ns.has('uts')) r.field('domainname').fail('setting the domainname needs a private UTS namespace (add {"type": "uts"} to linux.namespaces)');
  const hasMaps = Boolean(linux.uidMappings || linux.gidMappings);
  if (hasMaps && !newNs('user')) l.field('uidMappings').fail('id mappings need a new user namespace (add {"type": "user"} without a path to linux.namespaces)');
  if (newNs('user') && (!linux.uidMappings || !linux.gidMappings)) l.field('namespaces').fail('a new user namespace needs both linux.uidMappings and linux.gidMappings');
  if (linux.timeOffsets && !newNs('time')) l.field('timeOffsets').fail('time offsets need a new time namespace (add {"type": "time"} to linux.namespaces)');
  if (linux.sysctl) checkSysctls(linux.sysctl, ns, l.field('sysctl'));
  const propagation = linux.rootfsPropagation;
  if (propagation && !ROOTFS_PROPAGATIONS.includes(propagation)) {
    l.field('rootfsPropagation').fail(`unknown propagation ${JSON.stringify(propagation)} (known: ${ROOTFS_PROPAGATIONS.join(', ')})`);
  }
}

export const ROOTFS_PROPAGATIONS = ['shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable'];
