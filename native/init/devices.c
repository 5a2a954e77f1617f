/* devices.c — MKDIR, MKNOD and SYMLINK inside the root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

int op_mkdir(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	mode_t mode = (mode_t)op->args[1].u;

	int fd _cleanup_close_ = root_open(c, path, RP_NOCREATE);
	bool existed = fd >= 0;
	if (!existed) {
		if (errno != ENOENT)
			return berr_prefix("mkdir %s", q(path));
		fd = root_open_mode(c, path, RP_DIR, mode & 07777);
		if (fd < 0)
			return berr_prefix("mkdir %s", q(path));
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return berr_sys("mkdir %s: stat", q(path));
	if (!S_ISDIR(st.st_mode))
		return berr_set(BERTH_ERR_GENERIC, ENOTDIR, "mkdir %s", q(path));
	if (!existed && (mode & (S_ISUID | S_ISGID))) {
		/* mkdir(2) ignores these bits */
		int d _cleanup_close_ = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d < 0 || fchmod(d, mode & 07777) < 0)
			return berr_sys("chmod %s", q(path));
	}
	return 0;
}

/* Remove an existing non-directory at parent/name (EISDIR for a directory). */
static int remove_existing(int parent, const char *name, const char *what, const char *path)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_sys("%s %s: stat", what, q(path));
	}
	if (S_ISDIR(st.st_mode))
		return berr_set(BERTH_ERR_GENERIC, EISDIR, "%s %s", what, q(path));
	if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
		return berr_sys("%s %s: remove the existing file", what, q(path));
	return 0;
}

int op_mknod(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	mode_t mode = (mode_t)op->args[1].u;
	dev_t dev = makedev((unsigned)op->args[2].u, (unsigned)op->args[3].u);
	uid_t uid = (uid_t)op->args[4].u;
	gid_t gid = (gid_t)op->args[5].u;
	char name[NAME_MAX + 1];

	int parent _cleanup_close_ = root_open_parent(c, path, name, sizeof name);
	if (parent < 0)
		return berr_prefix("mknod %s", q(path));
	if (remove_existing(parent, name, "mknod", path) < 0)
		return -1;
	if (mknodat(parent, name, mode, dev) < 0)
		return berr_sys("mknod %s (mode 0%o, device %u:%u)", q(path), (unsigned)mode,
				(unsigned)op->args[2].u, (unsigned)op->args[3].u);
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys("chown %s to %u:%u", q(path), (unsigned)uid, (unsigned)gid);
	return 0;
}

int op_symlink(struct ctx *c, const struct op *op)
{
	const char *target = op->args[0].s, *path = op->args[1].s;
	char name[NAME_MAX + 1];

	int parent _cleanup_close_ = root_open_parent(c, path, name, sizeof name);
	if (parent < 0)
		return berr_prefix("symlink %s to %s", q(path), q(target));
	if (remove_existing(parent, name, "symlink", path) < 0)
		return -1;
	if (symlinkat(target, parent, name) < 0)
		return berr_sys("symlink %s to %s", q(path), q(target));
	return 0;
}
