/**
 * Docker container configuration → OCI runtime spec, by dockerd 20.10's
 * rules. The engine's path through it:
 *
 *   create:  mergeImageConfig(Config, image config)   → the stored Config
 *            adaptHostConfig(HostConfig, host facts)  → the stored HostConfig + warnings
 *   start:   resolveUser(rootfs, Config.User, GroupAdd) (or let buildSpec do it)
 *            buildSpec({ id, config, hostConfig, rootfs, mounts, /etc files,
 *                        namespaces, cgroupsPath, host: realSpecHost() })
 *            specJson(spec) → config.json
 *
 * Where berth differs from dockerd 20.10 on purpose:
 * - ociVersion is berth's (1.2.0), not "1.0.2-dev"; no hooks (no libnetwork).
 * - The default seccomp profile is the project's (security/seccomp/docker-default.json,
 *   a newer moby profile), and linux.maskedPaths adds /sys/devices/virtual/powercap
 *   (moby 25); rules for syscalls this host's tables do not know are dropped.
 * - --domainname is the spec's `domainname`, not the kernel.domainname sysctl
 *   (berth's runtime refuses that sysctl); a kernel.domainname sysctl becomes it too.
 * - A "*" in a device cgroup rule is a missing number, not -1.
 * - --network host joins no network namespace rather than the host's by path.
 * - --ulimit hard limits above berthd's own are lowered to it with a warning
 *   when berthd lacks CAP_SYS_RESOURCE (dockerd fails at start).
 * - Sysctls are checked here (runc checks them at start).
 * - Orders dockerd takes from Go maps (Tmpfs, --group-add) are made fixed:
 *   Tmpfs by path, --group-add as given; mounts sort stably by depth.
 * - No AppArmor or SELinux: apparmor= and label= options are accepted and not
 *   applied (dockerd sets apparmorProfile "docker-default" where AppArmor is on).
 *
 * Left to the engine, as dockerd does them outside createSpec: the hostname
 * and /etc files of a container that joins another's network (its Config
 * then names the other's hostname), the tmpfs behind /dev/shm of a
 * "shareable" IPC namespace (SpecInput.shmPath), creating WorkingDir in the
 * root filesystem, and the "fallback to private" of a slave bind from the
 * data root.
 */
export { adaptHostConfig, withCreateDefaults, type AdaptHost } from './adapt.js';
export { buildSpec, specJson } from './build.js';
export { realSpecHost } from './host.js';
export type { NamespaceChoice, SpecHost, SpecInput, SpecMount } from './input.js';
export { mergeImageConfig } from './merge.js';
export { tmpfsOptionsFromApi } from './mounts.js';
export { resolveUser, resolveUserFrom, type ResolvedUser } from './user.js';
export type * from './types.js';
