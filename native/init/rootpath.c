/* rootpath.c — "path in root": every container path is resolved by file
 * descriptor with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) against the
 * prepared root (or "/" after the pivot), so a symlink in the image can never
 * lead outside. Missing components are created one at a time, re-resolving
 * the prefix from the root each time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static int openat2_in(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = resolve,
	};
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a concurrent rename; EINTR: retry */
		if ((errno != EAGAIN && errno != EINTR) || tries >= 32)
			return -1;
	}
}

static int in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	return openat2_in(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* A new fd of the directory paths are resolved against. */
static int root_dirfd(struct ctx *c)
{
	if (c->pivoted) {
		int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return berr_sys("open %s", q("/"));
		return fd;
	}
	if (c->root_fd < 0)
		return berr_plan("bad plan: container path used before PREPARE_ROOT");
	int fd = fcntl(c->root_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return berr_sys("dup root fd");
	return fd;
}

#define MAX_LINKS 40
#define WALK_RESTART (-2)

/* One walk over cur from the root, creating missing components (the final
 * one as `create` with `mode`, the others as 0755 directories). A dangling
 * symlink on the way is not a dead end: cur is rewritten to go through its
 * target (resolved inside the root, as RESOLVE_IN_ROOT does) and
 * WALK_RESTART returned, so that the target gets created, as runc's
 * securejoin + MkdirAll do. */
static int walk_once(int rootfd, char *cur, int create, mode_t mode, int *links)
{
	char prefix[PATH_MAX];
	size_t pre = 0;
	prefix[0] = 0;
	int parent _cleanup_close_ = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (parent < 0)
		return berr_sys("dup root fd");

	const char *p = cur;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX || pre + 1 + clen >= sizeof prefix)
			return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "resolve %s", q(cur));
		memcpy(comp, p, clen);
		comp[clen] = 0;
		const char *rest = end;
		while (*rest == '/')
			rest++;
		bool last = !*rest;
		p = end;
		if (strcmp(comp, ".") == 0)
			continue;
		size_t parent_len = pre;
		pre += (size_t)snprintf(prefix + pre, sizeof prefix - pre, "/%s", comp);

		int fd = in_root(rootfd, prefix, O_PATH, 0);
		if (fd < 0 && errno == ENOENT && strcmp(comp, "..") != 0) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(parent, comp, target, sizeof target - 1);
			if (n >= 0) {
				if (++*links > MAX_LINKS)
					return berr_set(BERTH_ERR_GENERIC, ELOOP, "resolve %s in the container root",
							q(prefix));
				target[n] = 0;
				char next[PATH_MAX];
				int len;
				if (target[0] == '/')
					len = snprintf(next, sizeof next, "%s/%s", target, rest);
				else
					len = snprintf(next, sizeof next, "%.*s/%s/%s", (int)parent_len, prefix,
						       target, rest);
				if (len < 0 || (size_t)len >= sizeof next)
					return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "resolve %s", q(prefix));
				memcpy(cur, next, (size_t)len + 1);
				return WALK_RESTART;
			}
			if (last && create == RP_FILE) {
				int f = in_root(rootfd, prefix, O_CREAT | O_RDONLY | O_NONBLOCK | O_NOCTTY,
						mode);
				if (f < 0)
					return berr_sys("create %s in the container root", q(prefix));
				close(f);
			} else if (mkdirat(parent, comp, last ? mode : 0755) < 0 && errno != EEXIST) {
				return berr_sys("mkdir %s in the container root", q(prefix));
			}
			fd = in_root(rootfd, prefix, O_PATH, 0);
		}
		if (fd < 0)
			return berr_sys("resolve %s in the container root", q(prefix));
		close(parent);
		parent = fd;
	}
	return take_fd(&parent);
}

int root_open_mode(struct ctx *c, const char *path, int create, mode_t mode)
{
	int rootfd _cleanup_close_ = root_dirfd(c);
	if (rootfd < 0)
		return -1;
	int fd = in_root(rootfd, path, O_PATH, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT || create == RP_NOCREATE)
		return berr_sys("resolve %s in the container root", q(path));

	char cur[PATH_MAX];
	size_t plen = strlen(path);
	if (plen >= sizeof cur)
		return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "resolve %s", q(path));
	memcpy(cur, path, plen + 1);
	int links = 0;
	for (;;) {
		fd = walk_once(rootfd, cur, create, mode, &links);
		if (fd != WALK_RESTART)
			return fd;
	}
}

int root_open(struct ctx *c, const char *path, int create)
{
	return root_open_mode(c, path, create, create == RP_FILE ? 0644 : 0755);
}

int root_open_parent(struct ctx *c, const char *path, char *name, size_t namesz)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof dir)
		return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "resolve %s", q(path));
	memcpy(dir, path, len + 1);
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = 0;
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return berr_set(BERTH_ERR_GENERIC, EINVAL, "resolve %s: no final name", q(path));
	if (strlen(base) >= namesz)
		return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "resolve %s", q(path));
	strcpy(name, base);
	if (slash == dir)
		dir[1] = 0; /* "/x" → "/" */
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, "/"); /* relative names are relative to the root */
	return root_open(c, dir, RP_DIR);
}

const char *fd_path(struct ctx *c, int fd, const char *plain, char *buf, size_t bufsz)
{
	if (c->pivoted) {
		/* inside the container /proc may be missing or not a procfs */
		struct statfs sfs;
		if (statfs("/proc/self/fd", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
			return plain;
	}
	snprintf(buf, bufsz, "/proc/self/fd/%d", fd);
	return buf;
}
