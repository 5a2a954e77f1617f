import { readdirSync, readFileSync, statfsSync } from 'node:fs';

/**
 * Facts about the host that `docker info` and `docker stats` report: the
 * distribution, kernel switches, the filesystem under the data root, the
 * machine's CPU time. Each reads one /proc, /etc or statfs answer and
 * gives a neutral value when it is missing.
 */

/** USER_HZ: /proc/stat counts in these ticks; it is 100 on every Linux architecture berth runs on. */
const CLOCK_TICKS = 100;

/** /etc/os-release's PRETTY_NAME and VERSION_ID (docker info's "Operating System" and OSVersion). */
export function osRelease(path = '/etc/os-release'): { prettyName: string; versionId: string } {
  let text = '';
  for (const p of [path, '/usr/lib/os-release']) {
    try {
      text = readFileSync(p, 'utf8');
      break;
    } catch {
      // the next candidate
    }
  }
  const fields = parseOsRelease(text);
  return { prettyName: fields['PRETTY_NAME'] || 'Linux', versionId: fields['VERSION_ID'] ?? '' };
}

/** KEY=value lines, values optionally quoted (os-release(5)). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    out[m[1]!] = value;
  }
  return out;
}

/** A /proc/sys switch that reads "1" (true), else false; undefined when the file is missing. */
export function sysctlEnabled(name: string): boolean | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').trim() === '1';
  } catch {
    return undefined;
  }
}

/** statfs(2) f_type values, by the names dockerd's graph drivers give them ("Backing Filesystem"). */
const FS_MAGIC: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0x858458f6: 'ramfs',
  0x65735546: 'fuse',
  0x73717368: 'squashfs',
  0xf15f: 'ecryptfs',
  0x5346544e: 'ntfs',
  0x4d44: 'msdos',
  0x3153464a: 'jfs',
  0x52654973: 'reiserfs',
};

/** The name of the filesystem a path is on, as dockerd prints it ("extfs", "xfs"…), or "<unknown>". */
export function backingFilesystem(path: string): string {
  try {
    const type = statfsSync(path).type;
    return FS_MAGIC[type] ?? `<unknown> (0x${type.toString(16)})`;
  } catch {
    return '<unknown>';
  }
}

/**
 * The machine's CPU time since boot in nanoseconds (docker stats'
 * system_cpu_usage): the first line of /proc/stat, user through softirq,
 * as dockerd sums it.
 */
export function systemCpuNanos(stat?: string): number {
  let text = stat;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/stat', 'utf8');
    } catch {
      return 0;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((sum, f) => sum + (Number(f) || 0), 0);
  return ticks * (1e9 / CLOCK_TICKS);
}

/** Open file descriptors of this process (docker info's NFd). */
export function openFileCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
