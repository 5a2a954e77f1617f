/**
 * Go's net.ParseIP, IP.String, SplitHostPort and ParseMAC, which decide
 * what --dns, --add-host, -p and --mac-address accept: --dns sends the
 * address as Go prints it ("2001:db8::1", "::ffff:1.2.3.4" as "1.2.3.4").
 */

/** 4 bytes for an IPv4 address, 16 for IPv6; null when Go's ParseIP refuses it. */
export function parseIP(s: string): Uint8Array | null {
  for (const c of s) {
    if (c === '.') return parseIPv4(s);
    if (c === ':') return parseIPv6(s);
  }
  return null;
}

function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const ip = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Go refuses empty parts, non-digits, leading zeros ("010") and values over 255
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const n = Number(p);
    if (n > 255) return null;
    ip[i] = n;
  }
  return ip;
}

function parseIPv6(s: string): Uint8Array | null {
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return ip;
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]+/.exec(rest);
    // Go takes any number of hex digits ("00001") as long as the value fits 16 bits
    if (!m || parseInt(m[0], 16) > 0xffff) return null;
    if (rest[m[0].length] === '.') {
      // an embedded IPv4 address ends the string and fills four bytes
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4(rest);
      if (!v4) return null;
      ip.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const n = parseInt(m[0], 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return null;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    ip.copyWithin(ellipsis + n, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

const V4_IN_V6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Go's IP.String. */
export function ipString(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join('.');
  if (V4_IN_V6.every((b, i) => ip[i] === b)) return Array.from(ip.subarray(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  // the first longest run of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    if (j > i) i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groups[i]!.toString(16);
  }
  return out;
}

/** Go's net.SplitHostPort; the error is Go's AddrError text. */
export function splitHostPort(hostport: string): { host: string; port: string } | { error: string } {
  const fail = (why: string): { error: string } => ({ error: `address ${hostport}: ${why}` });
  const i = hostport.lastIndexOf(':');
  if (i < 0) return fail('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return fail("missing ']' in address");
    if (end + 1 === hostport.length) return fail('missing port in address');
    if (end + 1 !== i) return fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return fail('too many colons in address');
  }
  if (hostport.slice(j).includes('[')) return fail("unexpected '[' in address");
  if (hostport.slice(k).includes(']')) return fail("unexpected ']' in address");
  return { host, port: hostport.slice(i + 1) };
}

/** Go's net.ParseMAC: 6, 8 or 20 bytes as aa:bb:…, aa-bb-… or aabb.ccdd.…; true when it parses. */
export function isMAC(s: string): boolean {
  const hex2 = (t: string): boolean => /^[0-9a-fA-F]{2}$/.test(t);
  if (s.length < 14) return false;
  if (s[2] === ':' || s[2] === '-') {
    if ((s.length + 1) % 3 !== 0) return false;
    const n = (s.length + 1) / 3;
    if (n !== 6 && n !== 8 && n !== 20) return false;
    for (let i = 0; i < n; i++) {
      if (!hex2(s.slice(i * 3, i * 3 + 2))) return false;
      if (i < n - 1 && s[i * 3 + 2] !== s[2]) return false;
    }
    return true;
  }
  if (s[4] === '.') {
    if ((s.length + 1) % 5 !== 0) return false;
    const n = (2 * (s.length + 1)) / 5;
    if (n !== 6 && n !== 8 && n !== 20) return false;
    for (let x = 0; x < s.length; x += 5) {
      if (!hex2(s.slice(x, x + 2)) || !hex2(s.slice(x + 2, x + 4))) return false;
      if (x + 4 < s.length && s[x + 4] !== '.') return false;
    }
    return true;
  }
  return false;
}
