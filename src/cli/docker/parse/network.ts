import { readCsvRecord } from './csv.js';
import { goQuote, sortedRecord, ValueError } from './go.js';
import { ipString, isMAC, parseIP } from './net.js';

/**
 * Network flags by the docker CLI's rules: --network (and its long form
 * name=…,alias=…,ip=…,ip6=…,driver-opt=…), --dns, --dns-search, --add-host,
 * --link, --mac-address, and the EndpointsConfig built from them.
 */

export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts?: Record<string, string>;
  links?: string[];
  ipv4?: string;
  ipv6?: string;
  linkLocalIPs?: string[];
}

/** One --network value. The long form is lower-cased, as the CLI does (a network "MyNet" becomes "mynet"). */
export function parseNetworkOpt(value: string): NetworkAttachment {
  // the CLI looks for the long form anywhere in the value (an unanchored \w+=\w+)
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return { target: value, aliases: [] };
  const att: NetworkAttachment = { target: '', aliases: [] };
  for (const field of readCsvRecord(value)) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new ValueError(`invalid field ${field}`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const v = field.slice(eq + 1).trim().toLowerCase();
    switch (key) {
      case 'name':
        att.target = v;
        break;
      case 'alias':
        att.aliases.push(v);
        break;
      case 'ip':
        att.ipv4 = v;
        break;
      case 'ip6':
        att.ipv6 = v;
        break;
      case 'driver-opt': {
        const deq = v.indexOf('=');
        if (deq < 0) throw new ValueError('invalid key value pair format in driver options');
        (att.driverOpts ??= {})[v.slice(0, deq).trim().toLowerCase()] = v.slice(deq + 1).trim().toLowerCase();
        break;
      }
      default:
        throw new ValueError(`invalid field key ${key}`);
    }
  }
  if (att.target === '') throw new ValueError('network name/id is not specified');
  return att;
}

/** --dns: an IP address, sent as Go prints it. */
export function normalizeDns(value: string): string {
  const ip = parseIP(value.trim());
  if (!ip) throw new ValueError(`${value} is not an ip address`);
  return ipString(ip);
}

const DOMAIN_RE = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** --dns-search: a domain (a trailing dot dropped), or "." for none. */
export function normalizeDnsSearch(value: string): string {
  const v = value.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  const m = /[a-zA-Z]/.test(v) ? DOMAIN_RE.exec(v) : null;
  if (!m || m[1]!.length >= 255) throw new ValueError(`${v} is not a valid domain`);
  return m[1]!;
}

/** --add-host host:ip (or host:host-gateway). */
export function checkExtraHost(value: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new ValueError(`bad format for add-host: ${goQuote(value)}`);
  const ip = value.slice(colon + 1);
  if (ip !== 'host-gateway' && parseIP(ip.trim()) === null) throw new ValueError(`invalid IP address in add-host: ${goQuote(ip)}`);
  return value;
}

/** --link name[:alias] */
export function checkLink(value: string): string {
  if (value === '') throw new ValueError('empty string specified for links');
  if (value.split(':').length > 2) throw new ValueError(`bad format for links: ${value}`);
  return value;
}

/** --mac-address; checked after the flags, with this message. */
export function checkMac(value: string): void {
  if (!isMAC(value.trim())) throw new ValueError(`${value} is not a valid mac address`);
}

/** Docker's NetworkMode.IsUserDefined. */
export function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !isContainerMode(mode);
}

export function isContainerMode(mode: string): boolean {
  const colon = mode.indexOf(':');
  return colon >= 0 && mode.slice(0, colon) === 'container';
}

/** Docker's EndpointSettings as the create request carries it (every field is sent, empty or not). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
}

export interface NetworkingConfig {
  EndpointsConfig: Record<string, EndpointSettings>;
}

/**
 * NetworkingConfig.EndpointsConfig from the --network values and the flags
 * that apply to the first network (--network-alias, --link, --ip, --ip6,
 * --link-local-ip). As in the CLI, one network without any of those sends
 * no endpoint (the daemon makes it), and those flags without --network are
 * ignored.
 */
export function buildEndpoints(
  networks: readonly NetworkAttachment[],
  first: { aliases: readonly string[]; links: readonly string[]; ipv4: string; ipv6: string; linkLocalIPs: readonly string[] },
): Record<string, EndpointSettings> {
  const endpoints: Record<string, EndpointSettings> = {};
  let userDefined = false;
  let builtIn = false;
  networks.forEach((original, i) => {
    const n: NetworkAttachment = { ...original };
    if (isUserDefined(n.target)) userDefined = true;
    else builtIn = true;
    if (i === 0) {
      if (n.aliases.length > 0 && first.aliases.length > 0) throw new ValueError('conflicting options: cannot specify both --network-alias and per-network alias');
      if (n.links?.length && first.links.length > 0) throw new ValueError('conflicting options: cannot specify both --link and per-network links');
      if (n.ipv4 && first.ipv4) throw new ValueError('conflicting options: cannot specify both --ip and per-network IPv4 address');
      if (n.ipv6 && first.ipv6) throw new ValueError('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
      if (first.aliases.length > 0) n.aliases = [...first.aliases];
      if (first.links.length > 0) n.links = [...first.links];
      if (first.ipv4) n.ipv4 = first.ipv4;
      if (first.ipv6) n.ipv6 = first.ipv6;
      if (first.linkLocalIPs.length > 0) n.linkLocalIPs = [...first.linkLocalIPs];
    }
    if (n.target.trim() === '') throw new ValueError('no name set for network');
    if (!isUserDefined(n.target)) {
      if (n.aliases.length > 0) throw new ValueError('network-scoped aliases are only supported for user-defined networks');
      if (n.links?.length) throw new ValueError('links are only supported for user-defined networks');
    }
    const ipam = n.ipv4 || n.ipv6 || n.linkLocalIPs?.length;
    const ep: EndpointSettings = {
      IPAMConfig: ipam
        ? { ...(n.ipv4 ? { IPv4Address: n.ipv4 } : {}), ...(n.ipv6 ? { IPv6Address: n.ipv6 } : {}), ...(n.linkLocalIPs?.length ? { LinkLocalIPs: n.linkLocalIPs } : {}) }
        : null,
      Links: n.links?.length ? n.links : null,
      Aliases: n.aliases.length > 0 ? n.aliases : null,
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: '',
      DriverOpts: n.driverOpts && Object.keys(n.driverOpts).length > 0 ? sortedRecord(n.driverOpts) : null,
    };
    if (Object.hasOwn(endpoints, n.target)) throw new ValueError(`network ${goQuote(n.target)} is specified multiple times`);
    const empty = !ep.IPAMConfig && !ep.Links && !ep.Aliases && !ep.DriverOpts;
    if (i === 0 && networks.length === 1 && empty) return;
    endpoints[n.target] = ep;
  });
  if (userDefined && builtIn) throw new ValueError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}
