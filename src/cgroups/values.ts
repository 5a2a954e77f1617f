import type { LinuxResources } from '../spec/oci-resources.js';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import type { CgroupDir } from '../sys/cgroupfs.js';

/**
 * What the v1 and v2 controller files share: how a resources field is named
 * in a message, the checks of values both versions take, and writes that
 * tell a missing control file from a refused value.
 */

/** 'memory.limit' → 'linux.resources.memory.limit', the path a user finds in config.json. */
export function fieldPath(field: string): string {
  return `linux.resources.${field}`;
}

/** A value the kernel would refuse or misread: '<field>: <problem>' (and what to do, as the hint). */
export function badResource(field: string, problem: string, hint?: string): EngineError {
  return new EngineError('InvalidArgument', 'BAD_RESOURCE', `${fieldPath(field)}: ${problem}`, hint === undefined ? {} : { hint });
}

/** A setting this host's kernel has no control file for. */
export function unsupported(dir: CgroupDir, field: string, file: string, why?: string, hint?: string): EngineError {
  const reason = why ? `: ${why}` : '';
  return new EngineError('NotImplemented', 'CGROUP_UNSUPPORTED', `${fieldPath(field)}: this host has no ${file} in ${dir.path}${reason}`, hint === undefined ? {} : { hint });
}

/**
 * Writes one setting. The file is looked for first because cgroupfs answers
 * a write to a file it lacks with EACCES ("permission denied", as writeFile
 * asks to create it), which would send the user after the wrong problem. A
 * directory that is not there at all is left to the write to report.
 */
export function writeSetting(dir: CgroupDir, file: string, value: string | number, field: string, why?: string, hint?: string): void {
  checkSetting(dir, file, field, why, hint);
  dir.write(file, value, fieldPath(field));
}

/** Throws, as writeSetting does, where the cgroup has no such control file (the controller or setting is not here). */
export function checkSetting(dir: CgroupDir, file: string, field: string, why?: string, hint?: string): void {
  if (!dir.has(file) && dir.exists()) throw unsupported(dir, field, file, why, hint);
}

/** The errno behind a refused CgroupDir.write (EINVAL, EBUSY…), for the writes whose order the kernel can trip on. */
export function refusal(err: unknown): string | undefined {
  return err instanceof Error ? errnoOf(err.cause) : undefined;
}

/** Throws unless value is a whole number in [min, max]; `why` says where the range comes from. */
export function checkRange(field: string, value: number, min: number, max: number, why?: string): void {
  if (!Number.isSafeInteger(value)) throw badResource(field, `${value} is not a whole number`);
  if (value < min || value > max) throw badResource(field, `${value} is out of range [${min}, ${max}]${why ? ` (${why})` : ''}`);
}

/** A byte limit as the spec writes them: a whole number ≥ 0, or -1 for unlimited. */
export function checkLimit(field: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw badResource(field, `${value} is not a whole number of bytes`);
  if (value < -1) throw badResource(field, `${value} is negative: give a number of bytes, or -1 for unlimited`);
}

/** Set in the spec's sense, as runc reads it: 0 is the Go zero value, "leave as it is". */
export function isSet(value: number | undefined): value is number {
  return value !== undefined && value !== 0;
}

/**
 * A cpu or memory-node list as cpuset.cpus/cpuset.mems take it: "0-2,4",
 * also the kernel's stride form "0-7:2/4" (2 out of every 4). A descending
 * range or stray text makes the kernel answer EINVAL with no detail.
 */
export function checkCpuList(field: string, list: string): void {
  const bad = (problem: string): EngineError => badResource(field, `${JSON.stringify(list)} ${problem}`, 'write a list such as "0-2,4"');
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part);
    if (!m) throw bad(`is not a list such as "0-2,4": ${JSON.stringify(part)} is neither a number nor a range`);
    if (m[2] !== undefined && Number(m[2]) < Number(m[1])) throw bad(`has the range ${part}, which runs backwards`);
    if (m[3] !== undefined && (Number(m[3]) === 0 || Number(m[4]) === 0 || Number(m[3]) > Number(m[4]))) throw bad(`has the stride ${part}, which needs 0 < used ≤ group`);
  }
}

/** "major:minor" of a block device, checked. */
export function deviceNumbers(field: string, major: number, minor: number): string {
  checkRange(`${field}.major`, major, 0, 0xffff_ffff);
  checkRange(`${field}.minor`, minor, 0, 0xffff_ffff);
  return `${major}:${minor}`;
}

