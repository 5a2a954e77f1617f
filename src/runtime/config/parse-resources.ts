import type { DeviceRule, LinuxResources, ThrottleDevice } from '../../spec/oci-resources.js';
import { JsonReader } from './json-reader.js';

const INT64 = Number.MAX_SAFE_INTEGER;

/** A number that may be -1 for "unlimited", as the spec's int64 limits are. */
function limit(r: JsonReader): number | undefined {
  return r.optionalInteger(-1, INT64);
}

/**
 * linux.resources → checked LinuxResources: types and ranges that hold on
 * every host. What a given kernel accepts is for the cgroup writes to say.
 */
export function parseResources(r: JsonReader): LinuxResources {
  const out: LinuxResources = {};
  r.object();
  const devices = r.field('devices').optionalItems().map(parseDeviceRule);
  if (devices.length) out.devices = devices;

  const m = r.field('memory');
  if (m.present) {
    const memory: NonNullable<LinuxResources['memory']> = {};
    for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
      const v = limit(m.field(key));
      if (v !== undefined) memory[key] = v;
    }
    const swappiness = m.field('swappiness').optionalInteger(0, INT64);
    if (swappiness !== undefined) {
      if (swappiness > 100) m.field('swappiness').fail(`${swappiness} is out of range [0, 100]`);
      memory.swappiness = swappiness;
    }
    for (const key of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'] as const) {
      const v = m.field(key).optionalBoolean();
      if (v !== undefined) memory[key] = v;
    }
    if (memory.limit !== undefined && memory.limit !== -1 && memory.swap !== undefined && memory.swap !== -1 && memory.swap < memory.limit) {
      m.field('swap').fail(`${memory.swap} is below memory.limit ${memory.limit}: swap counts memory plus swap, so it must be at least the limit (or -1)`);
    }
    out.memory = memory;
  }

  const c = r.field('cpu');
  if (c.present) {
    const cpu: NonNullable<LinuxResources['cpu']> = {};
    for (const key of ['shares', 'period', 'realtimePeriod'] as const) {
      const v = c.field(key).optionalInteger(0, INT64);
      if (v !== undefined) cpu[key] = v;
    }
    for (const key of ['quota', 'burst', 'realtimeRuntime'] as const) {
      const v = limit(c.field(key));
      if (v !== undefined) cpu[key] = v;
    }
    for (const key of ['cpus', 'mems'] as const) {
      const v = c.field(key).optionalString();
      if (v !== undefined) {
        if (v !== '' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) c.field(key).fail(`${JSON.stringify(v)} is not a list such as "0-2,4"`);
        cpu[key] = v;
      }
    }
    const idle = c.field('idle').optionalInteger(0, 1);
    if (idle !== undefined) cpu.idle = idle;
    out.cpu = cpu;
  }

  const p = r.field('pids');
  if (p.present) out.pids = { limit: p.field('limit').integer(-1, INT64) };

  const b = r.field('blockIO');
  if (b.present) {
    const blockIO: NonNullable<LinuxResources['blockIO']> = {};
    const weight = b.field('weight').optionalInteger(0, 10000);
    if (weight !== undefined) blockIO.weight = weight;
    const leaf = b.field('leafWeight').optionalInteger(0, 10000);
    if (leaf !== undefined) blockIO.leafWeight = leaf;
    const wd = b.field('weightDevice').optionalItems().map((d) => {
      const entry: { major: number; minor: number; weight?: number; leafWeight?: number } = { major: d.field('major').integer(0), minor: d.field('minor').integer(0) };
      const w = d.field('weight').optionalInteger(0, 10000);
      if (w !== undefined) entry.weight = w;
      const lw = d.field('leafWeight').optionalInteger(0, 10000);
      if (lw !== undefined) entry.leafWeight = lw;
      return entry;
    });
    if (wd.length) blockIO.weightDevice = wd;
    for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
      const list = b.field(key).optionalItems().map(parseThrottle);
      if (list.length) blockIO[key] = list;
    }
    out.blockIO = blockIO;
  }

  const hugepages = r.field('hugepageLimits').optionalItems().map((h) => {
    const pageSize = h.field('pageSize').string();
    if (!/^\d+(KB|MB|GB)$/.test(pageSize)) h.field('pageSize').fail(`${JSON.stringify(pageSize)} is not a page size such as "2MB" or "1GB"`);
    return { pageSize, limit: h.field('limit').integer(0, INT64) };
  });
  if (hugepages.length) out.hugepageLimits = hugepages;

  const n = r.field('network');
  if (n.present) {
    const network: NonNullable<LinuxResources['network']> = {};
    const classID = n.field('classID').optionalInteger(0, 0xffff_ffff);
    if (classID !== undefined) network.classID = classID;
    const priorities = n.field('priorities').optionalItems().map((x) => ({ name: x.field('name').string(), priority: x.field('priority').integer(0, 0xffff_ffff) }));
    if (priorities.length) network.priorities = priorities;
    out.network = network;
  }

  const rdma = r.field('rdma');
  if (rdma.present) {
    out.rdma = {};
    for (const device of Object.keys(rdma.object())) {
      const d = rdma.field(device);
      const entry: { hcaHandles?: number; hcaObjects?: number } = {};
      const handles = d.field('hcaHandles').optionalInteger(0, 0xffff_ffff);
      if (handles !== undefined) entry.hcaHandles = handles;
      const objects = d.field('hcaObjects').optionalInteger(0, 0xffff_ffff);
      if (objects !== undefined) entry.hcaObjects = objects;
      out.rdma[device] = entry;
    }
  }

  const unified = r.field('unified').optionalStringMap();
  if (unified) out.unified = unified;
  return out;
}

function parseDeviceRule(d: JsonReader): DeviceRule {
  const rule: DeviceRule = { allow: d.field('allow').boolean() };
  const type = d.field('type').optionalString();
  if (type !== undefined) {
    if (type !== 'a' && type !== 'c' && type !== 'b') d.field('type').fail(`unknown device type ${JSON.stringify(type)} (known: a, c, b)`);
    rule.type = type as DeviceRule['type'];
  }
  const major = d.field('major').optionalInteger(-1, 0xffff_ffff);
  if (major !== undefined && major >= 0) rule.major = major;
  const minor = d.field('minor').optionalInteger(-1, 0xffff_ffff);
  if (minor !== undefined && minor >= 0) rule.minor = minor;
  const access = d.field('access').optionalString();
  if (access !== undefined) {
    if (!/^[rwm]*$/.test(access)) d.field('access').fail(`${JSON.stringify(access)} may only hold r, w and m`);
    rule.access = access;
  }
  return rule;
}

function parseThrottle(t: JsonReader): ThrottleDevice {
  return { major: t.field('major').integer(0), minor: t.field('minor').integer(0), rate: t.field('rate').integer(0, INT64) };
}
