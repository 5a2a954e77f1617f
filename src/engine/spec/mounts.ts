import { posix } from 'node:path';
import { EngineError } from '../../errors/engine-error.js';
import type { Mount } from '../../spec/oci-runtime.js';
import type { SpecHost, SpecMount } from './input.js';
import type { HostConfig } from './types.js';

/**
 * config.json's mounts as dockerd 20.10 lists them (daemon/oci_linux.go
 * WithMounts): its default file systems, minus those a user mount replaces,
 * then the user's mounts — binds and volumes, the /etc files, /dev/shm of a
 * shared IPC namespace, tmpfs — ordered by depth so that none hides another.
 */

export const DEFAULT_SHM_SIZE = 64 << 20;
export const IN_CONTAINER_INIT_PATH = '/sbin/docker-init';
const NETWORK_FILES = ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts'] as const;
type NetworkFile = (typeof NETWORK_FILES)[number];

/** moby's oci.DefaultLinuxSpec mounts, /dev/shm without its size (added from ShmSize). */
export function dockerDefaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

/** Which key each flag option collides on (moby/sys/mount's flag table); propagation modes share one. */
const FLAG_KEYS: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec', noexec: 'noexec',
  sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand', nomand: 'mand',
  atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime', nodiratime: 'nodiratime', relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  bind: 'propagation', rbind: 'propagation', unbindable: 'propagation', runbindable: 'propagation', private: 'propagation',
  rprivate: 'propagation', shared: 'propagation', rshared: 'propagation', slave: 'propagation', rslave: 'propagation',
};
const TMPFS_DATA_KEYS = new Set(['', 'size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * Tmpfs options without contradictions: of two options on the same flag
 * (ro/rw, exec/noexec, two propagation modes) or the same data key, the
 * later wins and keeps its place among the survivors (MergeTmpfsOptions).
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flags = new Set<string>();
  const data = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const opt = options[i]!;
    if (opt === 'defaults') continue;
    const key = FLAG_KEYS[opt];
    if (key !== undefined) {
      if (!flags.has(key)) out.unshift(opt);
      flags.add(key);
      continue;
    }
    const eq = opt.indexOf('=');
    const name = eq < 0 ? undefined : opt.slice(0, eq);
    if (name === undefined || !TMPFS_DATA_KEYS.has(name)) {
      const shown = eq < 0 ? `["${opt}"]` : `[${JSON.stringify(name)} ${JSON.stringify(opt.slice(eq + 1))}]`;
      throw new EngineError('InvalidArgument', 'BAD_TMPFS_OPTION', `Invalid tmpfs option ${shown}`, { hint: 'tmpfs takes mount flags (ro, noexec, …) and size=, mode=, uid=, gid=, nr_inodes=, nr_blocks=, mpol=' });
    }
    if (!data.has(name)) out.unshift(opt);
    data.add(name);
  }
  return out;
}

/**
 * --mount type=tmpfs's TmpfsOptions as tmpfs data (moby's ConvertTmpfsOptions):
 * "ro" when read-only, the mode in octal, the size in the largest unit that
 * divides it.
 */
export function tmpfsOptionsFromApi(opts: { SizeBytes?: number; Mode?: number } | null | undefined, readOnly: boolean): string[] {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opts?.Mode) out.push(`mode=${opts.Mode.toString(8)}`);
  if (opts?.SizeBytes) {
    const unit = [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]].find(([, d]) => opts.SizeBytes! % (d as number) === 0) as [string, number] | undefined;
    out.push(unit ? `size=${opts.SizeBytes / unit[1]}${unit[0]}` : `size=${opts.SizeBytes}`);
  }
  return out;
}

/** Depth of a destination, Docker's sort key: "/" count of the cleaned path. */
function depth(dest: string): number {
  const clean = posix.normalize(dest).replace(/(.)\/+$/, '$1');
  return clean.split('/').length - 1;
}

/** A mount on its way into the spec (moby's container.Mount). */
interface UserMount {
  source: string;
  destination: string;
  writable: boolean;
  propagation: string;
  nonRecursive?: boolean;
  /** tmpfs data; set for tmpfs mounts only */
  tmpfs?: string[];
}

export interface MountsContext {
  hostConfig: HostConfig;
  mounts: readonly SpecMount[];
  files: Partial<Record<NetworkFile, string>>;
  /** source of /dev/shm for a non-private IPC mode */
  shmPath: string | undefined;
  /** host path of the init binary, when --init applies (a private PID namespace) */
  initPath: string | undefined;
  host: Pick<SpecHost, 'mountPropagation'>;
}

export interface MountsResult {
  mounts: Mount[];
  rootfsPropagation?: string;
}

function ipcModeOf(hc: HostConfig): string {
  return hc.IpcMode || 'private';
}

