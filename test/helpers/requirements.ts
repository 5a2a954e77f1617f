import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * What a test needs from the machine. A test whose requirement is missing
 * is skipped with the reason — except under CI, which installs all of these:
 * there a missing requirement fails the test instead of hiding it.
 */
export type Requirement = 'root' | 'runc' | 'crun' | 'docker' | 'podman' | 'busybox' | 'userns' | 'timens' | 'gcc' | 'python3' | 'skopeo' | 'umoci';

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const checks: Record<Requirement, () => boolean> = {
  root: () => process.getuid?.() === 0,
  runc: () => which('runc'),
  crun: () => which('crun'),
  docker: () => which('dockerd') && which('docker'),
  podman: () => which('podman'),
  busybox: () => existsSync('/bin/busybox') || which('busybox'),
  userns: () => existsSync('/proc/self/ns/user'),
  timens: () => existsSync('/proc/self/ns/time'),
  // static binaries the tests build (test/fixtures/probe.c): gcc and libc.a (libc6-dev, in build-essential)
  python3: () => which('python3'),
  skopeo: () => which('skopeo'),
  umoci: () => which('umoci'),
  gcc: () => which('gcc') && existsSync('/usr/lib/x86_64-linux-gnu/libc.a'),
};

/** For `test(name, { skip: missing(...) }, fn)`: false, or why the test cannot run. */
export function missing(...reqs: Requirement[]): string | false {
  const absent = reqs.filter((r) => !checks[r]());
  if (absent.length === 0) return false;
  const reason = `needs ${absent.join(', ')}`;
  if (process.env['CI']) throw new Error(`${reason}, which CI must provide (see scripts/install-deps.sh)`);
  return reason;
}
