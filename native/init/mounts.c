/* mounts.c — the root (PREPARE_ROOT, PIVOT_ROOT, CHROOT, ENTER_EXEC_ROOT),
 * mounts and their propagation, masked and read-only paths, and the procfs
 * writes done through the container's /proc (SYSCTL, OOM_SCORE_ADJ). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "init.h"
#include "protocol.h"
#include "util.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr of <linux/mount.h> (which clashes with <sys/mount.h>) */
struct berth_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

unsigned long locked_mount_flags(int fd)
{
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return 0;
	unsigned long f = 0;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* mount(NULL, target, NULL, MS_REMOUNT|MS_BIND|flags|locked): fd is an
 * O_PATH fd of the mount's root. */
static int bind_remount(struct ctx *c, int fd, const char *shown, unsigned long flags)
{
	char buf[64];
	unsigned long locked = locked_mount_flags(fd);
	if (flags & ATIME_FLAGS)
		locked &= ~ATIME_FLAGS;
	unsigned long all = MS_REMOUNT | MS_BIND | flags | locked;
	if (mount(NULL, fd_path(c, fd, shown, buf, sizeof buf), NULL, all, NULL) < 0)
		return berr_sys("remount %s (%s)", q(shown), mount_flags_str(all));
	return 0;
}

int op_prepare_root(struct ctx *c, const struct op *op)
{
	const char *rootfs = op->args[0].s;
	unsigned long prop = op->args[1].u ? op->args[1].u : (MS_SLAVE | MS_REC);
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return berr_sys("mount propagation %s (%s)", q("/"), mount_flags_str(prop));
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_sys("mount %s to %s (%s)", q(rootfs), q(rootfs),
				mount_flags_str(MS_BIND | MS_REC));
	c->root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0)
		return berr_sys("open root %s", q(rootfs));
	return 0;
}

/* proc and sysfs go on an ordinary directory, never through a symlink or
 * onto a file the image put at their destination (runc's rule, the
 * CVE-2019-16884 class): a /proc that is a symlink to /dev/shm would leave
 * the container with a procfs hidden elsewhere and a fake one at /proc. */
static int check_ordinary_dir(struct ctx *c, const char *fstype, const char *dest)
{
	char name[NAME_MAX + 1];
	int parent _cleanup_close_ = root_open_parent(c, dest, name, sizeof name);
	if (parent < 0)
		return -1;
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0; /* made as a directory by the mount */
		return berr_sys("stat %s", q(dest));
	}
	if (!S_ISDIR(st.st_mode))
		return berr_set_plain(BERTH_ERR_GENERIC, ENOTDIR,
				      "filesystem %s must be mounted on an ordinary directory, and %s is %s",
				      q(fstype), q(dest), S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
	return 0;
}

int op_mount(struct ctx *c, const struct op *op)
{
	const char *src = op->args[0].s, *dest = op->args[1].s, *fstype = op->args[2].s;
	unsigned long flags = op->args[3].u;
	const char *data = op->args[4].s;
	int kind = op->args[5].u == BERTH_DEST_FILE ? RP_FILE : RP_DIR;
	unsigned long remount = op->args[6].u;
	uint64_t attr_set = op->args[7].u, attr_clr = op->args[8].u;
	char buf[64];

	if ((strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0) &&
	    check_ordinary_dir(c, fstype, dest) < 0)
		return berr_prefix("mount %s to %s", q(src), q(dest));
	int fd _cleanup_close_ = root_open(c, dest, kind);
	if (fd < 0)
		return berr_prefix("mount %s to %s", q(src), q(dest));
	if (mount(src, fd_path(c, fd, dest, buf, sizeof buf), *fstype ? fstype : NULL, flags,
		  *data ? data : NULL) < 0) {
		if (*fstype && flags)
			return berr_sys("mount %s to %s (type %s, %s)", q(src), q(dest), fstype,
					mount_flags_str(flags));
		if (*fstype)
			return berr_sys("mount %s to %s (type %s)", q(src), q(dest), fstype);
		if (flags)
			return berr_sys("mount %s to %s (%s)", q(src), q(dest), mount_flags_str(flags));
		return berr_sys("mount %s to %s", q(src), q(dest));
	}
	if (!remount && !attr_set && !attr_clr)
		return 0;

	/* fd is the directory under the new mount: resolve again */
	int top _cleanup_close_ = root_open(c, dest, RP_NOCREATE);
	if (top < 0)
		return berr_prefix("mount %s to %s", q(src), q(dest));
	if (remount && bind_remount(c, top, dest, remount) < 0)
		return -1;
	if (attr_set || attr_clr) {
		struct berth_mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr };
		if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			    sizeof attr) < 0)
			return berr_sys("mount_setattr %s (set 0x%llx, clear 0x%llx)", q(dest),
					(unsigned long long)attr_set, (unsigned long long)attr_clr);
	}
	return 0;
}

int op_mount_propagation(struct ctx *c, const struct op *op)
{
	const char *dest = op->args[0].s;
	unsigned long flags = op->args[1].u;
	char buf[64];
	int fd _cleanup_close_ = root_open(c, dest, RP_NOCREATE);
	if (fd < 0)
		return berr_prefix("mount propagation %s", q(dest));
	if (mount(NULL, fd_path(c, fd, dest, buf, sizeof buf), NULL, flags, NULL) < 0)
		return berr_sys("mount propagation %s (%s)", q(dest), mount_flags_str(flags));
	return 0;
}

