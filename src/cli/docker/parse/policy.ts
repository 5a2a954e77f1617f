import type { RestartPolicy } from '../../../engine/spec/types.js';
import { goFileError, goQuote, ValueError } from './go.js';
import { compactJson } from './json-compact.js';
import type { ReadFile } from './kv.js';

/**
 * Option values the docker CLI checks after reading the flags: restart
 * policy, security options (a seccomp profile is read and sent inline),
 * storage and logging options, sysctls, namespace modes, --attach and
 * --platform.
 */

/** --restart no | always | unless-stopped | on-failure[:N]; only the syntax is checked here, the name by the daemon. */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const parts = policy.split(':');
  if (parts.length > 2) throw new ValueError('invalid restart policy format');
  let count = 0;
  if (parts.length === 2) {
    const c = parts[1]!;
    if (!/^[+-]?[0-9]+$/.test(c) || Math.abs(Number(c)) > Number.MAX_SAFE_INTEGER) throw new ValueError('maximum retry count must be an integer');
    count = Number(c);
  }
  return { Name: parts[0]!, MaximumRetryCount: count };
}

export const restartIsNone = (p: RestartPolicy): boolean => p.Name === '' || p.Name === 'no';

/**
 * --security-opt values as sent: `seccomp=PATH` (or seccomp:PATH) becomes
 * `seccomp=<the file's JSON, compacted>`; `seccomp=unconfined`, label,
 * apparmor and no-new-privileges options pass through; a value with neither
 * "=" nor ":" is refused. `systempaths=unconfined` is taken out here and
 * becomes empty MaskedPaths/ReadonlyPaths.
 */
export function parseSecurityOpts(
  opts: readonly string[] | undefined,
  readFile: ReadFile,
): { securityOpt: string[] | null; maskedPaths: string[] | null; readonlyPaths: string[] | null } {
  if (!opts || opts.length === 0) return { securityOpt: null, maskedPaths: null, readonlyPaths: null };
  const out: string[] = [];
  for (const opt of opts) {
    let con: string[];
    const eq = opt.indexOf('=');
    if (eq >= 0) con = [opt.slice(0, eq), opt.slice(eq + 1)];
    else if (opt === 'no-new-privileges') con = [opt];
    else if (opt.includes(':')) con = [opt.slice(0, opt.indexOf(':')), opt.slice(opt.indexOf(':') + 1)];
    else throw new ValueError(`Invalid --security-opt: ${goQuote(opt)}`);
    if (con[0] === 'seccomp' && con[1] !== 'unconfined') {
      const path = con[1]!;
      let text: Buffer;
      try {
        text = readFile(path);
      } catch (err) {
        throw new ValueError(`opening seccomp profile (${path}) failed: ${goFileError('open', path, err)}`);
      }
      try {
        out.push(`seccomp=${compactJson(text)}`);
      } catch (err) {
        throw new ValueError(`compacting json for seccomp profile (${path}) failed: ${(err as Error).message}`);
      }
      continue;
    }
    out.push(opt);
  }
  const filtered = out.filter((o) => o !== 'systempaths=unconfined');
  const unconfined = filtered.length !== out.length;
  return { securityOpt: filtered, maskedPaths: unconfined ? [] : null, readonlyPaths: unconfined ? [] : null };
}

/** --storage-opt size=10G → { size: "10G" } */
export function parseStorageOpts(opts: readonly string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new ValueError('invalid storage option');
    m[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return m;
}

const SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** --sysctl: the namespaced sysctls the CLI lets through (net.*, fs.mqueue.*, the IPC ones). */
export function checkSysctl(value: string): string {
  const parts = value.split('=');
  const key = parts[0]!;
  if (parts.length < 2 || !(SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'))) {
    throw new ValueError(`sysctl '${value}' is not whitelisted`);
  }
  return value;
}

/** -a/--attach: stdin, stdout or stderr, in any case. */
export function normalizeAttach(value: string): 'stdin' | 'stdout' | 'stderr' {
  const s = value.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new ValueError('valid streams are STDIN, STDOUT and STDERR');
}

/** The namespace modes the CLI checks itself; the message is the CLI's. */
export function checkModes(o: { pid: string; uts: string; userns: string; cgroupns: string }): void {
  const head = (s: string): string => s.split(':')[0]!;
  const pidParts = o.pid.split(':');
  const pidOk = ['', 'host'].includes(pidParts[0]!) || (pidParts[0] === 'container' && pidParts.length === 2 && pidParts[1] !== '');
  if (!pidOk) throw new ValueError('--pid: invalid PID mode');
  if (!['', 'host'].includes(head(o.uts))) throw new ValueError('--uts: invalid UTS mode');
  if (!['', 'host'].includes(head(o.userns))) throw new ValueError('--userns: invalid USER mode');
  if (!['', 'private', 'host'].includes(o.cgroupns)) throw new ValueError('--cgroupns: invalid CGROUP mode');
}

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);

/** This machine's architecture in Go's (OCI's) words. */
export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' };
  return map[process.arch] ?? process.arch;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  if (a === 'i386') [a, v] = ['386', ''];
  else if (a === 'x86_64' || a === 'x86-64') [a, v] = ['amd64', ''];
  else if (a === 'aarch64' || a === 'arm64') [a, v] = ['arm64', v === '8' || v === 'v8' ? '' : v];
  else if (a === 'armhf') [a, v] = ['arm', 'v7'];
  else if (a === 'armel') [a, v] = ['arm', 'v6'];
  else if (a === 'arm') v = v === '' || v === '7' ? 'v7' : ['5', '6', '8'].includes(v) ? `v${v}` : v;
  return [a, v];
}

/**
 * --platform as the `platform` query parameter: containerd's
 * platforms.Parse, then "os/arch[/variant]" (an OS alone gets this
 * machine's architecture, an architecture alone the OS linux).
 */
export function formatPlatform(specifier: string): string {
  const fail = (why: string): ValueError => new ValueError(`error parsing specified platform: ${why}: invalid argument`);
  if (specifier.includes('*')) throw fail(`${goQuote(specifier)}: wildcards not yet supported`);
  const parts = specifier.split('/');
  for (const part of parts) {
    if (!/^[A-Za-z0-9_-]+$/.test(part)) {
      throw fail(`${goQuote(part)} is an invalid component of ${goQuote(specifier)}: platform specifier component must match "^[A-Za-z0-9_-]+$"`);
    }
  }
  const normalizeOS = (os: string): string => (os.toLowerCase() === 'macos' ? 'darwin' : os.toLowerCase());
  let os: string;
  let arch: string;
  let variant: string;
  if (parts.length === 1) {
    os = normalizeOS(parts[0]!);
    if (KNOWN_OS.has(os)) {
      arch = hostArch();
      variant = '';
    } else {
      [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (!KNOWN_ARCH.has(arch)) throw fail(`${goQuote(specifier)}: unknown operating system or architecture`);
      os = 'linux';
    }
  } else if (parts.length === 2) {
    os = normalizeOS(parts[0]!);
    [arch, variant] = normalizeArch(parts[1]!, '');
    if (arch === 'arm' && variant === 'v7') variant = '';
  } else if (parts.length === 3) {
    os = normalizeOS(parts[0]!);
    [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
    if (arch === 'arm64' && variant === '') variant = 'v8';
  } else {
    throw fail(`${goQuote(specifier)}: cannot parse platform specifier`);
  }
  return [os, arch, variant].filter((p) => p !== '').join('/');
}
