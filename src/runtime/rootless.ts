import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import type { Spec } from '../spec/oci-runtime.js';
import type { MapCaller } from './plan/compile-create.js';

/** The effective uid of this process (0 where it cannot be told). */
export function effectiveUid(): number {
  return process.geteuid?.() ?? 0;
}

/** An unprivileged runtime (runc's "rootless"): no root on the host. */
export function isRootless(): boolean {
  return effectiveUid() !== 0;
}

/**
 * runc's --root default: /run/runc for root; $XDG_RUNTIME_DIR/runc for
 * anyone else (here /tmp/berth-runtime-<uid> when XDG_RUNTIME_DIR is unset).
 */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, uid: number = effectiveUid()): string {
  if (uid === 0) return '/run/berth-runtime';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && xdg.startsWith('/')) return join(xdg, 'berth-runtime');
  return `/tmp/berth-runtime-${uid}`;
}

/** A program on PATH (then /usr/bin, /bin), or undefined. */
export function findProgram(name: string, path: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter((d) => d.startsWith('/')), '/usr/bin', '/bin']) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Who runs the runtime, for the user namespace maps (undefined: root, writes them itself). */
export function mapCaller(): MapCaller | undefined {
  if (!isRootless()) return undefined;
  return { uid: effectiveUid(), gid: process.getegid?.() ?? 0, newuidmap: findProgram('newuidmap'), newgidmap: findProgram('newgidmap') };
}

/** Whether the user may make cgroups at every one of these directories (a delegated cgroup v2 subtree). */
export function cgroupDirsWritable(dirs: string[]): boolean {
  return dirs.every((dir) => {
    let d = dir;
    while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
    try {
      accessSync(d, constants.W_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** linux.resources entries that set a limit (device rules aside: runc ignores those when rootless). */
export function resourceLimitsSet(spec: Spec): string[] {
  const res = (spec.linux?.resources ?? {}) as Record<string, unknown>;
  return Object.entries(res)
    .filter(([key, value]) => key !== 'devices' && value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0))
    .map(([key]) => key);
}

/**
 * What runc does rootless without a cgroup it may write to: it goes on
 * without cgroups, unless the config asks for limits (or names its own
 * cgroupsPath), which would then silently not apply: that is refused.
 */
export function checkRootlessWithoutCgroups(spec: Spec): void {
  const limits = resourceLimitsSet(spec);
  if (limits.length) {
    throw new EngineError('NotImplemented', 'ROOTLESS_NO_CGROUP', `linux.resources (${limits.join(', ')}): cannot set limits: running rootless, the container could not join or create a cgroup (no delegated cgroup writable by uid ${effectiveUid()})`, {
      hint: 'remove the limits from linux.resources, run as root, or run under a delegated cgroup v2 subtree (systemd-run --user --scope -p Delegate=yes)',
    });
  }
  if (spec.linux?.cgroupsPath) {
    throw new EngineError('NotImplemented', 'ROOTLESS_NO_CGROUP', `linux.cgroupsPath ${JSON.stringify(spec.linux.cgroupsPath)}: running rootless, the container cannot create or join that cgroup (not writable by uid ${effectiveUid()})`, {
      hint: 'drop linux.cgroupsPath, or delegate that cgroup to the user',
    });
  }
}
