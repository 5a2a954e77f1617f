/* fs_batch.c — file system work that berthd does off its event loop, each
 * as ONE task on libuv's thread pool: an atomic file write, a directory
 * tree's removal, a list of mkdirs or rmdirs (a container's cgroups).
 *
 * Node's fs.promises makes every step a task of its own (open, write,
 * fsync, close, rename are five; removing a layer's tree is one per entry):
 * each costs the event loop a wake-up of a pool thread (a futex, which in a
 * VM is an IPI) and a completion to run, ~85 of them for each container
 * started and removed. Done here, a container's whole write or removal is
 * one. Errors reject with an Error whose code is the errno name. */
#include "fs_batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "napi_args.h"

enum batch_kind { BATCH_MKDIRS, BATCH_RMDIRS, BATCH_REMOVE_TREE, BATCH_WRITE_ATOMIC };

struct batch {
	napi_async_work work;
	napi_deferred deferred;
	enum batch_kind kind;
	char **paths;
	uint32_t n;
	int *errs;    /* mkdirs/rmdirs: errno per path, 0 for done */
	mode_t mode;
	char *data;   /* write: a copy of the bytes */
	size_t len;
	bool durable;
	int err;      /* remove/write: the failure, 0 for none */
	const char *op;
	char where[PATH_MAX + 512];
};

static void batch_free(struct batch *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		free(b->paths[i]);
	free(b->paths);
	free(b->errs);
	free(b->data);
	free(b);
}

static int fail(struct batch *b, const char *op, const char *path)
{
	b->err = errno ? errno : EIO;
	b->op = op;
	snprintf(b->where, sizeof b->where, "%s", path);
	return -1;
}

/* One directory being emptied: its stream, its name in its parent (NULL
 * for the root) and whether this pass of reading it removed anything. */
struct level {
	DIR *dir;
	char *name;
	bool removed;
};

/* Why a removal stopped, at entry `name` of the directory on top of the
 * stack: its path from the levels' names (cut short past the buffer: the
 * tree may be deeper than PATH_MAX). */
static int fail_entry(struct batch *b, const char *op, const char *root, const struct level *stack, size_t depth, const char *name)
{
	int saved = errno;
	char path[PATH_MAX + 256];
	size_t len = (size_t)snprintf(path, sizeof path, "%s", root);
	for (size_t i = 1; i < depth && len < sizeof path; i++)
		len += (size_t)snprintf(path + len, sizeof path - len, "/%s", stack[i].name);
	if (len < sizeof path)
		snprintf(path + len, sizeof path - len, "/%s", name);
	errno = saved;
	return fail(b, op, path);
}

/* The entries of the directory at fd (which this takes), depth first,
 * symlinks removed as links. A directory on another file system (a mount
 * left inside) is refused with EXDEV, never emptied. Entries removed while
 * reading may make readdir skip others, so a directory is read again until
 * a pass finds nothing. Iterative, with the open directories on the heap: a
 * container can make a tree of any depth, which a recursion here (on a
 * pool thread's stack) would not survive; one deeper than the fds berthd
 * may open fails with EMFILE. */