/**
 * What the stats report for "no limit". The v1 kernel prints its page
 * counter's ceiling (2^63 rounded down to a 4 KiB page); v2 prints "max",
 * which runc turns into 2^64 - 1. 2^64 - 1 does not survive a JS number
 * (it prints as 18446744073709552000, which overflows a Go uint64 decoding
 * the JSON), so both versions report v1's ceiling: exact as a double, the
 * same for both versions, and far above any machine's memory, which is how
 * docker recognises "unlimited".
 */
export const UNLIMITED_BYTES = 9223372036854771712;

/** A byte count read from a control file; "max" (read as -1) becomes UNLIMITED_BYTES, a missing file 0. */
export function bytesOf(dir: CgroupDir, file: string): number {
  const v = dir.readNumber(file);
  return v === undefined || Number.isNaN(v) ? 0 : v === -1 ? UNLIMITED_BYTES : v;
}

/** A counter read from a control file; missing or unreadable as 0. */
export function countOf(dir: CgroupDir, file: string): number {
  const v = dir.readNumber(file);
  return v === undefined || Number.isNaN(v) ? 0 : v;
}

/** The names of the files in a cgroup directory (none when it cannot be read). */
export function controlFiles(dir: CgroupDir): string[] {
  return dir.entries();
}

/**
 * A huge page size as the kernel names it in hugetlb.<size>.* files:
 * "64KB", "2MB", "1GB". `suffix` is the limit file's ending (v1
 * "limit_in_bytes", v2 "max"); the sizes this host has come from the
 * directory, so a size it lacks is named with the ones it has.
 */
export function hugetlbLimitFile(dir: CgroupDir, field: string, pageSize: string, suffix: string): string {
  if (!/^\d+(KB|MB|GB)$/.test(pageSize)) {
    throw badResource(field, `${JSON.stringify(pageSize)} is not a page size as the kernel names them`, 'write the size with its unit, such as "2MB" or "1GB"');
  }
  const file = `hugetlb.${pageSize}.${suffix}`;
  if (!dir.has(file) && dir.exists()) {
    const sizes = hugetlbSizes(dir, suffix);
    throw unsupported(dir, field, file, `the kernel offers no ${pageSize} huge pages here (its sizes: ${sizes.length ? sizes.join(', ') : 'none'})`);
  }
  return file;
}

/** The page sizes with a hugetlb.<size>.<suffix> file in dir. */
export function hugetlbSizes(dir: CgroupDir, suffix: string): string[] {
  const re = new RegExp(`^hugetlb\\.(\\d+[KMG]B)\\.${suffix.replace(/\./g, '\\.')}$`);
  return controlFiles(dir)
    .map((f) => re.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort((a, b) => pageBytes(a) - pageBytes(b));
}

function pageBytes(size: string): number {
  const unit = size.slice(-2);
  return parseInt(size, 10) * (unit === 'GB' ? 2 ** 30 : unit === 'MB' ? 2 ** 20 : 2 ** 10);
}

/**
 * Whether the spec's cpu settings need the cpu controller. Both versions ask
 * the same, realtime included: where it is unsupported, apply() refuses it.
 */
export function cpuSettingsGiven(r: LinuxResources): boolean {
  const c = r.cpu;
  if (!c) return false;
  return isSet(c.shares) || isSet(c.quota) || isSet(c.period) || c.burst !== undefined || c.idle !== undefined || isSet(c.realtimeRuntime) || isSet(c.realtimePeriod);
}

/** Whether the spec's memory settings need the memory controller (swappiness and the OOM switch included). */
export function memorySettingsGiven(r: LinuxResources): boolean {
  const m = r.memory;
  if (!m) return false;
  return isSet(m.limit) || isSet(m.reservation) || isSet(m.swap) || (m.swappiness !== undefined && m.swappiness !== -1) || m.disableOOMKiller === true;
}

/**
 * A new quota below the burst already set is refused by the kernel (EINVAL:
 * burst ≤ quota); say so rather than pass the bare errno on. `burstFile` is
 * where this cgroup version keeps the burst.
 */
export function checkBurstKept(dir: CgroupDir, c: NonNullable<LinuxResources['cpu']>, burstFile: string): void {
  if (!isSet(c.quota) || c.quota === -1 || c.burst !== undefined) return;
  const burst = dir.readNumber(burstFile);
  if (burst !== undefined && burst > c.quota) {
    throw badResource('cpu.quota', `${c.quota} is below the burst already set (${burst}): the kernel allows a burst of at most one quota`, 'lower cpu.burst in the same update');
  }
}
