/* fs_ops.c — mknod(2) and the l*xattr(2) family for layer unpacking and
 * diffing (src/snapshot/layer/): device nodes, fifos, overlay whiteouts
 * (0:0 character devices), the opaque-directory xattr and file
 * capabilities. Every xattr call is the l* form: a symlink in a layer is
 * data, never followed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs_ops.h"
#include "napi_args.h"
#include "util.h"

/* The kernel's limits (linux/limits.h): XATTR_SIZE_MAX, XATTR_LIST_MAX. */
#define VALUE_MAX 65536u
#define LIST_MAX 65536u

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFREG: return "file";
	case S_IFSOCK: return "socket";
	default: return "mode";
	}
}

/* mknod(path: string, mode: number, major: number, minor: number): void —
 * mode carries the file type (S_IFCHR…) and the permission bits (the umask
 * still applies, as it does to mknod(2)). */
napi_value fs_mknod(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	if (!args_exact(env, info, 4, argv, "mknod(path, mode, major, minor)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "mknod: path must be a string without NUL");
	if (!path)
		return NULL;
	uint64_t mode, major, minor;
	if (!uint_arg(env, argv[1], "mknod: mode must be an integer from 0 to 0xffff", 0xffff, &mode) ||
	    !uint_arg(env, argv[2], "mknod: major must be an integer from 0 to 0xfff", 0xfff, &major) ||
	    !uint_arg(env, argv[3], "mknod: minor must be an integer from 0 to 0xfffff", 0xfffff, &minor))
		return NULL;
	if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
		return throw_errno(env, errno, "mknod \"%s\" (%s %u:%u, mode %04o)", path, file_kind((mode_t)mode), (unsigned)major,
				   (unsigned)minor, (unsigned)(mode & 07777));
	return NULL;
}

/* lsetxattr(path: string, name: string, value: Buffer, flags: number): void
 * — flags: 0, XATTR_CREATE (1) or XATTR_REPLACE (2). */
napi_value fs_lsetxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	if (!args_exact(env, info, 4, argv, "lsetxattr(path, name, value, flags)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "lsetxattr: path must be a string without NUL");
	if (!path)
		return NULL;
	char *name _cleanup_free_ = string_arg(env, argv[1], "lsetxattr: name must be a string without NUL");
	if (!name)
		return NULL;
	void *value;
	size_t len;
	uint64_t flags;
	if (!buffer_arg(env, argv[2], "lsetxattr: value must be a Buffer", &value, &len) ||
	    !uint_arg(env, argv[3], "lsetxattr: flags must be 0, 1 (XATTR_CREATE) or 2 (XATTR_REPLACE)", 3, &flags))
		return NULL;
	if (lsetxattr(path, name, value, len, (int)flags) < 0)
		return throw_errno(env, errno, "set xattr \"%s\" on \"%s\"", name, path);
	return NULL;
}

/* lgetxattr(path: string, name: string): Buffer — ENODATA when absent. */
napi_value fs_lgetxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	if (!args_exact(env, info, 2, argv, "lgetxattr(path, name)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "lgetxattr: path must be a string without NUL");
	if (!path)
		return NULL;
	char *name _cleanup_free_ = string_arg(env, argv[1], "lgetxattr: name must be a string without NUL");
	if (!name)
		return NULL;
	/* Ask with a buffer of the kernel's maximum size: one call, and no
	 * size-then-read race with a writer changing the value meanwhile. */
	char *buf _cleanup_free_ = malloc(VALUE_MAX);
	if (!buf)
		return throw_errno(env, ENOMEM, "get xattr \"%s\" of \"%s\"", name, path);
	ssize_t n = lgetxattr(path, name, buf, VALUE_MAX);
	if (n < 0)
		return throw_errno(env, errno, "get xattr \"%s\" of \"%s\"", name, path);
	napi_value out;
	if (napi_create_buffer_copy(env, (size_t)n, buf, NULL, &out) != napi_ok)
		return NULL;
	return out;
}

/* llistxattr(path: string): string[] — the names, in the kernel's order. */
napi_value fs_llistxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args_exact(env, info, 1, argv, "llistxattr(path)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "llistxattr: path must be a string without NUL");
	if (!path)
		return NULL;
	char *buf _cleanup_free_ = malloc(LIST_MAX);
	if (!buf)
		return throw_errno(env, ENOMEM, "list xattrs of \"%s\"", path);
	ssize_t n = llistxattr(path, buf, LIST_MAX);
	if (n < 0)
		return throw_errno(env, errno, "list xattrs of \"%s\"", path);
	napi_value out;
	if (napi_create_array(env, &out) != napi_ok)
		return NULL;
	uint32_t i = 0;
	/* NUL-separated names, each NUL-terminated */
	for (ssize_t off = 0; off < n;) {
		size_t len = strnlen(buf + off, (size_t)(n - off));
		napi_value s;
		if (len > 0) {
			if (napi_create_string_utf8(env, buf + off, len, &s) != napi_ok || napi_set_element(env, out, i++, s) != napi_ok)
				return NULL;
		}
		off += (ssize_t)len + 1;
	}
	return out;
}

/* lremovexattr(path: string, name: string): void */
napi_value fs_lremovexattr(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	if (!args_exact(env, info, 2, argv, "lremovexattr(path, name)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "lremovexattr: path must be a string without NUL");
	if (!path)
		return NULL;
	char *name _cleanup_free_ = string_arg(env, argv[1], "lremovexattr: name must be a string without NUL");
	if (!name)
		return NULL;
	if (lremovexattr(path, name) < 0)
		return throw_errno(env, errno, "remove xattr \"%s\" from \"%s\"", name, path);
	return NULL;
}

/* flockNonBlocking(fd: number): boolean — flock(fd, LOCK_EX | LOCK_NB): true
 * when taken, false when another open file description holds it. */
napi_value fs_flock(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args_exact(env, info, 1, argv, "flockNonBlocking(fd)"))
		return NULL;
	uint64_t fd;
	if (!uint_arg(env, argv[0], "flockNonBlocking: fd must be a non-negative integer", 0x7fffffffu, &fd))
		return NULL;
	int rc;
	do
		rc = flock((int)fd, LOCK_EX | LOCK_NB);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 && errno != EWOULDBLOCK)
		return throw_errno(env, errno, "lock fd %d", (int)fd);
	napi_value out;
	napi_get_boolean(env, rc == 0, &out);
	return out;
}
