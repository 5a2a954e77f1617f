/* proc_spawn.c — starting a program from berthd without fork(2).
 *
 * Node's child_process forks the whole daemon (page tables of a ~60 MiB
 * process) on the event loop thread before the child execs: ~3 ms per
 * container start and per exec. posix_spawn(3) in glibc uses
 * clone(CLONE_VM | CLONE_VFORK): nothing is copied, and the caller waits
 * only until the child has exec'd. Used for berth-shim, which detaches at
 * once; its exit status is collected by waitPid on the thread pool, since
 * libuv reaps only the children it started. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "napi_args.h"
#include "proc_spawn.h"
#include "sealed_memfd.h"
#include "util.h"

extern char **environ;

/* Fds placed above any the child gets, so each dup2 below moves an fd to a
 * new number (a dup2 onto itself would keep close-on-exec set). */
#define STAGING_FLOOR 256

static void free_strings(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* A JS array of strings as a NULL-terminated vector; NULL with an exception pending. */
static char **string_array(napi_env env, napi_value arr, const char *what)
{
	bool is_array = false;
	uint32_t n = 0;
	if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &n) != napi_ok) {
		napi_throw_type_error(env, NULL, what);
		return NULL;
	}
	char **v = calloc((size_t)n + 1, sizeof *v);
	if (!v) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		napi_value e;
		if (napi_get_element(env, arr, i, &e) != napi_ok || !(v[i] = string_arg(env, e, what))) {
			free_strings(v);
			return NULL;
		}
	}
	return v;
}

/* spawnDetached(file: string, argv: string[], fds: number[]): number — runs
 * file with argv and the environment; the child's fd i is the caller's
 * fds[i] (every other fd is closed by close-on-exec, which Node sets on all
 * of its own). Signal dispositions and the mask are reset to the defaults.
 * Returns the pid; the caller must waitPid it. */
napi_value spawn_detached(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	if (!args_exact(env, info, 3, argv, "spawnDetached(file, argv, fds)"))
		return NULL;
	char *file _cleanup_free_ = string_arg(env, argv[0], "spawnDetached: file must be a string without NUL");
	if (!file)
		return NULL;
	char **args = string_array(env, argv[1], "spawnDetached: argv must be an array of strings without NUL");
	if (!args)
		return NULL;
	uint32_t nfds = 0;
	bool is_array = false;
	if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &nfds) != napi_ok ||
	    nfds > 64) {
		free_strings(args);
		napi_throw_type_error(env, NULL, "spawnDetached: fds must be an array of at most 64 fds");
		return NULL;
	}
	int staged[64];
	uint32_t nstaged = 0;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&actions);
	posix_spawnattr_init(&attr);
	napi_value result = NULL;
	int err = 0;
	const char *step = "spawn";
	for (uint32_t i = 0; i < nfds; i++) {
		napi_value e;
		uint64_t fd;
		if (napi_get_element(env, argv[2], i, &e) != napi_ok ||
		    !uint_arg(env, e, "spawnDetached: each fd must be an integer", INT32_MAX, &fd))
			goto out;
		staged[i] = fcntl((int)fd, F_DUPFD_CLOEXEC, STAGING_FLOOR);
		if (staged[i] < 0) {
			err = errno;
			step = "stage an fd for";
			goto out;
		}
		nstaged++;
		posix_spawn_file_actions_adddup2(&actions, staged[i], (int)i);
	}
	sigset_t all, none;
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	err = posix_spawn(&pid, file, &actions, &attr, args, environ);
	if (!err)
		napi_create_int32(env, pid, &result);
out:
	for (uint32_t i = 0; i < nstaged; i++)
		close(staged[i]);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	free_strings(args);
	if (err)
		return throw_errno(env, err, "%s %s", step, file);
	return result;
}

struct wait_work {
	napi_async_work work;
	napi_deferred deferred;
	pid_t pid;
	int status;
	int err;
};

