import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Device } from '../../spec/oci-runtime.js';
import type { SpecHost } from './input.js';

/**
 * The SpecHost of this machine: what buildSpec needs to know and reads
 * nowhere itself. Device nodes are read with lstat (a symlink in /dev is
 * no device), the limits from /proc/self/limits, propagation from
 * /proc/self/mountinfo's optional fields.
 */

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** major/minor of a dev_t, as glibc's gnu_dev_major/minor split it. */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xffff_f000n);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffff_ff00n);
  return { major: Number(major), minor: Number(minor) };
}

function deviceOf(path: string, st: BigIntStats): Device | undefined {
  const fmt = Number(st.mode) & S_IFMT;
  const type = fmt === S_IFCHR ? 'c' : fmt === S_IFBLK ? 'b' : fmt === S_IFIFO ? 'p' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitDev(st.rdev);
  return { path, type, major, minor, fileMode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) };
}

function lstatBig(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Names in a directory in byte order, as Go's ReadDir and Walk give them. */
function names(dir: string): string[] {
  try {
    return readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  } catch {
    return [];
  }
}

/** runc's HostDevices: every node under /dev but pts, shm, fd, mqueue, the lxc/udev dirs, console and fifos. */
export function hostDevicesUnder(dir: string): Device[] {
  const out: Device[] = [];
  for (const name of names(dir)) {
    const path = join(dir, name);
    const st = lstatBig(path);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(name)) out.push(...hostDevicesUnder(path));
      continue;
    }
    if (name === 'console') continue;
    const d = deviceOf(path, st);
    if (d && d.type !== 'p') out.push(d);
  }
  return out;
}

/** moby's DevicesFromPath host side: the node at a path (a symlink there resolved), or every node under a directory. */
export function devicesAtPath(path: string): { resolved: string; devices: Device[] } {
  let resolved = path;
  if (lstatBig(path)?.isSymbolicLink()) {
    try {
      resolved = realpathSync(path);
    } catch {
      // a dangling link: nothing there
    }
  }
  const st = lstatBig(resolved);
  if (!st) return { resolved, devices: [] };
  const d = deviceOf(resolved, st);
  if (d) return { resolved, devices: [d] };
  let isDir: boolean;
  try {
    isDir = statSync(resolved).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) return { resolved, devices: [] };
  const devices: Device[] = [];
  const walk = (dir: string): void => {
    for (const name of names(dir)) {
      const p = join(dir, name);
      const s = lstatBig(p);
      if (!s) continue;
      if (s.isDirectory()) walk(p);
      else {
        const dev = deviceOf(p, s);
        if (dev) devices.push(dev);
      }
    }
  };
  walk(resolved);
  return { resolved, devices };
}

const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK', 'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** /proc/<pid>/limits → soft and hard limit by RLIMIT_* name; "unlimited" is 2^64. */
export function parseProcLimits(text: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  const value = (v: string): number => (v === 'unlimited' ? 2 ** 64 : Number(v));
  for (const line of text.split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const type = m && LIMIT_NAMES[m[1]!.trim()];
    if (type) out[type] = { soft: value(m[2]!), hard: value(m[3]!) };
  }
  return out;
}

/** Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff). */
function canRaiseLimits(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? ((BigInt(`0x${m[1]}`) >> 24n) & 1n) === 1n : false;
  } catch {
    return false;
  }
}

/** The mount holding a path and its propagation, from mountinfo text (optional fields "shared:N", "master:N"). */
export function propagationFrom(mountinfo: string, path: string): { mountPoint: string; shared: boolean; slave: boolean } | undefined {
  let best: { mountPoint: string; shared: boolean; slave: boolean } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 7) continue;
    const mountPoint = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const under = mountPoint === '/' || path === mountPoint || path.startsWith(`${mountPoint}/`);
    if (!under || (best && best.mountPoint.length > mountPoint.length)) continue;
    const optional = fields.slice(6, fields.indexOf('-'));
    best = { mountPoint, shared: optional.some((o) => o.startsWith('shared:')), slave: optional.some((o) => o.startsWith('master:')) };
  }
  return best;
}

let cached: SpecHost | undefined;

/** This machine's facts (read once; devices, propagation and sysctls are read at each call). */
export function realSpecHost(): SpecHost {
  if (cached) return cached;
  let limits: Record<string, { soft: number; hard: number }> = {};
  try {
    limits = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    // no /proc: no clamping
  }
  cached = {
    kernelRelease: release(),
    cgroupV2: existsSync('/sys/fs/cgroup/cgroup.controllers'),
    sysctlExists: (key) => existsSync(join('/proc/sys', key.replace(/\./g, '/'))),
    devicesAt: devicesAtPath,
    hostDevices: () => hostDevicesUnder('/dev'),
    mountPropagation: (path) => {
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        return undefined;
      }
      return propagationFrom(readFileSync('/proc/self/mountinfo', 'utf8'), real);
    },
    rlimits: { limits, canRaise: canRaiseLimits() },
  };
  return cached;
}
