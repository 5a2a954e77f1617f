import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { addon } from './addon.js';

/** What the kernel's errno means when it refuses a cgroup write. */
const REFUSALS: Record<string, string> = {
  EINVAL: 'the kernel refused the value (out of range or malformed)',
  EBUSY: 'the cgroup is busy: its processes already use more than that',
  EPERM: 'not permitted',
  EACCES: 'permission denied',
  ENOENT: 'no such file: the controller or this setting is not available here',
  ENOSPC: 'no space: a parent cgroup does not allow that much',
  EOPNOTSUPP: 'not supported by this kernel',
  ENODEV: 'no such device',
  ERANGE: 'out of range for this host (a CPU or memory node it does not have?)',
};

/**
 * One cgroup directory of one hierarchy: reads and writes its control files.
 * A refused write becomes an error that names the file, the value, the
 * setting it came from and the kernel's reason:
 * `memory.limit_in_bytes: cannot set 4096 (linux.resources.memory.limit) in /sys/fs/cgroup/memory/berth/x: the cgroup is busy…`.
 */
export class CgroupDir {
  constructor(readonly path: string) {}

  file(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** Writes value to a control file; `setting` names where the value came from, for the error. */
  write(name: string, value: string | number, setting?: string): void {
    try {
      writeFileSync(this.file(name), String(value));
    } catch (err) {
      throw this.refused(name, value, setting, err);
    }
  }

  /**
   * write() of many values, in order, each file opened once: the kernel
   * takes each write(2) as one value (the 18 lines of a v1 devices list
   * were 18 opens and closes). Files are closed before this returns.
   */
  writeAll(values: { name: string; value: string | number; setting?: string }[]): void {
    const fds = new Map<string, number>();
    try {
      for (const { name, value, setting } of values) {
        try {
          let fd = fds.get(name);
          if (fd === undefined) fds.set(name, (fd = openSync(this.file(name), 'w')));
          writeSync(fd, String(value));
        } catch (err) {
          throw this.refused(name, value, setting, err);
        }
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
  }

  /**
   * write() on the thread pool. For cgroup.procs: moving a process waits
   * for an RCU grace period in the kernel, per hierarchy; writes to all a
   * process's hierarchies at once share the wait instead of queueing.
   */
  async writeAsync(name: string, value: string | number, setting?: string): Promise<void> {
    try {
      await writeFile(this.file(name), String(value));
    } catch (err) {
      throw this.refused(name, value, setting, err);
    }
  }

  private refused(name: string, value: string | number, setting: string | undefined, err: unknown): EngineError {
    const errno = errnoOf(err) ?? 'error';
    const why = REFUSALS[errno] ?? (err as Error).message;
    const from = setting ? ` (${setting})` : '';
    return new EngineError(errno === 'ENOENT' ? 'NotImplemented' : 'InvalidArgument', 'CGROUP_WRITE', `${name}: cannot set ${JSON.stringify(String(value))}${from} in ${this.path}: ${why} [${errno}]`, { cause: err });
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8').trim();
  }

  /** A control file holding one number; "max" reads as -1, a missing file as undefined. */
  readNumber(name: string): number | undefined {
    try {
      const text = this.read(name);
      return text === 'max' ? -1 : Number(text);
    } catch {
      return undefined;
    }
  }

  /** "key value" lines (memory.stat, cpu.stat, memory.events…) → a map; missing file → empty. */
  readKeyValues(name: string): Record<string, number> {
    const out: Record<string, number> = {};
    let text: string;
    try {
      text = this.read(name);
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      const [key, value] = line.split(/\s+/);
      if (key && value !== undefined && value !== '') out[key] = value === 'max' ? -1 : Number(value);
    }
    return out;
  }

  /** The pids in cgroup.procs. */
  procs(): number[] {
    try {
      return this.read('cgroup.procs').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** The names in the directory (control files and child cgroups); [] when it is gone. */
  entries(): string[] {
    try {
      return readdirSync(this.path);
    } catch {
      return [];
    }
  }

  /** Whether a control file can be written at all (read-only ones report, they do not set). */
  writable(name: string): boolean {
    return (statSync(this.file(name)).mode & 0o222) !== 0;
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  child(name: string): CgroupDir {
    return new CgroupDir(join(this.path, name));
  }

  subdirectories(): string[] {
    try {
      return readdirSync(this.path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }
}

/** A failed mkdir of a cgroup: false when it was already there, else thrown. */
function mkdirFailed(path: string, err: unknown): false {
  if (errnoOf(err) === 'EEXIST') return false;
  throw new EngineError('Internal', 'CGROUP_MKDIR', `create cgroup ${path}: ${(err as Error).message}`, { cause: err });
}

/** A failed rmdir of a cgroup: true when it is gone anyway, false while busy (EBUSY: processes still exiting), else thrown. */
function rmdirFailed(path: string, err: unknown): boolean {
  const errno = errnoOf(err);
  if (errno === 'ENOENT') return true;
  if (errno === 'EBUSY') return false;
  throw new EngineError('Internal', 'CGROUP_RMDIR', `remove cgroup ${path}: ${(err as Error).message}`, { cause: err });
}

/** A failure the addon's mkdirs/rmdirs reported ("ENAME: text") as an Error with that code. */
function reported(op: string, path: string, text: string): Error {
  const code = text.slice(0, text.indexOf(':'));
  return Object.assign(new Error(`${code}: ${text.slice(code.length + 2)}, ${op} '${path}'`), { code });
}

/**
 * mkdir of each path in order (parents before children), as one task on
 * the thread pool; each one made is added to `made`, in order (one that
 * was there already is not). The first other failure is thrown once all
 * were tried (an ENOENT's cause says so: a parent another container's
 * delete removed meanwhile).
 */
export async function makeCgroupDirs(paths: string[], made: string[]): Promise<void> {
  if (paths.length === 0) return;
  const results = await addon().mkdirs(paths, 0o777);
  let failure: unknown;
  results.forEach((text, i) => {
    if (text === '') made.push(paths[i]!);
    else if (failure === undefined) {
      try {
        mkdirFailed(paths[i]!, reported('mkdir', paths[i]!, text));
      } catch (err) {
        failure = err;
      }
    }
  });
  if (failure !== undefined) throw failure;
}

/** rmdir of an empty cgroup; true once it is gone, false while it is busy. */
export function removeCgroupDir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (err) {
    return rmdirFailed(path, err);
  }
}

/**
 * rmdir of each path in order (children before parents), as one task on
 * the thread pool: for each, true once it is gone, false while it is busy
 * (EBUSY); any other failure is thrown.
 */
export async function removeCgroupDirs(paths: string[]): Promise<boolean[]> {
  if (paths.length === 0) return [];
  const results = await addon().rmdirs(paths);
  return results.map((text, i) => (text === '' ? true : rmdirFailed(paths[i]!, reported('rmdir', paths[i]!, text))));
}
