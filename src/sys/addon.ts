import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EngineError } from '../errors/engine-error.js';
import { nativeBinary } from './native-paths.js';

/**
 * berth_addon.node (native/addon/, built by node-gyp with berth-init): the
 * host syscalls Node lacks. It is loaded on first use, not at start-up: a
 * `run` that needs none of it pays nothing for it (dlopen and N-API module
 * set-up), and a build without it fails only the command that needs it.
 */
export interface BerthAddon {
  /**
   * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn array, host
   * byte order) and attaches it to the cgroup v2 directory, replacing the
   * device filters attached there before (the new one is attached before the
   * old ones are detached). Throws an Error whose code is the errno name and
   * whose message names the operation and the directory (and carries the
   * verifier's log when the kernel refused the program).
   */
  attachDeviceFilter(cgroupDir: string, program: Buffer): void;
  /** The ids of the device programs attached to the directory itself. */
  attachedDeviceFilters(cgroupDir: string): number[];
}

let loaded: BerthAddon | undefined;

/** The addon, loaded once. */
export function addon(): BerthAddon {
  if (loaded) return loaded;
  const path = nativeBinary('berth_addon.node');
  if (!existsSync(path)) {
    throw new EngineError('Internal', 'NO_ADDON', `the native addon is missing: ${path}`, { hint: 'build the native part with: npm ci' });
  }
  try {
    // createRequire from the file itself: it works the same in the CommonJS
    // bundle (no import.meta there) and in the ESM sources the tests run.
    loaded = createRequire(path)(path) as BerthAddon;
  } catch (err) {
    throw new EngineError('Internal', 'NO_ADDON', `cannot load the native addon ${path}: ${(err as Error).message}`, { cause: err, hint: 'build the native part with: npm ci' });
  }
  return loaded;
}

/** attachDeviceFilter through the addon; its errors become EngineErrors that keep the errno name. */
export function attachDeviceFilter(cgroupDir: string, program: Buffer): void {
  const native = addon();
  try {
    native.attachDeviceFilter(cgroupDir, program);
  } catch (err) {
    const errno = (err as { code?: unknown }).code;
    // a program the verifier refused is berth's bug, whatever errno it came with
    const refused = (err as Error).message.includes('BPF_PROG_LOAD');
    const kind = refused ? 'Internal' : errno === 'EPERM' || errno === 'EACCES' ? 'Forbidden' : errno === 'ENOENT' ? 'NotFound' : 'Internal';
    // the errno name on the first line, as cgroupfs errors have it; the verifier's log (if any) below
    const [first, ...log] = (err as Error).message.trimEnd().split('\n');
    const tag = typeof errno === 'string' ? ` [${errno}]` : '';
    throw new EngineError(kind, 'DEVICE_FILTER', [`${first ?? ''}${tag}`, ...log].join('\n'), { cause: err });
  }
}
