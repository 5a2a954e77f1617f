import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface ProcStat {
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, it names one process for good. */
  startTime: number;
}

/** /proc/<pid>/stat, or undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/** Whether pid still names the process that started at startTime (and has not exited). */
export function isAlive(pid: number, startTime: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Sends a signal; false when the process is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if (err && typeof err === 'object' && 'code' in err && err.code === 'ESRCH') return false;
    throw err;
  }
}

/** Inode of /proc/<pid>/ns/<name>: equal inodes, same namespace. */
export function namespaceInode(pid: number | 'self', name: string): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** Every pid whose namespace of this kind is the given one. */
export function pidsInNamespace(name: string, inode: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (namespaceInode(pid, name) === inode) pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}

/** /proc/<pid>/cgroup: the cgroup of a process in each hierarchy. */
export function readProcCgroup(pid: number | 'self'): string {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
}
