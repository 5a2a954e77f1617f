import { posix, resolve } from 'node:path';
import type { Device, Mount, Spec } from '../../spec/oci-runtime.js';
import type { HostFacts } from '../../sys/host-facts.js';
import { JsonReader } from '../config/json-reader.js';
import { MS, parseMountOptions } from '../config/mount-options.js';
import { Dest } from '../../sys/native-protocol.generated.js';
import type { LaunchPlan } from './plan.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** The devices every container gets (runc and Docker agree on this list). */
export const DEFAULT_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666 },
];

const DEV_SYMLINKS: [target: string, link: string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

export interface RootfsContext {
  spec: Spec;
  bundle: string;
  host: HostFacts;
  /** A new user namespace: device nodes cannot be made, so they are bound from the host. */
  inUserNamespace: boolean;
  newNetworkNamespace: boolean;
  /** Without a cgroup namespace: the container's own cgroup directories to bind at /sys/fs/cgroup/<name>. */
  ownCgroupDirs?: Record<string, string> | undefined;
}

/**
 * spec.mounts → MOUNT ops, in order, destinations relative to the root.
 * Returns the container paths to make read-only once the root is pivoted.
 */
export function addMounts(plan: LaunchPlan, ctx: RootfsContext): string[] {
  const readOnlyLater: string[] = [];
  const mounts = ctx.spec.mounts ?? [];
  mounts.forEach((m, i) => addMount(plan, m, new JsonReader(m, `mounts[${i}]`), ctx, readOnlyLater));
  return readOnlyLater;
}

function addMount(plan: LaunchPlan, m: Mount, where: JsonReader, ctx: RootfsContext, readOnlyLater: string[]): void {
  const opts = parseMountOptions(m.options ?? [], (p) => where.field('options').fail(p));
  const isBind = m.type === 'bind' || (opts.flags & MS.BIND) !== 0;
  if (m.type === 'cgroup' || m.type === 'cgroup2') {
    if (addCgroupMount(plan, m, opts.flags, ctx)) readOnlyLater.push(m.destination);
    return;
  }
  if (m.type === 'sysfs' && ctx.inUserNamespace && !ctx.newNetworkNamespace) {
    // sysfs cannot be mounted from a user namespace that does not own the
    // network namespace; runc binds the host's /sys read-only instead.
    plan.add('MOUNT', '/sys', m.destination, '', MS.BIND | MS.REC, '', Dest.DIR, MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, 0);
    return;
  }
  if (isBind) {
    if (m.source === undefined || m.source === '') return where.field('source').fail('a bind mount needs a source');
    const source = resolve(ctx.bundle, m.source);
    const kind = ctx.host.pathKind(source);
    if (kind === 'missing') where.field('source').fail(`bind source ${JSON.stringify(source)} does not exist`);
    const bindFlags = MS.BIND | (opts.flags & MS.REC);
    // A bind mount ignores most flags; they take effect on a remount.
    const remount = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    plan.add('MOUNT', source, m.destination, '', bindFlags, '', kind === 'dir' ? Dest.DIR : Dest.FILE, remount, opts.attrSet, opts.attrClr);
  } else {
    if (!m.type) return where.field('type').fail('is required for a mount that is not a bind mount');
    plan.add('MOUNT', m.source ?? m.type, m.destination, m.type, opts.flags, opts.data, Dest.DIR, 0, opts.attrSet, opts.attrClr);
  }
  for (const p of opts.propagation) plan.add('MOUNT_PROPAGATION', m.destination, p);
}

/**
 * A "cgroup" mount becomes what the host has: on cgroup v2 one cgroup2
 * mount; on v1 (and hybrid) a tmpfs holding one mount per hierarchy, made
 * read-only afterwards when asked (returns true then).
 */
function addCgroupMount(plan: LaunchPlan, m: Mount, flags: number, ctx: RootfsContext): boolean {
  const hierarchies = ctx.host.cgroupHierarchies();
  const unified = hierarchies.find((h) => h.fstype === 'cgroup2' && h.name === '');
  const cgFlags = flags & (MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  const own = ctx.ownCgroupDirs;
  if (own) {
    // as runc does: the container sees its own cgroups, not the host's root
    const bind = (source: string, dest: string): void => {
      plan.add('MOUNT', source, dest, '', MS.BIND, '', Dest.DIR, cgFlags | MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, 0);
    };
    if (own[''] !== undefined) {
      bind(own[''], m.destination);
      return false;
    }
    plan.add('MOUNT', 'tmpfs', m.destination, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755', Dest.DIR, 0, 0, 0);
    for (const [name, dir] of Object.entries(own)) bind(dir, posix.join(m.destination, name));
    return (flags & MS.RDONLY) !== 0;
  }
  if (m.type === 'cgroup2' || unified) {
    plan.add('MOUNT', 'cgroup2', m.destination, 'cgroup2', cgFlags, '', Dest.DIR, 0, 0, 0);
    return false;
  }
  plan.add('MOUNT', 'tmpfs', m.destination, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755', Dest.DIR, 0, 0, 0);
  for (const h of hierarchies) {
    const dest = posix.join(m.destination, h.name);
    plan.add('MOUNT', h.fstype, dest, h.fstype, cgFlags, h.data, Dest.DIR, 0, 0, 0);
  }
  return (flags & MS.RDONLY) !== 0;
}

/** Devices, the /dev symlinks, /dev/ptmx; only when /dev is the container's own. */
export function addDevices(plan: LaunchPlan, ctx: RootfsContext): void {
  const mounts = ctx.spec.mounts ?? [];
  const devIsBound = mounts.some((m) => m.destination === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
  const userDevices = ctx.spec.linux?.devices ?? [];
  if (!devIsBound) {
    const custom = new Set(userDevices.map((d) => d.path));
    for (const d of DEFAULT_DEVICES) if (!custom.has(d.path)) addDevice(plan, d, ctx);
  }
  for (const d of userDevices) addDevice(plan, d, ctx);
  if (devIsBound) return;
  for (const [target, link] of DEV_SYMLINKS) plan.add('SYMLINK', target, link);
  if (mounts.some((m) => m.destination === '/dev/pts')) plan.add('SYMLINK', 'pts/ptmx', '/dev/ptmx');
}

function addDevice(plan: LaunchPlan, d: Device, ctx: RootfsContext): void {
  if (ctx.inUserNamespace) {
    // mknod is refused inside a user namespace: bind the host's node instead.
    plan.add('MOUNT', d.path, d.path, '', MS.BIND, '', Dest.FILE, 0, 0, 0);
    return;
  }
  const typeBits = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
  plan.add('MKNOD', d.path, typeBits | (d.fileMode ?? 0o666), d.major ?? 0, d.minor ?? 0, d.uid ?? 0, d.gid ?? 0);
}
