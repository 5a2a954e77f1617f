import { EngineError } from '../../errors/engine-error.js';
import { parseSignal } from '../../runtime/signals.js';
import type { ContainerConfig, ImageRunConfig } from './types.js';

/**
 * `docker create`: the container's Config from what the client sent and
 * what the image says, by dockerd's rules (daemon/commit.go merge and
 * mergeAndVerifyConfig). The engine stores the result as the container's
 * Config, as dockerd does; the spec is later built from it alone.
 *
 * - User, WorkingDir, StopSignal: the container's, else the image's.
 * - Env: the container's, then each image variable whose name it lacks.
 * - Labels, ExposedPorts, Volumes: union; a label the container sets wins.
 * - Entrypoint and Cmd: an Entrypoint given (even `--entrypoint ""`, which
 *   the client sends as [""]) drops the image's Cmd unless Cmd is given too;
 *   without one, the image's Entrypoint stays and Cmd is the container's
 *   or else the image's. [""] then means no entrypoint.
 * - Healthcheck: the container's fields, the image's where unset.
 *
 * Neither argument is changed. Throws "No command specified" when neither
 * an Entrypoint nor a Cmd remains.
 */
export function mergeImageConfig(container: ContainerConfig, image: ImageRunConfig | null | undefined): ContainerConfig {
  validateContainerConfig(container);
  const out: ContainerConfig = structuredClone(container);
  const img: ImageRunConfig = structuredClone(image ?? {});

  if (!out.User) out.User = img.User ?? '';
  if (!out.ExposedPorts || Object.keys(out.ExposedPorts).length === 0) {
    out.ExposedPorts = img.ExposedPorts ?? out.ExposedPorts ?? null;
  } else {
    for (const port of Object.keys(img.ExposedPorts ?? {})) out.ExposedPorts[port] ??= {};
  }

  if (!out.Env?.length) {
    out.Env = img.Env ?? out.Env ?? null;
  } else {
    const have = new Set(out.Env.map(envName));
    for (const e of img.Env ?? []) if (!have.has(envName(e))) out.Env.push(e);
  }

  out.Labels ??= {};
  for (const [k, v] of Object.entries(img.Labels ?? {})) if (!(k in out.Labels)) out.Labels[k] = v;

  if (!out.Entrypoint?.length) {
    if (!out.Cmd?.length) out.Cmd = img.Cmd ?? out.Cmd ?? null;
    // only an absent Entrypoint takes the image's: an empty list given on purpose stays empty
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = img.Entrypoint ?? null;
  }

  if (img.Healthcheck) {
    if (!out.Healthcheck) {
      out.Healthcheck = img.Healthcheck;
    } else {
      const h = out.Healthcheck;
      if (!h.Test?.length) h.Test = img.Healthcheck.Test;
      for (const key of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
        if (!h[key]) {
          const v = img.Healthcheck[key];
          if (v !== undefined) h[key] = v;
        }
      }
    }
  }

  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  if (!out.Volumes || Object.keys(out.Volumes).length === 0) {
    out.Volumes = img.Volumes ?? out.Volumes ?? null;
  } else {
    Object.assign(out.Volumes, img.Volumes ?? {});
  }
  if (!out.StopSignal) {
    const s = img.StopSignal;
    if (s) out.StopSignal = s;
  }

  if (out.Entrypoint?.length === 1 && out.Entrypoint[0] === '') out.Entrypoint = null;
  if (!out.Entrypoint?.length && !out.Cmd?.length) {
    throw new EngineError('InvalidArgument', 'NO_COMMAND', 'No command specified', { hint: 'give a command after the image name, or use an image with a CMD or ENTRYPOINT' });
  }
  return out;
}

/** The name part of NAME=value (all of it when there is no "="). */
export function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * What dockerd checks in a Config before anything else (validateContainerConfig):
 * an absolute WorkingDir, a StopSignal it knows, no variable without a name.
 */
export function validateContainerConfig(c: ContainerConfig): void {
  if (c.WorkingDir && !c.WorkingDir.startsWith('/')) {
    throw new EngineError('InvalidArgument', 'BAD_WORKDIR', `the working directory '${c.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (c.StopSignal) parseSignal(c.StopSignal);
  for (const e of c.Env ?? []) {
    if (envName(e) === '') throw new EngineError('InvalidArgument', 'BAD_ENV', `invalid environment variable: ${e}`);
  }
}
