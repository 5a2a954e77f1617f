/* mount_ops.c — mount(2) and umount2(2) for the snapshotter's overlay and
 * bind mounts on the host. Errors name the mount and decode its flags
 * (MS_RDONLY|MS_NOSUID), as runc's do: "mount "overlay" on "/x" (overlay,
 * MS_RDONLY, "lowerdir=…"): Invalid argument". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "fs_ops.h"
#include "util.h"

struct flag_name {
	unsigned long flag;
	const char *name;
};

static const struct flag_name mount_flags[] = {
	{ MS_RDONLY, "MS_RDONLY" },	   { MS_NOSUID, "MS_NOSUID" },	   { MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" },	   { MS_SYNCHRONOUS, "MS_SYNCHRONOUS" }, { MS_REMOUNT, "MS_REMOUNT" },
	{ MS_MANDLOCK, "MS_MANDLOCK" },	   { MS_DIRSYNC, "MS_DIRSYNC" },	 { MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW" },
	{ MS_NOATIME, "MS_NOATIME" },	   { MS_NODIRATIME, "MS_NODIRATIME" },	 { MS_BIND, "MS_BIND" },
	{ MS_MOVE, "MS_MOVE" },		   { MS_REC, "MS_REC" },		 { MS_SILENT, "MS_SILENT" },
	{ MS_POSIXACL, "MS_POSIXACL" },	   { MS_UNBINDABLE, "MS_UNBINDABLE" },	 { MS_PRIVATE, "MS_PRIVATE" },
	{ MS_SLAVE, "MS_SLAVE" },	   { MS_SHARED, "MS_SHARED" },		 { MS_RELATIME, "MS_RELATIME" },
	{ MS_STRICTATIME, "MS_STRICTATIME" }, { MS_LAZYTIME, "MS_LAZYTIME" },
};

static const struct flag_name umount_flags[] = {
	{ MNT_FORCE, "MNT_FORCE" },
	{ MNT_DETACH, "MNT_DETACH" },
	{ MNT_EXPIRE, "MNT_EXPIRE" },
	{ UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW" },
};

/* "A|B|0x…" for the bits set in flags; "0" for none. */
static void decode_flags(unsigned long flags, const struct flag_name *names, size_t count, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		if (!(flags & names[i].flag))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "|" : "", names[i].name);
		flags &= ~names[i].flag;
	}
	if (used < size && (flags || !used))
		snprintf(out + used, size - used, "%s%#lx", used ? "|" : "", flags);
}

/* mount(source: string, target: string, fstype: string, flags: number, data: string): void
 * — an empty fstype or data is passed as NULL (bind, move, remount and
 * propagation changes take none). */
napi_value fs_mount(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	if (!args_exact(env, info, 5, argv, "mount(source, target, fstype, flags, data)"))
		return NULL;
	char *source _cleanup_free_ = string_arg(env, argv[0], "mount: source must be a string without NUL");
	if (!source)
		return NULL;
	char *target _cleanup_free_ = string_arg(env, argv[1], "mount: target must be a string without NUL");
	if (!target)
		return NULL;
	char *fstype _cleanup_free_ = string_arg(env, argv[2], "mount: fstype must be a string without NUL");
	if (!fstype)
		return NULL;
	uint64_t flags;
	if (!uint_arg(env, argv[3], "mount: flags must be a non-negative integer below 2^32", 0xffffffffu, &flags))
		return NULL;
	char *data _cleanup_free_ = string_arg(env, argv[4], "mount: data must be a string without NUL");
	if (!data)
		return NULL;
	if (mount(source, target, *fstype ? fstype : NULL, (unsigned long)flags, *data ? data : NULL) < 0) {
		int err = errno;
		char names[512];
		decode_flags((unsigned long)flags, mount_flags, sizeof(mount_flags) / sizeof(mount_flags[0]), names, sizeof(names));
		return throw_errno(env, err, "mount \"%s\" on \"%s\" (%s, %s%s%.1024s%s)", source, target, *fstype ? fstype : "no type",
				   names, *data ? ", \"" : "", data, *data ? "\"" : "");
	}
	return NULL;
}

/* umount2(target: string, flags: number): void */
napi_value fs_umount2(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	if (!args_exact(env, info, 2, argv, "umount2(target, flags)"))
		return NULL;
	char *target _cleanup_free_ = string_arg(env, argv[0], "umount2: target must be a string without NUL");
	if (!target)
		return NULL;
	uint64_t flags;
	if (!uint_arg(env, argv[1], "umount2: flags must be a non-negative integer below 2^32", 0xffffffffu, &flags))
		return NULL;
	if (umount2(target, (int)flags) < 0) {
		int err = errno;
		char names[128];
		decode_flags((unsigned long)flags, umount_flags, sizeof(umount_flags) / sizeof(umount_flags[0]), names, sizeof(names));
		return throw_errno(env, err, "unmount \"%s\" (%s)", target, names);
	}
	return NULL;
}
