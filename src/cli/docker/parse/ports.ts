import type { PortBinding } from '../../../engine/spec/types.js';
import { goQuote, ValueError } from './go.js';
import { parseIP, splitHostPort } from './net.js';

/**
 * -p/--publish and --expose as the docker CLI reads them (go-connections'
 * nat package): "[ip:][hostPort:]containerPort[/proto]" with ranges, and
 * the long form "published=8080,target=80,protocol=udp". The result is
 * Config.ExposedPorts and HostConfig.PortBindings, keyed "80/tcp".
 */

export interface PortSpecs {
  exposed: Record<string, object>;
  bindings: Record<string, PortBinding[]>;
}

/** strconv.ParseUint(s, 10, 16), with Go's message. */
function port16(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw new ValueError(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (n > 0xffff) throw new ValueError(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** nat.ParsePortRange: "80" or "8000-8010" (anything after a second dash is ignored, as in Go). */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new ValueError('Empty string specified for ports.');
  if (!ports.includes('-')) {
    const p = port16(ports);
    return [p, p];
  }
  const parts = ports.split('-');
  const start = port16(parts[0]!);
  const end = port16(parts[1]!);
  if (end < start) throw new ValueError(`Invalid range specified for the Port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "53/udp" → ["udp", "53"]; no protocol is tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** The long syntax of -p rewritten to the short one, as the CLI does before parsing. */
function toStandardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const opt = param.split('=');
    if (opt.length < 2) throw new ValueError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[opt[0]!] = opt[1]!;
  }
  return `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol'] ?? ''}`;
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1]!;
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0]!, container];
  if (n === 3) return [parts[0]!, parts[1]!, container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, container];
}

/** nat.ParsePortSpec: one -p value, possibly a range, to port → binding pairs. */
function parsePortSpec(raw: string): [string, PortBinding][] {
  const [rawIP, hostPortSpec, containerSpec] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerSpec);
  const split = splitHostPort(`${rawIP}:`);
  if ('error' in split) throw new ValueError(`Invalid ip address ${rawIP}: ${split.error}`);
  const ip = split.host;
  if (ip !== '' && parseIP(ip) === null) throw new ValueError(`Invalid ip address: ${ip}`);
  if (containerPort === '') throw new ValueError(`No port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new ValueError(`Invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPortSpec !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPortSpec);
    } catch {
      throw new ValueError(`Invalid hostPort: ${hostPortSpec}`);
    }
  }
  if (hostPortSpec !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new ValueError(`Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPortSpec}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new ValueError(`Invalid proto: ${proto}`);
  const out: [string, PortBinding][] = [];
  for (let i = 0; i <= end - start; i++) {
    let hostPort = hostPortSpec === '' ? '' : String(hostStart + i);
    // one container port published on a range of host ports: the daemon picks one of them
    if (start === end && hostStart !== hostEnd) hostPort = `${hostPort}-${hostEnd}`;
    out.push([`${start + i}/${proto.toLowerCase()}`, { HostIp: ip, HostPort: hostPort }]);
  }
  return out;
}

/** All -p values, then the --expose ones merged into the exposed set. */
export function parsePorts(publish: readonly string[], expose: readonly string[]): PortSpecs {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const p of publish.map(toStandardNotation)) {
    for (const [port, binding] of parsePortSpec(p)) {
      exposed[port] ??= {};
      (bindings[port] ??= []).push(binding);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new ValueError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new ValueError(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    // the protocol of --expose is not checked: the daemon takes "9/foo" as it is
    for (let i = start; i <= end; i++) exposed[`${i}/${proto}`] ??= {};
  }
  return { exposed, bindings };
}