function userMounts(ctx: MountsContext): UserMount[] {
  const hc = ctx.hostConfig;
  const tmpfsDests = new Set([...Object.keys(hc.Tmpfs ?? {}), ...ctx.mounts.filter((m) => m.type === 'tmpfs').map((m) => m.destination)]);
  const overrides = new Map<string, SpecMount>();
  const volumes: UserMount[] = [];
  for (const m of ctx.mounts) {
    if (m.type === 'tmpfs' || tmpfsDests.has(m.destination)) continue;
    if ((NETWORK_FILES as readonly string[]).includes(m.destination)) {
      overrides.set(m.destination, m);
      continue;
    }
    const propagation = m.propagation ?? (m.type === 'bind' ? 'rprivate' : '');
    volumes.push({ source: m.source, destination: m.destination, writable: !m.readOnly, propagation, ...(m.nonRecursive ? { nonRecursive: true } : {}) });
  }
  const list = volumes.sort((a, b) => depth(a.destination) - depth(b.destination));
  for (const dest of NETWORK_FILES) {
    const own = overrides.get(dest);
    const source = own?.source ?? ctx.files[dest];
    if (source === undefined) continue;
    list.push({ source, destination: dest, writable: own ? !own.readOnly : !hc.ReadonlyRootfs, propagation: 'rprivate' });
  }
  const ipc = ipcModeOf(hc);
  const hasShm = ctx.mounts.some((m) => m.destination === '/dev/shm') || tmpfsDests.has('/dev/shm');
  if (ipc !== 'private' && ipc !== 'none' && !hasShm) {
    const source = ctx.shmPath ?? (ipc === 'host' ? '/dev/shm' : undefined);
    if (source === undefined) throw new EngineError('Internal', 'NO_SHM_PATH', `IpcMode ${JSON.stringify(ipc)} needs the source of /dev/shm (SpecInput.shmPath)`);
    list.push({ source, destination: '/dev/shm', writable: true, propagation: 'rprivate' });
  }
  for (const dest of Object.keys(hc.Tmpfs ?? {}).sort()) {
    const data = hc.Tmpfs![dest]!;
    list.push({ source: 'tmpfs', destination: dest, writable: true, propagation: '', tmpfs: data ? data.split(',') : [] });
  }
  for (const m of ctx.mounts) {
    if (m.type === 'tmpfs' && !(hc.Tmpfs && m.destination in hc.Tmpfs)) {
      const data = m.options ?? [];
      list.push({ source: 'tmpfs', destination: m.destination, writable: !m.readOnly, propagation: '', tmpfs: m.readOnly && !data.includes('ro') ? ['ro', ...data] : [...data] });
    }
  }
  // Array.prototype.sort is stable: same depth keeps the order above
  return list.sort((a, b) => depth(a.destination) - depth(b.destination));
}

function checkPropagation(ctx: MountsContext, m: UserMount, wanted: 'shared' | 'slave'): void {
  const found = ctx.host.mountPropagation?.(m.source);
  if (!found) return;
  const ok = wanted === 'shared' ? found.shared : found.shared || found.slave;
  if (!ok) {
    throw new EngineError('InvalidArgument', 'MOUNT_PROPAGATION', `path ${m.source} is mounted on ${found.mountPoint} but it is not a ${wanted === 'shared' ? 'shared' : 'shared or slave'} mount`, {
      hint: `make it one first (mount --make-${wanted === 'shared' ? 'rshared' : 'rslave'} ${found.mountPoint}), or use private propagation`,
    });
  }
}

/** The spec's mounts and linux.rootfsPropagation for a container. */
export function buildMounts(ctx: MountsContext): MountsResult {
  const hc = ctx.hostConfig;
  const user = userMounts(ctx);
  const userDests = new Set(user.map((m) => m.destination));
  const mountDev = userDests.has('/dev');
  const defaults = dockerDefaultMounts();
  if (ctx.initPath) defaults.push({ destination: IN_CONTAINER_INIT_PATH, type: 'bind', source: ctx.initPath, options: ['bind', 'ro'] });

  const out: Mount[] = [];
  for (const m of defaults) {
    if (userDests.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (ipcModeOf(hc) === 'none') continue;
      m.options!.push(`size=${hc.ShmSize || DEFAULT_SHM_SIZE}`);
    }
    out.push(m);
  }

  let rootfsPropagation: string | undefined;
  for (const m of user) {
    if (m.tmpfs) {
      const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...m.tmpfs]);
      out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options });
      continue;
    }
    const p = m.propagation;
    if (p === 'shared' || p === 'rshared') {
      checkPropagation(ctx, m, 'shared');
      if (rootfsPropagation !== 'shared' && rootfsPropagation !== 'rshared') rootfsPropagation = 'shared';
    } else if (p === 'slave' || p === 'rslave') {
      checkPropagation(ctx, m, 'slave');
      if (!['shared', 'rshared', 'slave', 'rslave'].includes(rootfsPropagation ?? '')) rootfsPropagation = 'rslave';
    } else if (p !== '' && p !== 'private' && p !== 'rprivate') {
      throw new EngineError('InvalidArgument', 'MOUNT_PROPAGATION', `invalid propagation mode ${JSON.stringify(p)} for ${m.destination}`, { hint: 'use [r]private, [r]shared or [r]slave' });
    }
    const options = [m.nonRecursive ? 'bind' : 'rbind'];
    if (!m.writable) options.push('ro');
    if (p) options.push(p);
    out.push({ destination: m.destination, type: 'bind', source: m.source, options });
  }

  if (hc.ReadonlyRootfs) {
    const keep = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);
    for (const m of out) {
      if (!keep.has(m.destination) && !userDests.has(m.destination) && !m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  if (hc.Privileged) {
    for (const m of out) {
      if (m.destination === '/sys' || m.type === 'cgroup') m.options = m.options?.filter((o) => o !== 'ro');
    }
  }
  return rootfsPropagation ? { mounts: out, rootfsPropagation } : { mounts: out };
}
