import type { DeviceMapping, DeviceRequest, ThrottleDevice, WeightDevice } from '../../../engine/spec/types.js';
import { readCsvRecord } from './csv.js';
import { goAtoi, parseGoUint, pathClean, ValueError } from './go.js';
import { kvMap } from './kv.js';
import { ramInBytes } from './units.js';

/**
 * Device flags, by the docker CLI's rules: --device, --device-cgroup-rule,
 * --blkio-weight-device, --device-{read,write}-{bps,iops} and --gpus.
 */

const validMode = (mode: string): boolean => mode !== '' && /^[rwm]+$/.test(mode) && new Set(mode).size === mode.length;

/**
 * --device host[:container][:rwm] for a Linux daemon (the CLI's
 * validateLinuxPath, then parseLinuxDevice): the container path defaults to
 * the host path, the permissions to "rwm"; paths are cleaned where the CLI
 * cleans them.
 */
export function parseDevice(value: string): DeviceMapping {
  const badFormat = (): ValueError => new ValueError(`bad format for path: ${value}`);
  if ((value.match(/:/g) ?? []).length > 2) throw badFormat();
  const split = value.split(':');
  if (split[0] === '') throw badFormat();
  let containerPath: string;
  let validated: string;
  if (split.length === 1) {
    containerPath = split[0]!;
    validated = pathClean(containerPath);
  } else if (split.length === 2) {
    if (validMode(split[1]!)) {
      containerPath = split[0]!;
      validated = `${pathClean(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1]!;
      validated = `${split[0]}:${pathClean(containerPath)}`;
    }
  } else {
    containerPath = split[1]!;
    if (!validMode(split[2]!)) throw new ValueError(`bad mode specified: ${split[2]}`);
    validated = value;
  }
  if (!containerPath.startsWith('/')) throw new ValueError(`${containerPath} is not an absolute path`);

  const arr = validated.split(':');
  let permissions = 'rwm';
  let dst = '';
  if (arr.length === 3) permissions = arr[2]!;
  if (arr.length >= 2) {
    if (validMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  const src = arr[0]!;
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

/** --device-cgroup-rule 'c 1:3 mr' */
export function checkDeviceCgroupRule(value: string): string {
  if (!/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(value)) throw new ValueError(`invalid device cgroup format '${value}'`);
  return value;
}

function devicePath(value: string): [string, string] {
  const colon = value.indexOf(':');
  if (colon < 0) throw new ValueError(`bad format: ${value}`);
  const path = value.slice(0, colon);
  if (!path.startsWith('/dev/')) throw new ValueError(`bad format for device path: ${value}`);
  return [path, value.slice(colon + 1)];
}

/** --blkio-weight-device /dev/sda:200 (10 to 1000, or 0). */
export function parseWeightDevice(value: string): WeightDevice {
  const [path, w] = devicePath(value);
  let weight: number;
  try {
    weight = parseUint10(w, 16);
  } catch {
    throw new ValueError(`invalid weight for device: ${value}`);
  }
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new ValueError(`invalid weight for device: ${value}`);
  return { Path: path, Weight: weight };
}

/** --device-read-bps /dev/sda:1mb */
export function parseThrottleBps(value: string): ThrottleDevice {
  const [path, r] = devicePath(value);
  const message = `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`;
  let rate: number;
  try {
    rate = ramInBytes(r);
  } catch {
    throw new ValueError(message);
  }
  if (rate < 0) throw new ValueError(message);
  return { Path: path, Rate: rate };
}

/** --device-read-iops /dev/sda:1000 */
export function parseThrottleIops(value: string): ThrottleDevice {
  const [path, r] = devicePath(value);
  try {
    return { Path: path, Rate: parseUint10(r, 64) };
  } catch {
    throw new ValueError(`invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
}

/** strconv.ParseUint(s, 10, bits) */
function parseUint10(s: string, bits: number): number {
  if (!/^[0-9]+$/.test(s)) throw new ValueError('invalid syntax');
  return parseGoUint(s, bits);
}

/** --gpus all | 2 | "device=0,1" | driver=…,count=…,capabilities=…,options=… */
export function parseGpus(value: string): DeviceRequest {
  const fields = readCsvRecord(value);
  const req: { Driver: string; Count: number; DeviceIDs: string[] | null; Capabilities: string[][] | null; Options: Record<string, string> | null } = {
    Driver: '',
    Count: 0,
    DeviceIDs: null,
    Capabilities: null,
    Options: null,
  };
  const seen = new Set<string>();
  const count = (s: string): number => {
    if (s === 'all') return -1;
    try {
      return goAtoi(s);
    } catch (err) {
      throw new ValueError(`count must be an integer: ${(err as Error).message}`);
    }
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    if (seen.has(key)) throw new ValueError(`gpu request key '${key}' can be specified only once`);
    seen.add(key);
    if (eq < 0) {
      seen.add('count');
      req.Count = count(key);
      continue;
    }
    const v = field.slice(eq + 1);
    switch (key) {
      case 'driver':
        req.Driver = v;
        break;
      case 'count':
        req.Count = count(v);
        break;
      case 'device':
        req.DeviceIDs = v.split(',');
        break;
      case 'capabilities':
        req.Capabilities = [[...v.split(','), 'gpu']];
        break;
      case 'options': {
        let opts: string[];
        try {
          opts = readCsvRecord(v);
        } catch (err) {
          throw new ValueError(`failed to read gpu options: ${(err as Error).message}`);
        }
        req.Options = kvMap(opts);
        break;
      }
      default:
        throw new ValueError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!seen.has('count') && req.DeviceIDs === null) req.Count = 1;
  return { Driver: req.Driver, Count: req.Count, DeviceIDs: req.DeviceIDs, Capabilities: req.Capabilities ?? [['gpu']], Options: req.Options ?? {} };
}
