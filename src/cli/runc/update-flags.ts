import { readFileSync } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import type { LinuxResources } from '../../spec/oci-resources.js';
import { JsonReader } from '../../runtime/config/json-reader.js';
import { parseResources } from '../../runtime/config/parse-resources.js';

export interface UpdateFlags {
  resources?: string;
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "1g", "1048576", "-1" → bytes, as runc's --memory takes them. */
export function parseBytes(flag: string, text: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new EngineError('InvalidArgument', 'BAD_FLAG', `--${flag}: ${JSON.stringify(text)} is not a size (e.g. 512m, 1g, or bytes)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function int(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new EngineError('InvalidArgument', 'BAD_FLAG', `--${flag}: ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

/** runc update's flags, or its -r file ("-" for stdin), → the resources to change. */
export function updateResources(o: UpdateFlags): LinuxResources {
  if (o.resources !== undefined) {
    const text = readFileSync(o.resources === '-' ? 0 : o.resources, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new EngineError('InvalidArgument', 'INVALID_CONFIG', `--resources: not valid JSON: ${(err as Error).message}`);
    }
    return parseResources(new JsonReader(json, 'resources'));
  }
  const r: LinuxResources = {};
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (o.cpuPeriod !== undefined) cpu.period = int('cpu-period', o.cpuPeriod);
  if (o.cpuQuota !== undefined) cpu.quota = int('cpu-quota', o.cpuQuota);
  if (o.cpuShare !== undefined) cpu.shares = int('cpu-share', o.cpuShare);
  if (o.cpuRtPeriod !== undefined) cpu.realtimePeriod = int('cpu-rt-period', o.cpuRtPeriod);
  if (o.cpuRtRuntime !== undefined) cpu.realtimeRuntime = int('cpu-rt-runtime', o.cpuRtRuntime);
  if (o.cpusetCpus !== undefined) cpu.cpus = o.cpusetCpus;
  if (o.cpusetMems !== undefined) cpu.mems = o.cpusetMems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (o.memory !== undefined) memory.limit = parseBytes('memory', o.memory);
  if (o.memoryReservation !== undefined) memory.reservation = parseBytes('memory-reservation', o.memoryReservation);
  if (o.memorySwap !== undefined) memory.swap = parseBytes('memory-swap', o.memorySwap);
  if (Object.keys(memory).length) r.memory = memory;
  if (o.pidsLimit !== undefined) r.pids = { limit: int('pids-limit', o.pidsLimit) };
  if (o.blkioWeight !== undefined) r.blockIO = { weight: int('blkio-weight', o.blkioWeight) };
  if (!Object.keys(r).length) throw new EngineError('InvalidArgument', 'NOTHING_TO_UPDATE', 'update: no resource given', { hint: 'pass flags such as --memory 256m, or -r resources.json' });
  // the same checks as a config's linux.resources
  return parseResources(new JsonReader(JSON.parse(JSON.stringify(r)), 'resources'));
}
