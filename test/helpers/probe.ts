/**
 * The probe (test/fixtures/probe.c): a static binary that, run as a
 * container's app, prints what the process is allowed as one JSON object —
 * capability sets, no_new_privs, seccomp, ids, user namespace maps — and the
 * outcome of attempts given as arguments (`try-open PATH w`, `try-read PATH`,
 * `try-write PATH [DATA]`, `try-mount [TARGET]`, `try-setuid UID`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, TMP } from './bundle.js';

export const PROBE_SOURCE = join(REPO, 'test', 'fixtures', 'probe.c');
/** Where bundles get it, inside the rootfs. */
export const PROBE_PATH = '/bin/probe';

export type CapSet = 'CapInh' | 'CapPrm' | 'CapEff' | 'CapBnd' | 'CapAmb';
export const CAP_SETS: readonly CapSet[] = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'];

export interface Attempt {
  try: string;
  arg: string;
  ok: boolean;
  errno?: string;
  /** try-read: how many bytes it read */
  bytes?: number;
}

export interface ProbeReport extends Record<CapSet, string> {
  /** Each set decoded, lowest capability number first. */
  caps: Record<CapSet, string[]>;
  NoNewPrivs: number;
  Seccomp: number;
  Seccomp_filters: number;
  /** real, effective, saved, filesystem */
  uid: number[];
  gid: number[];
  groups: number[];
  uid_map: string;
  gid_map: string;
  tries: Attempt[];
}

/**
 * The probe, compiled with `gcc -static -O2` once per version of its source
 * into .test-tmp/ (as busyboxRootfs() caches the rootfs).
 */
export function probeBinary(): string {
  const source = readFileSync(PROBE_SOURCE);
  const out = join(TMP, `probe-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(out)) return out;
  mkdirSync(TMP, { recursive: true });
  const tmp = `${out}.${process.pid}`;
  execFileSync('gcc', ['-static', '-O2', '-Wall', '-Werror', '-o', tmp, PROBE_SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(tmp, out);
  return out;
}

/** Copies the probe into a rootfs (at /bin/probe unless told), mode 0755, owned by root. */
export function installProbe(rootfs: string, at = PROBE_PATH): string {
  const dest = join(rootfs, at);
  rmSync(dest, { force: true }); // a busybox applet symlink of that name must not be written through
  copyFileSync(probeBinary(), dest);
  chmodSync(dest, 0o755);
  return dest;
}

/** The probe's report from a container's stdout; throws with the output if it is not one. */
export function parseProbe(stdout: string, stderr = ''): ProbeReport {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeReport;
  } catch {
    throw new Error(`no probe report in the output:\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}