static void wait_execute(napi_env env, void *data)
{
	(void)env;
	struct wait_work *w = data;
	while (waitpid(w->pid, &w->status, 0) < 0) {
		if (errno != EINTR) {
			w->err = errno;
			return;
		}
	}
}

static void wait_complete(napi_env env, napi_status status, void *data)
{
	struct wait_work *w = data;
	napi_value v;
	if (status == napi_ok && !w->err && napi_create_int32(env, w->status, &v) == napi_ok) {
		napi_resolve_deferred(env, w->deferred, v);
	} else {
		napi_value msg, e;
		napi_create_string_utf8(env, strerror(w->err ? w->err : ECANCELED), NAPI_AUTO_LENGTH, &msg);
		napi_create_error(env, NULL, msg, &e);
		napi_reject_deferred(env, w->deferred, e);
	}
	napi_delete_async_work(env, w->work);
	free(w);
}

/* waitPid(pid: number): Promise<number> — waitpid(2) on the thread pool:
 * the raw wait status of a child started by spawnDetached. */
napi_value wait_pid(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args_exact(env, info, 1, argv, "waitPid(pid)"))
		return NULL;
	uint64_t pid;
	if (!uint_arg(env, argv[0], "waitPid: pid must be a positive integer", INT32_MAX, &pid) || pid == 0)
		return NULL;
	struct wait_work *w = calloc(1, sizeof *w);
	if (!w) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	w->pid = (pid_t)pid;
	napi_value promise, name;
	napi_create_string_utf8(env, "berth:waitPid", NAPI_AUTO_LENGTH, &name);
	if (napi_create_promise(env, &w->deferred, &promise) != napi_ok ||
	    napi_create_async_work(env, NULL, name, wait_execute, wait_complete, w, &w->work) != napi_ok ||
	    napi_queue_async_work(env, w->work) != napi_ok) {
		free(w);
		napi_throw_error(env, NULL, "waitPid: cannot queue the wait");
		return NULL;
	}
	return promise;
}

/* socketPair(): [number, number] — a connected AF_UNIX stream pair, both
 * ends close-on-exec (the child's end reaches it through spawnDetached's
 * fds). */
napi_value socket_pair(napi_env env, napi_callback_info info)
{
	(void)info;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return throw_errno(env, errno, "socketpair");
	napi_value out, a, b;
	if (napi_create_array_with_length(env, 2, &out) != napi_ok || napi_create_int32(env, sv[0], &a) != napi_ok ||
	    napi_create_int32(env, sv[1], &b) != napi_ok || napi_set_element(env, out, 0, a) != napi_ok ||
	    napi_set_element(env, out, 1, b) != napi_ok) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	return out;
}

/* sealedCopy(path: string): number — a memfd holding the file's bytes,
 * sealed against any change, close-on-exec: berth-init runs from it
 * (exec'd as /proc/self/fd/N), so no container can reach the binary on
 * disk (CVE-2019-5736) and berth-init need not copy itself each time. */
napi_value sealed_copy(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args_exact(env, info, 1, argv, "sealedCopy(path)"))
		return NULL;
	char *path _cleanup_free_ = string_arg(env, argv[0], "sealedCopy: path must be a string without NUL");
	if (!path)
		return NULL;
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return throw_errno(env, errno, "open %s", path);
	const char *step;
	int mfd = sealed_memfd_of(src, &step);
	int err = errno;
	close(src);
	if (mfd < 0)
		return throw_errno(env, err, "%s: a sealed copy of %s", step, path);
	napi_value out;
	if (napi_create_int32(env, mfd, &out) != napi_ok) {
		close(mfd);
		return NULL;
	}
	return out;
}

/* mallocTrim(): malloc_trim(0) — glibc keeps the memory a burst freed inside
 * its heaps; berthd hands it back to the kernel once it is idle. */
napi_value malloc_trim_all(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value out;
	napi_get_boolean(env, malloc_trim(0) == 1, &out);
	return out;
}
