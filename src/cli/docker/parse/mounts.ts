import type { ApiMount } from '../../../engine/spec/types.js';
import { readCsvRecord } from './csv.js';
import { parseGoBool, sortedRecord, ValueError } from './go.js';
import { ramInBytes } from './units.js';

/**
 * --mount, -v and --tmpfs as the docker CLI turns them into the request:
 * --mount becomes HostConfig.Mounts (checked here, as the CLI does); -v is
 * only sorted into HostConfig.Binds (it names a source) or Config.Volumes
 * (an anonymous volume) — the daemon parses and checks it; --tmpfs is a
 * map of mount point to options that only the daemon reads.
 */

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type VolumeOptions = NonNullable<ApiMount['VolumeOptions']>;

/** One --mount value: type=…,source=…,target=…,readonly,… */
export function parseMount(value: string): ApiMount {
  const fields = readCsvRecord(value);
  const mount: Mutable<ApiMount> = { Type: 'volume' };
  let volume: { NoCopy?: boolean; Labels: Record<string, string>; DriverConfig: { Name?: string; Options?: Record<string, string> } } | undefined;
  let bind: { Propagation?: string; NonRecursive?: boolean } | undefined;
  let tmpfs: { SizeBytes?: number; Mode?: number } | undefined;
  const volumeOptions = (): NonNullable<typeof volume> => (volume ??= { Labels: {}, DriverConfig: {} });
  const bindOptions = (): NonNullable<typeof bind> => (bind ??= {});
  const tmpfsOptions = (): NonNullable<typeof tmpfs> => (tmpfs ??= {});
  const setOnMap = (target: Record<string, string>, v: string): void => {
    const eq = v.indexOf('=');
    if (eq < 0) target[v] = '';
    else target[v.slice(0, eq)] = v.slice(eq + 1);
  };
  const bool = (key: string, v: string, message = `invalid value for ${key}: ${v}`): boolean => {
    try {
      return parseGoBool(v);
    } catch {
      throw new ValueError(message);
    }
  };

  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        mount.ReadOnly = true;
        continue;
      }
      if (key === 'volume-nocopy') {
        volumeOptions().NoCopy = true;
        continue;
      }
      if (key === 'bind-nonrecursive') {
        bindOptions().NonRecursive = true;
        continue;
      }
      throw new ValueError(`invalid field '${field}' must be a key=value pair`);
    }
    const v = field.slice(eq + 1);
    switch (key) {
      case 'type':
        mount.Type = v.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = v;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = v;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, v);
        break;
      case 'consistency':
        mount.Consistency = v.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = v.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, v);
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = bool(key, v, `invalid value for volume-nocopy: ${v}`);
        break;
      case 'volume-label':
        setOnMap(volumeOptions().Labels, v);
        break;
      case 'volume-driver':
        volumeOptions().DriverConfig.Name = v;
        break;
      case 'volume-opt':
        setOnMap((volumeOptions().DriverConfig.Options ??= {}), v);
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(v);
        } catch {
          throw new ValueError(`invalid value for ${key}: ${v}`);
        }
        break;
      case 'tmpfs-mode': {
        // an octal number (strconv.ParseUint(v, 8, 32))
        if (!/^[0-7]+$/.test(v) || parseInt(v, 8) > 0xffffffff) throw new ValueError(`invalid value for ${key}: ${v}`);
        tmpfsOptions().Mode = parseInt(v, 8);
        break;
      }
      default:
        throw new ValueError(`unexpected key '${key}' in '${field}'`);
    }
  }

  if (!mount.Type) throw new ValueError('type is required');
  if (!mount.Target) throw new ValueError('target is required');
  if (volume && mount.Type !== 'volume') throw new ValueError(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (bind && mount.Type !== 'bind') throw new ValueError(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (tmpfs && mount.Type !== 'tmpfs') throw new ValueError(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);

  // Go's JSON leaves out empty fields (omitempty), so only what is set goes on the wire
  const out: Mutable<ApiMount> = {};
  out.Type = mount.Type;
  if (mount.Source) out.Source = mount.Source;
  out.Target = mount.Target;
  if (mount.ReadOnly) out.ReadOnly = true;
  if (mount.Consistency) out.Consistency = mount.Consistency;
  if (bind) out.BindOptions = { ...(bind.Propagation ? { Propagation: bind.Propagation } : {}), ...(bind.NonRecursive ? { NonRecursive: true } : {}) };
  if (volume) {
    const v: Mutable<VolumeOptions> = {};
    if (volume.NoCopy) v.NoCopy = true;
    if (Object.keys(volume.Labels).length > 0) v.Labels = sortedRecord(volume.Labels);
    const driver = volume.DriverConfig;
    v.DriverConfig = { ...(driver.Name ? { Name: driver.Name } : {}), ...(driver.Options && Object.keys(driver.Options).length > 0 ? { Options: sortedRecord(driver.Options) } : {}) };
    out.VolumeOptions = v;
  }
  if (tmpfs) out.TmpfsOptions = { ...(tmpfs.SizeBytes ? { SizeBytes: tmpfs.SizeBytes } : {}), ...(tmpfs.Mode ? { Mode: tmpfs.Mode } : {}) };
  return out;
}

const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c);

/**
 * Whether a -v value names a source (so it is a bind or a named volume, for
 * HostConfig.Binds) rather than being a bare container path (an anonymous
 * volume, for Config.Volumes). The CLI decides with the compose file
 * loader's ParseVolume and ignores its errors, so this follows the same
 * scan: fields split at colons, except the one after a drive letter ("c:").
 */
export function volumeHasSource(spec: string): boolean {
  const chars = Array.from(spec);
  if (chars.length <= 2) return false;
  let source = '';
  let target = '';
  let buffer: string[] = [];
  for (let i = 0; i <= chars.length; i++) {
    const c = i < chars.length ? chars[i]! : null;
    if (c === ':' && buffer.length === 1 && isLetter(buffer[0])) {
      buffer.push(c);
      continue;
    }
    if (c === ':' || c === null) {
      const s = buffer.join('');
      if (buffer.length === 0) break; // "empty section between colons": the scan stops
      if (source === '' && c === null) target = s;
      else if (source === '') source = s;
      else if (target === '') target = s;
      else if (c === ':') break; // "too many colons"
      buffer = [];
      continue;
    }
    buffer.push(c);
  }
  return source !== '';
}

/** --tmpfs /run:rw,size=64m → ["/run", "rw,size=64m"]; no colon, no options. */
export function splitTmpfs(value: string): [string, string] {
  const colon = value.indexOf(':');
  return colon < 0 ? [value, ''] : [value.slice(0, colon), value.slice(colon + 1)];
}
