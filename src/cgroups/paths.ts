import { posix } from 'node:path';
import { EngineError } from '../errors/engine-error.js';

/** The parent of containers whose config names no cgroupsPath. */
export const DEFAULT_PARENT = '/berth';

/**
 * linux.cgroupsPath → the cgroup path in one hierarchy, as the spec and runc's
 * cgroupfs driver read it: absolute paths are taken from the hierarchy's
 * root, relative ones from the runtime's own cgroup there, and none means
 * /berth/<id>. `ownCgroup` is the runtime's cgroup in that hierarchy.
 */
export function cgroupPathFor(cgroupsPath: string | undefined, id: string, ownCgroup: string): string {
  if (!cgroupsPath) return posix.join(DEFAULT_PARENT, id);
  if (/^[^/:]+:[^:]*:[^:]+$/.test(cgroupsPath)) {
    throw new EngineError('NotImplemented', 'NO_SYSTEMD_CGROUP', `linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} is a systemd slice path, which needs the systemd cgroup driver: not supported yet`, {
      hint: 'use a cgroupfs path such as /berth/<id>, or leave cgroupsPath out',
    });
  }
  const path = cgroupsPath.startsWith('/') ? posix.normalize(cgroupsPath) : posix.join(ownCgroup, cgroupsPath);
  if (path === '/' || path.split('/').includes('..')) {
    throw new EngineError('InvalidArgument', 'BAD_CGROUPS_PATH', `linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} does not name a cgroup of its own below the root`);
  }
  return path;
}

/** /proc/<pid>/cgroup → the cgroup path per hierarchy key ("memory", "cpu,cpuacct", "name=systemd", "" for v2). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
