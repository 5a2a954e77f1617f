import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import type { VolumeStore } from '../volume/store.js';
import type { MountPoint } from './container.js';
import type { ContainerStore } from './store.js';
import type { ContainerConfig, HostConfig } from './spec/types.js';

/**
 * A container's mounts from its create request, resolved as dockerd does
 * at create time: -v strings (HostConfig.Binds), --mount objects
 * (HostConfig.Mounts), --volumes-from, and the image's and -v's
 * anonymous volumes (Config.Volumes) for every destination nothing else
 * covers. Named volumes that do not exist are made; a new (empty) volume
 * is marked CopyUp, to be filled from the image at first start.
 */

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function invalid(spec: string, why: string): EngineError {
  return new EngineError('InvalidArgument', 'INVALID_MOUNT', `invalid volume specification: '${spec}': ${why}`);
}

function checkDestination(spec: string, dest: string): string {
  if (!isAbsolute(dest)) throw invalid(spec, `invalid mount config: destination ${JSON.stringify(dest)} is not an absolute path`);
  const clean = normalize(dest).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalid(spec, 'invalid mount config: destination can\'t be \'/\'');
  return clean;
}

export interface ResolveContext {
  volumes: VolumeStore;
  containers: ContainerStore;
}

export function resolveMounts(rc: ResolveContext, id: string, hc: HostConfig, config: ContainerConfig): MountPoint[] {
  const out = new Map<string, MountPoint>();
  const made: string[] = [];
  const add = (m: MountPoint, spec: string): void => {
    if (out.has(m.Destination)) throw new EngineError('InvalidArgument', 'DUPLICATE_MOUNT', `Duplicate mount point: ${m.Destination}`, { hint: `check ${spec}` });
    out.set(m.Destination, m);
  };
  const volume = (name: string | undefined, dest: string, rw: boolean, mode: string, opts: { noCopy?: boolean; labels?: Record<string, string> } = {}): MountPoint => {
    const existed = name !== undefined && rc.volumes.get(name) !== undefined;
    const v = rc.volumes.create(name, { ...(opts.labels ? { labels: opts.labels } : {}), ...(name === undefined ? { anonymous: true } : {}) });
    if (!existed) made.push(v.Name);
    return {
      Type: 'volume',
      Name: v.Name,
      Source: v.Mountpoint,
      Destination: dest,
      Driver: 'local',
      Mode: mode,
      RW: rw,
      Propagation: '',
      ...(name === undefined ? { Anonymous: true } : {}),
      ...(!opts.noCopy && rc.volumes.isEmpty(v.Name) ? { CopyUp: true } : {}),
    };
  };
  try {
    for (const spec of hc.Binds ?? []) {
      const parts = spec.split(':');
      if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw invalid(spec, 'expected source:destination[:options]');
      const [src, rawDest, modeText = ''] = parts as [string, string, string?];
      const dest = checkDestination(spec, rawDest);
      const flags = modeText ? modeText.split(',') : [];
      for (const f of flags) if (!['ro', 'rw', 'z', 'Z', 'nocopy', ...PROPAGATIONS].includes(f)) throw invalid(spec, `invalid mode: ${f}`);
      const rw = !flags.includes('ro');
      const propagation = flags.find((f) => PROPAGATIONS.has(f)) ?? '';
      if (isAbsolute(src)) {
        // -v creates a missing host directory, as Docker does (--mount refuses instead)
        if (!existsSync(src)) mkdirSync(src, { recursive: true, mode: 0o755 });
        add({ Type: 'bind', Source: normalize(src), Destination: dest, Mode: modeText, RW: rw, Propagation: propagation || 'rprivate' }, spec);
      } else {
        add(volume(src, dest, rw, modeText || 'z', { noCopy: flags.includes('nocopy') }), spec);
      }
    }
    for (const m of hc.Mounts ?? []) {
      const spec = `--mount type=${m.Type},target=${m.Target}`;
      const dest = checkDestination(spec, m.Target ?? '');
      const rw = !m.ReadOnly;
      if (m.Type === 'bind') {
        if (!m.Source || !isAbsolute(m.Source)) throw new EngineError('InvalidArgument', 'INVALID_MOUNT', `invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
        if (!existsSync(m.Source)) throw new EngineError('InvalidArgument', 'INVALID_MOUNT', `invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        add({ Type: 'bind', Source: normalize(m.Source), Destination: dest, Mode: '', RW: rw, Propagation: m.BindOptions?.Propagation || 'rprivate' }, spec);
      } else if (m.Type === 'volume') {
        add(volume(m.Source || undefined, dest, rw, 'z', { noCopy: m.VolumeOptions?.NoCopy === true, ...(m.VolumeOptions?.Labels ? { labels: m.VolumeOptions.Labels } : {}) }), spec);
      } else if (m.Type === 'tmpfs') {
        if (m.Source) throw new EngineError('InvalidArgument', 'INVALID_MOUNT', 'invalid mount config for type "tmpfs": source is not supported for tmpfs');
        const options = [...(m.TmpfsOptions?.SizeBytes ? [`size=${m.TmpfsOptions.SizeBytes}`] : []), ...(m.TmpfsOptions?.Mode ? [`mode=${m.TmpfsOptions.Mode.toString(8)}`] : [])];
        add({ Type: 'tmpfs', Source: '', Destination: dest, Mode: '', RW: rw, Propagation: '', Options: options }, spec);
      } else {
        throw new EngineError('InvalidArgument', 'INVALID_MOUNT', `invalid mount config: mount type ${JSON.stringify(m.Type)} is not supported`, { hint: 'use bind, volume or tmpfs' });
      }
    }
    for (const from of hc.VolumesFrom ?? []) {
      const [ref, mode] = from.split(':') as [string, string?];
      if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new EngineError('InvalidArgument', 'INVALID_MOUNT', `invalid mode for volumes-from: ${mode}`);
      const source = rc.containers.resolve(ref);
      for (const m of source.Mounts) {
        if (m.Type === 'tmpfs' || out.has(m.Destination)) continue;
        // shared, not owned: the source container's copy-up and anonymous-volume marks stay with it
        const shared: MountPoint = { ...m, RW: mode === undefined ? m.RW : mode === 'rw' };
        delete shared.CopyUp;
        delete shared.Anonymous;
        out.set(m.Destination, shared);
      }
    }
    for (const dest of Object.keys(config.Volumes ?? {})) {
      const clean = checkDestination(dest, dest);
      if (out.has(clean) || Object.keys(hc.Tmpfs ?? {}).some((t) => normalize(t) === clean)) continue;
      out.set(clean, volume(undefined, clean, true, ''));
    }
  } catch (err) {
    // nothing half-made: the volumes this call created go again
    for (const name of made) rc.volumes.remove(name, [], true);
    throw err;
  }
  void id;
  return [...out.values()];
}

/** Whether a bind source is a directory (for the spec's mount type) — files are bound too. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