int op_pivot_root(struct ctx *c)
{
	int oldroot _cleanup_close_ = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		return berr_sys("pivot_root: open %s", q("/"));
	if (fchdir(c->root_fd) < 0)
		return berr_sys("pivot_root: chdir to the root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berr_sys("pivot_root %s", q("."));
	/* the old root is now stacked on top of the new one */
	if (fchdir(oldroot) < 0)
		return berr_sys("pivot_root: chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berr_sys("mount propagation %s (%s)", q("old root"),
				mount_flags_str(MS_SLAVE | MS_REC));
	if (umount2(".", MNT_DETACH) < 0)
		return berr_sys("unmount %s", q("old root"));
	if (chdir("/") < 0)
		return berr_sys("chdir %s", q("/"));
	berth_closep(&c->root_fd);
	c->pivoted = true;
	return 0;
}

/* chroot into the cwd, then it is "/": the root's fd is no longer needed. */
static int chroot_here(struct ctx *c, int *root_fd)
{
	if (chroot(".") < 0)
		return berr_sys("chroot %s", q("."));
	if (chdir("/") < 0)
		return berr_sys("chdir %s", q("/"));
	berth_closep(root_fd);
	c->pivoted = true;
	return 0;
}

int op_chroot(struct ctx *c)
{
	if (fchdir(c->root_fd) < 0)
		return berr_sys("chroot: chdir to the root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return berr_sys("mount %s to %s (%s)", q("."), q("/"), mount_flags_str(MS_MOVE));
	return chroot_here(c, &c->root_fd);
}

int op_enter_exec_root(struct ctx *c)
{
	if (fchdir(c->exec_root_fd) < 0)
		return berr_sys("chdir to the exec root");
	return chroot_here(c, &c->exec_root_fd);
}

int op_root_propagation(const struct op *op)
{
	unsigned long flags = op->args[0].u;
	if (mount(NULL, "/", NULL, flags, NULL) < 0)
		return berr_sys("mount propagation %s (%s)", q("/"), mount_flags_str(flags));
	return 0;
}

int op_mask_path(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	char buf[64];
	int fd _cleanup_close_ = root_open(c, path, RP_NOCREATE);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_prefix("mask %s", q(path));
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return berr_sys("mask %s: stat", q(path));
	const char *target = fd_path(c, fd, path, buf, sizeof buf);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL) < 0)
			return berr_sys("mount %s to %s (type tmpfs, %s)", q("tmpfs"), q(path),
					mount_flags_str(MS_RDONLY));
	} else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0) {
		return berr_sys("mount %s to %s (%s)", q("/dev/null"), q(path),
				mount_flags_str(MS_BIND));
	}
	return 0;
}

int op_readonly_path(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	char buf[64];
	int fd _cleanup_close_ = root_open(c, path, RP_NOCREATE);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_prefix("make %s read-only", q(path));
	}
	const char *target = fd_path(c, fd, path, buf, sizeof buf);
	if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_sys("mount %s to %s (%s)", q(path), q(path),
				mount_flags_str(MS_BIND | MS_REC));
	int top _cleanup_close_ = root_open(c, path, RP_NOCREATE);
	if (top < 0)
		return berr_prefix("make %s read-only", q(path));
	return bind_remount(c, top, path, MS_RDONLY | MS_REC);
}

int op_remount_root_ro(void)
{
	int fd _cleanup_close_ = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys("open %s", q("/"));
	unsigned long all = MS_REMOUNT | MS_BIND | MS_RDONLY | locked_mount_flags(fd);
	if (mount(NULL, "/", NULL, all, NULL) < 0)
		return berr_sys("remount %s (%s)", q("/"), mount_flags_str(all));
	return 0;
}

/* Open a file on a real procfs for writing (CVE-2019-16884: a fake /proc in
 * the image must not redirect the write). dirpath must be a procfs directory
 * and rel stays beneath it without symlinks. */
static int open_proc_file(const char *dirpath, const char *rel, const char *shown)
{
	int dir _cleanup_close_ = open(dirpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berr_sys("open %s", q(dirpath));
	struct statfs sfs;
	if (fstatfs(dir, &sfs) < 0)
		return berr_sys("statfs %s", q(dirpath));
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return berr_set(BERTH_ERR_GENERIC, EXDEV, "open %s: %s is not a procfs", q(shown),
				dirpath);
	struct open_how how = {
		.flags = O_WRONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dir, rel, &how, sizeof how);
	if (fd < 0)
		return berr_sys("open %s", q(shown));
	if (fstatfs((int)fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close((int)fd);
		return berr_set(BERTH_ERR_GENERIC, EXDEV, "open %s: not on a procfs", q(shown));
	}
	return (int)fd;
}

static int write_proc(const char *dirpath, const char *rel, const char *value, size_t len,
		      const char *what)
{
	char shown[4200];
	snprintf(shown, sizeof shown, "%s/%s", dirpath, rel);
	int fd _cleanup_close_ = open_proc_file(dirpath, rel, shown);
	if (fd < 0)
		return berr_prefix("%s", what);
	ssize_t w;
	do
		w = write(fd, value, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return berr_sys("%s: write %s to %s", what, q(value), q(shown));
	return 0;
}

int op_sysctl(const struct op *op)
{
	char what[4200];
	snprintf(what, sizeof what, "sysctl %s", q(op->args[0].s));
	return write_proc("/proc/sys", op->args[0].s, op->args[1].s, op->args[1].len, what);
}

int op_oom_score_adj(const struct op *op)
{
	return write_proc("/proc/self", "oom_score_adj", op->args[0].s, op->args[0].len,
			  "oom_score_adj");
}
