import { readFileSync, statSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { writeFileAtomic } from '../lib/atomic-write.js';

/**
 * The three files every container gets bind-mounted over its init layer's
 * placeholders, kept in its directory (Docker's HostnamePath, HostsPath,
 * ResolvConfPath), so they survive restarts and never reach an image.
 * They are written without an fsync (three of them would cost more than
 * the rest of a create); what a power cut empties is written again at the
 * next start (ensureEtcFiles).
 */

const LOCAL_HOSTS = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];

/** Docker's fallback when the host names no usable nameserver. */
const DEFAULT_NAMESERVERS = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];

/**
 * The host's resolv.conf as a container sees it: in a network namespace of
 * its own, a nameserver on the host's loopback (systemd-resolved's
 * 127.0.0.53) cannot be reached, so those lines go, as Docker removes them.
 */
export function containerResolvConf(hostText: string, hostNetwork: boolean): string {
  if (hostNetwork) return hostText;
  const lines = hostText.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b|0\.0\.0\.0)/.test(l));
  const text = lines.join('\n').replace(/\n+$/, '');
  const hasServer = lines.some((l) => /^\s*nameserver\s/.test(l));
  return `${hasServer ? text : [text, ...DEFAULT_NAMESERVERS].filter(Boolean).join('\n')}\n`;
}

export function containerHosts(hostNetwork: boolean, extra: string[] = []): string {
  if (hostNetwork) {
    try {
      return readFileSync('/etc/hosts', 'utf8');
    } catch {
      // no hosts file on the host: the container gets the local names
    }
  }
  return `${[...LOCAL_HOSTS, ...extra].join('\n')}\n`;
}

export interface EtcFiles {
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
}

const etcPaths = (dir: string): EtcFiles => ({ hostnamePath: `${dir}/hostname`, hostsPath: `${dir}/hosts`, resolvConfPath: `${dir}/resolv.conf` });

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return ''; // none on the host: the defaults
  }
}

const emptyOrMissing = (path: string): boolean => (statSync(path, { throwIfNoEntry: false })?.size ?? 0) === 0;

/** Writes each file `which` selects (all by default). */
function write(files: EtcFiles, hostname: string, hostNetwork: boolean, which: (path: string) => boolean = () => true): void {
  if (which(files.hostnamePath)) writeFileAtomic(files.hostnamePath, `${hostname}\n`, { durable: false });
  if (which(files.hostsPath)) writeFileAtomic(files.hostsPath, containerHosts(hostNetwork), { durable: false });
  if (which(files.resolvConfPath)) writeFileAtomic(files.resolvConfPath, containerResolvConf(hostResolvConf(), hostNetwork), { durable: false });
}

export function writeEtcFiles(dir: string, hostname: string, hostNetwork: boolean): EtcFiles {
  const files = etcPaths(dir);
  write(files, hostname, hostNetwork);
  return files;
}

/** Before a start: the files a power cut left empty (they were never fsynced), written again. */
export function ensureEtcFiles(dir: string, hostname: string, hostNetwork: boolean): void {
  write(etcPaths(dir), hostname, hostNetwork, emptyOrMissing);
}

export function hostHostnameOf(): string {
  return hostHostname();
}