static int remove_entries(struct batch *b, int fd, dev_t dev, const char *root)
{
	size_t depth = 0, cap = 16;
	struct level *stack = malloc(cap * sizeof *stack);
	DIR *d = stack ? fdopendir(fd) : NULL;
	if (!d) {
		int saved = stack ? errno : ENOMEM;
		close(fd);
		free(stack);
		errno = saved;
		return fail(b, "opendir", root);
	}
	stack[depth++] = (struct level){ d, NULL, false };
	int rc = 0;
	while (depth) {
		struct level *top = &stack[depth - 1];
		errno = 0;
		struct dirent *de = readdir(top->dir);
		if (!de) {
			if (errno) {
				rc = fail(b, "readdir", root);
				break;
			}
			if (top->removed) {
				top->removed = false;
				rewinddir(top->dir);
				continue;
			}
			/* empty: closed, and removed from its parent */
			char *name = top->name;
			closedir(top->dir);
			depth--;
			if (name) {
				if (unlinkat(dirfd(stack[depth - 1].dir), name, AT_REMOVEDIR) < 0 && errno != ENOENT)
					rc = fail_entry(b, "rmdir", root, stack, depth, name);
				stack[depth - 1].removed = true;
				free(name);
				if (rc < 0)
					break;
			}
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool dir = de->d_type == DT_DIR;
		struct stat st;
		if (de->d_type == DT_UNKNOWN || dir) {
			if (fstatat(dirfd(top->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue;
				rc = fail_entry(b, "lstat", root, stack, depth, de->d_name);
				break;
			}
			dir = S_ISDIR(st.st_mode);
		}
		if (!dir) {
			if (unlinkat(dirfd(top->dir), de->d_name, 0) < 0 && errno != ENOENT) {
				rc = fail_entry(b, "unlink", root, stack, depth, de->d_name);
				break;
			}
			top->removed = true;
			continue;
		}
		if (st.st_dev != dev) {
			errno = EXDEV;
			rc = fail_entry(b, "remove", root, stack, depth, de->d_name);
			break;
		}
		if (depth == cap) {
			struct level *grown = realloc(stack, 2 * cap * sizeof *stack);
			if (!grown) {
				errno = ENOMEM;
				rc = fail_entry(b, "remove", root, stack, depth, de->d_name);
				break;
			}
			stack = grown;
			cap *= 2;
			top = &stack[depth - 1];
		}
		int sub = openat(dirfd(top->dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
		char *name = sd ? strdup(de->d_name) : NULL;
		if (!name) {
			rc = fail_entry(b, "open", root, stack, depth, de->d_name);
			if (sd)
				closedir(sd);
			else if (sub >= 0)
				close(sub);
			break;
		}
		stack[depth++] = (struct level){ sd, name, false };
	}
	while (depth) {
		depth--;
		closedir(stack[depth].dir);
		free(stack[depth].name);
	}
	free(stack);
	return rc;
}

static void remove_tree(struct batch *b)
{
	const char *path = b->paths[0];
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			fail(b, "lstat", path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			fail(b, "unlink", path);
		return;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fail(b, "open", path);
		return;
	}
	if (remove_entries(b, fd, st.st_dev, path) < 0)
		return;
	if (rmdir(path) < 0 && errno != ENOENT)
		fail(b, "rmdir", path);
}

static void write_atomic(struct batch *b)
{
	const char *path = b->paths[0];
	char tmp[PATH_MAX + 32];
	/* the temporary name writeFileAtomic (lib/atomic-write.ts) uses */
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		fail(b, "open", path);
		return;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, b->mode);
	if (fd < 0) {
		fail(b, "open", tmp);
		return;
	}
	for (size_t off = 0; off < b->len;) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(b, "write", tmp);
			goto undo;
		}
		off += (size_t)w;
	}
	if (b->durable && fsync(fd) < 0) {
		fail(b, "fsync", tmp);
		goto undo;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail(b, "close", tmp);
		goto undo;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		fail(b, "rename", tmp);
		goto undo;
	}
	return;
undo:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
}

static void batch_execute(napi_env env, void *data)
{
	(void)env;
	struct batch *b = data;
	switch (b->kind) {
	case BATCH_MKDIRS:
		for (uint32_t i = 0; i < b->n; i++)
			b->errs[i] = mkdir(b->paths[i], b->mode) < 0 ? errno : 0;
		break;
	case BATCH_RMDIRS:
		for (uint32_t i = 0; i < b->n; i++)
			b->errs[i] = rmdir(b->paths[i]) < 0 ? errno : 0;
		break;
	case BATCH_REMOVE_TREE:
		remove_tree(b);
		break;
	case BATCH_WRITE_ATOMIC:
		write_atomic(b);
		break;
	}
}

static napi_value errno_error(napi_env env, int err, const char *op, const char *where)
{
	const char *name = strerrorname_np(err);
	char msg[PATH_MAX + 256];
	snprintf(msg, sizeof msg, "%s %s: %s", op, where, strerror(err));
	napi_value code, text, e;
	napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
	napi_create_error(env, code, text, &e);
	return e;
}

static void batch_complete(napi_env env, napi_status status, void *data)
{
	struct batch *b = data;
	napi_value result = NULL;
	if (status != napi_ok) {
		napi_reject_deferred(env, b->deferred, errno_error(env, ECANCELED, "fs task", b->n ? b->paths[0] : ""));
	} else if (b->err) {
		napi_reject_deferred(env, b->deferred, errno_error(env, b->err, b->op, b->where));
	} else {
		if (b->kind == BATCH_MKDIRS || b->kind == BATCH_RMDIRS) {
			napi_create_array_with_length(env, b->n, &result);
			for (uint32_t i = 0; i < b->n; i++) {
				napi_value v;
				char text[256] = "";
				if (b->errs[i]) {
					const char *name = strerrorname_np(b->errs[i]);
					snprintf(text, sizeof text, "%s: %s", name ? name : "EUNKNOWN", strerror(b->errs[i]));
				}
				napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
				napi_set_element(env, result, i, v);
			}
		} else {
			napi_get_undefined(env, &result);
		}
		napi_resolve_deferred(env, b->deferred, result);
	}
	napi_delete_async_work(env, b->work);
	batch_free(b);
}

static napi_value queue(napi_env env, struct batch *b, const char *name)
{
	napi_value promise, resource;
	napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
	if (napi_create_promise(env, &b->deferred, &promise) != napi_ok ||
	    napi_create_async_work(env, NULL, resource, batch_execute, batch_complete, b, &b->work) != napi_ok ||
	    napi_queue_async_work(env, b->work) != napi_ok) {
		batch_free(b);
		napi_throw_error(env, NULL, "cannot queue a file system task");
		return NULL;
	}
	return promise;
}

static struct batch *batch_new(napi_env env, enum batch_kind kind, uint32_t n)
{
	struct batch *b = calloc(1, sizeof *b);
	if (b) {
		b->kind = kind;
		b->paths = calloc(n ? n : 1, sizeof *b->paths);
		b->errs = calloc(n ? n : 1, sizeof *b->errs);
	}
	if (!b || !b->paths || !b->errs) {
		if (b)
			batch_free(b);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	return b;
}

/* mkdirs(paths: string[], mode) / rmdirs(paths: string[]): Promise<string[]>
 * — in order (parents before children, children before parents), for each
 * path "" where it was done, else "ENAME: strerror text". A failure does not stop the
 * others: the caller knows which matter. */
static napi_value dirs_call(napi_env env, napi_callback_info info, enum batch_kind kind)
{
	napi_value argv[2];
	size_t argc = 2;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != (kind == BATCH_MKDIRS ? 2u : 1u)) {
		napi_throw_type_error(env, NULL, kind == BATCH_MKDIRS ? "mkdirs(paths, mode)" : "rmdirs(paths)");
		return NULL;
	}
	uint32_t n;
	bool is_array = false;
	if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &n) != napi_ok) {
		napi_throw_type_error(env, NULL, "paths must be an array of strings");
		return NULL;
	}
	uint64_t mode = 0;
	if (kind == BATCH_MKDIRS && !uint_arg(env, argv[1], "mkdirs: mode must be a permission mode", 07777, &mode))
		return NULL;
	struct batch *b = batch_new(env, kind, n);
	if (!b)
		return NULL;
	b->mode = (mode_t)mode;
	for (uint32_t i = 0; i < n; i++) {
		napi_value v;
		if (napi_get_element(env, argv[0], i, &v) != napi_ok || !(b->paths[i] = string_arg(env, v, "paths must be strings without NUL"))) {
			batch_free(b);
			return NULL;
		}
		b->n = i + 1;
	}
	return queue(env, b, kind == BATCH_MKDIRS ? "berth:mkdirs" : "berth:rmdirs");
}

