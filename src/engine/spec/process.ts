import { posix } from 'node:path';
import { EngineError } from '../../errors/engine-error.js';
import type { ContainerConfig } from './types.js';

/**
 * The process's command line, environment and working directory, as
 * dockerd 20.10 derives them from the container's Config
 * (container.CreateDaemonEnvironment, daemon/oci_linux.go WithCommonOptions).
 */

/** PATH a Linux container gets unless its Config sets one (moby's system.DefaultPathEnv). */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Docker's ReplaceOrAppendEnvValues: each override replaces the default of
 * the same name in place or is appended; a bare NAME (no "=") removes that
 * default — and is dropped when there is none.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map<string, number>();
  defaults.forEach((e, i) => index.set(e.slice(0, e.indexOf('=')), i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) out[i] = undefined;
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) out[i] = value;
    else out.push(value);
  }
  return out.filter((e): e is string => e !== undefined && e !== '');
}

/** PATH, HOSTNAME and (with a TTY) TERM=xterm, then the Config's Env over them. */
export function containerEnv(config: ContainerConfig, hostname: string): string[] {
  const defaults = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (config.Tty) defaults.push('TERM=xterm');
  return replaceOrAppendEnv(defaults, config.Env ?? []);
}

/** Entrypoint then Cmd; "No command specified" when both are empty. */
export function containerArgs(config: ContainerConfig): string[] {
  const entrypoint = config.Entrypoint?.length === 1 && config.Entrypoint[0] === '' ? [] : (config.Entrypoint ?? []);
  const args = [...entrypoint, ...(config.Cmd ?? [])];
  if (args.length === 0) throw new EngineError('InvalidArgument', 'NO_COMMAND', 'No command specified', { hint: 'give a command after the image name, or use an image with a CMD or ENTRYPOINT' });
  return args;
}

/** WorkingDir cleaned, "/" when unset. */
export function containerCwd(config: ContainerConfig): string {
  const wd = config.WorkingDir;
  if (!wd) return '/';
  if (!wd.startsWith('/')) throw new EngineError('InvalidArgument', 'BAD_WORKDIR', `the working directory '${wd}' is invalid, it needs to be an absolute path`);
  const clean = posix.normalize(wd);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}
