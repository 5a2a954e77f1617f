/**
 * Docker's defaults for a container that asks for nothing else (moby's
 * oci/caps/defaults.go and oci/defaults.go; checked against Debian's
 * docker.io 20.10 with test/fixtures/probe.c). The engine applies them;
 * `berth-runtime spec` keeps runc's own template (spec-template.ts).
 */
import type { Capabilities } from '../spec/oci-runtime.js';

/**
 * The 14 capabilities Docker grants a non-privileged container, in moby's
 * order: CapEff/CapPrm/CapBnd 00000000a80425fb as `docker run` shows them.
 */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/**
 * process.capabilities as Docker writes it: bounding, effective and
 * permitted; inheritable empty (since 20.10.14, CVE-2022-24769) and no
 * ambient set. Fresh arrays each call: the caller may change them.
 */
export function dockerDefaultCapabilities(): Capabilities {
  return { bounding: [...DOCKER_DEFAULT_CAPABILITIES], effective: [...DOCKER_DEFAULT_CAPABILITIES], permitted: [...DOCKER_DEFAULT_CAPABILITIES] };
}

/**
 * linux.maskedPaths of a non-privileged Docker container: files read empty
 * (/dev/null bound over them), directories are an empty read-only tmpfs.
 * Paths this kernel lacks are skipped. /sys/devices/virtual/powercap is
 * moby's since 25.0 (RAPL energy counters, CVE-2020-8694); 20.10 lacks it.
 */
export const DOCKER_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]);

/** linux.readonlyPaths of a non-privileged Docker container: bound read-only onto themselves. */
export const DOCKER_READONLY_PATHS: readonly string[] = Object.freeze(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