napi_value fs_mkdirs(napi_env env, napi_callback_info info)
{
	return dirs_call(env, info, BATCH_MKDIRS);
}

napi_value fs_rmdirs(napi_env env, napi_callback_info info)
{
	return dirs_call(env, info, BATCH_RMDIRS);
}

/* removeTree(path): Promise<void> — rm -r without following symlinks or
 * crossing into another file system; a path that is not there is removed. */
napi_value fs_remove_tree(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args_exact(env, info, 1, argv, "removeTree(path)"))
		return NULL;
	struct batch *b = batch_new(env, BATCH_REMOVE_TREE, 1);
	if (!b)
		return NULL;
	if (!(b->paths[0] = string_arg(env, argv[0], "removeTree: path must be a string without NUL"))) {
		batch_free(b);
		return NULL;
	}
	b->n = 1;
	return queue(env, b, "berth:removeTree");
}

/* writeFileAtomic(path, data: Buffer, mode, durable): Promise<void> — a
 * temporary file beside path, written (and fsync'ed when durable), renamed
 * over it; on failure the temporary file is removed. */
napi_value fs_write_atomic(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	if (!args_exact(env, info, 4, argv, "writeFileAtomic(path, data, mode, durable)"))
		return NULL;
	void *data;
	size_t len;
	uint64_t mode;
	bool durable;
	if (!buffer_arg(env, argv[1], "writeFileAtomic: data must be a Buffer", &data, &len) ||
	    !uint_arg(env, argv[2], "writeFileAtomic: mode must be a permission mode", 07777, &mode))
		return NULL;
	if (napi_get_value_bool(env, argv[3], &durable) != napi_ok) {
		napi_throw_type_error(env, NULL, "writeFileAtomic: durable must be a boolean");
		return NULL;
	}
	struct batch *b = batch_new(env, BATCH_WRITE_ATOMIC, 1);
	if (!b)
		return NULL;
	b->mode = (mode_t)mode;
	b->durable = durable;
	b->len = len;
	b->paths[0] = string_arg(env, argv[0], "writeFileAtomic: path must be a string without NUL");
	if (!b->paths[0]) {
		batch_free(b);
		return NULL;
	}
	b->n = 1;
	/* a copy: the caller's Buffer may change or go before the task runs */
	if (!(b->data = malloc(len ? len : 1))) {
		batch_free(b);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	memcpy(b->data, data, len);
	return queue(env, b, "berth:writeFileAtomic");
}
