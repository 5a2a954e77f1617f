/* process.c — the app's process: rlimits, user and groups, capabilities,
 * no_new_privs, working directory, executable lookup and the final execve. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"
#include "msg.h"
#include "protocol.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *rlimit_name(uint64_t r)
{
	static const char *names[] = {
		[RLIMIT_CPU] = "RLIMIT_CPU",	   [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
		[RLIMIT_DATA] = "RLIMIT_DATA",	   [RLIMIT_STACK] = "RLIMIT_STACK",
		[RLIMIT_CORE] = "RLIMIT_CORE",	   [RLIMIT_RSS] = "RLIMIT_RSS",
		[RLIMIT_NPROC] = "RLIMIT_NPROC",   [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
		[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
		[RLIMIT_LOCKS] = "RLIMIT_LOCKS",   [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
		[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
		[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO", [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
	};
	static char buf[32];
	if (r < sizeof names / sizeof names[0] && names[r])
		return names[r];
	snprintf(buf, sizeof buf, "rlimit %llu", (unsigned long long)r);
	return buf;
}

static const char *rlim_str(rlim_t v, char *buf, size_t n)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, n, "unlimited");
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
	return buf;
}

int op_rlimit(struct ctx *c, const struct op *op)
{
	int res = (int)op->args[0].u;
	struct rlimit rl = { .rlim_cur = op->args[1].u, .rlim_max = op->args[2].u };
	char a[32], b[32], d[32], e[32];
	if (setrlimit(res, &rl) == 0)
		return 0;
	int err = errno;
	struct rlimit cur;
	if (err == EPERM && getrlimit(res, &cur) == 0 &&
	    rl.rlim_max > cur.rlim_max) {
		struct rlimit clamped = {
			.rlim_cur = rl.rlim_cur > cur.rlim_max ? cur.rlim_max : rl.rlim_cur,
			.rlim_max = cur.rlim_max,
		};
		if (setrlimit(res, &clamped) == 0) {
			child_warn(c, "%s: hard limit %s is above the allowed %s; clamped to soft %s, hard %s",
				   rlimit_name(op->args[0].u), rlim_str(rl.rlim_max, a, sizeof a),
				   rlim_str(cur.rlim_max, b, sizeof b),
				   rlim_str(clamped.rlim_cur, d, sizeof d),
				   rlim_str(clamped.rlim_max, e, sizeof e));
			return 0;
		}
		err = errno;
	}
	errno = err;
	return berr_sys("setrlimit %s (soft %s, hard %s)", rlimit_name(op->args[0].u),
			rlim_str(rl.rlim_cur, a, sizeof a), rlim_str(rl.rlim_max, b, sizeof b));
}

/* Give fds 0-2 to the new user (as runc does) so that the app can reopen
 * them (/dev/stdout, /proc/self/fd/1); /dev/null is left alone. */
static void fix_stdio_owner(uid_t uid)
{
	struct stat null_st;
	bool have_null = stat("/dev/null", &null_st) == 0;
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			continue;
		if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev)
			continue;
		if (st.st_uid == uid)
			continue;
		(void)!fchown(fd, uid, (gid_t)-1);
	}
}

int op_set_user(struct ctx *c, const struct op *op)
{
	uid_t uid = (uid_t)op->args[0].u;
	gid_t gid = (gid_t)op->args[1].u;
	uint64_t mask = op->args[2].u;
	size_t ngroups = (size_t)op->args[3].u;
	gid_t *groups _cleanup_free_ = xcalloc(ngroups, sizeof(gid_t));
	for (size_t i = 0; i < ngroups; i++)
		groups[i] = (gid_t)op->args[4 + i].u;

	fix_stdio_owner(uid);
	if (setgroups(ngroups, groups) < 0) {
		/* with setgroups "deny" an empty list is already in effect */
		if (!(ngroups == 0 && errno == EPERM))
			return berr_sys("setgroups (%zu groups)", ngroups);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berr_sys("prctl(PR_SET_KEEPCAPS)");
	if (setresgid(gid, gid, gid) < 0)
		return berr_sys("setresgid(%u)", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return berr_sys("setresuid(%u)", (unsigned)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berr_sys("prctl(PR_SET_KEEPCAPS)");
	if (mask != UINT64_MAX) {
		umask((mode_t)mask);
		c->saved_umask = (mode_t)mask;
	} else {
		umask(c->saved_umask);
	}
	c->umask_applied = true;
	child_rearm_pdeathsig(c);
	return 0;
}

static int last_cap(void)
{
	int fd _cleanup_close_ = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[16];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n] = 0;
			int v = atoi(buf);
			if (v > 0 && v < 64)
				return v;
		}
	}
	/* no /proc: probe the bounding set */
	int capn = 0;
	while (capn < 64 && prctl(PR_CAPBSET_READ, capn, 0, 0, 0) >= 0)
		capn++;
	return capn - 1;
}

static int capset3(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};
	return (int)syscall(SYS_capset, &hdr, data);
}

int op_caps(const struct op *op)
{
	uint64_t bounding = op->args[0].u, eff = op->args[1].u, perm = op->args[2].u;
	uint64_t inh = op->args[3].u, amb = op->args[4].u;
	int last = last_cap();
	uint64_t valid = last >= 63 ? UINT64_MAX : ((1ULL << (last + 1)) - 1);

	/* after SET_USER only the permitted set survives: make it effective so
	 * that CAP_SETPCAP can drop bounding capabilities */
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cur[2];
	if (syscall(SYS_capget, &hdr, cur) < 0)
		return berr_sys("capget");
	uint64_t cur_perm = cur[0].permitted | ((uint64_t)cur[1].permitted << 32);
	uint64_t cur_inh = cur[0].inheritable | ((uint64_t)cur[1].inheritable << 32);
	if (capset3(cur_perm, cur_perm, cur_inh) < 0)
		return berr_sys("capset (raise effective)");

	for (int capn = 0; capn <= last; capn++) {
		if (bounding & (1ULL << capn))
			continue;
		int r = prctl(PR_CAPBSET_READ, capn, 0, 0, 0);
		if (r == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, capn, 0, 0, 0) < 0)
			return berr_sys("drop capability %d from the bounding set", capn);
	}
	if (capset3(eff & valid, perm & valid, inh & valid) < 0)
		return berr_sys("capset (effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)",
				(unsigned long long)(eff & valid), (unsigned long long)(perm & valid),
				(unsigned long long)(inh & valid));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && amb)
		return berr_sys("clear the ambient capabilities");
	for (int capn = 0; capn <= last; capn++) {
		if (!(amb & (1ULL << capn)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, capn, 0, 0) < 0)
			return berr_sys("raise ambient capability %d", capn);
	}
	return 0;
}

int op_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_sys("prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Close every fd >= from except those in keep. */
static int close_fds_except(int from, int *keep, int nkeep)
{
	qsort(keep, (size_t)nkeep, sizeof *keep, cmp_int);
	unsigned lo = (unsigned)from;
	for (int i = 0; i < nkeep; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < lo)
			continue;
		if ((unsigned)keep[i] > lo && syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0) < 0)
			return berr_sys("close_range");
		lo = (unsigned)keep[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, 0) < 0)
		return berr_sys("close_range");
	return 0;
}

int op_cwd(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	int from = 3 + (int)c->plan->npreserve;
	/* No host directory fd may be open when the app's cwd is chosen
	 * (CVE-2024-21626): only our socket, the exec fifo and the console
	 * socket (neither a directory) survive. */
	int keep[3] = { c->sock, c->fifo_fd, c->console_fd };
	if (close_fds_except(from, keep, 3) < 0)
		return -1;
	if (c->root_fd >= from)
		c->root_fd = -1;
	if (c->exec_root_fd >= from)
		c->exec_root_fd = -1;

	if (chdir(path) < 0)
		return berr_sys("chdir %s", q(path));
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof buf))
		return berr_sys("chdir %s: getcwd", q(path));
	if (buf[0] != '/')
		return berr_set(BERTH_ERR_GENERIC, EPERM,
				"chdir %s: the working directory is outside the container root "
				"(possible breakout)",
				q(path));
	return 0;
}

/* Go's exec.findExecutable: 0 if path can be executed, else an errno. */
static int check_executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return errno;
	return (st.st_mode & 0111) ? 0 : EACCES;
}

static const char *env_path(char **envp)
{
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return DEFAULT_PATH;
}

int op_resolve_exec(struct ctx *c)
{
	const char *name = c->exec_name ? c->exec_name : c->argv[0];
	free(c->exec_path);
	c->exec_path = NULL;
	if (strchr(name, '/')) {
		int err = check_executable(name);
		if (err == 0) {
			c->exec_path = strdup(name);
			return 0;
		}
		if (err == ENOENT || err == ENOTDIR)
			return berr_set_plain(BERTH_ERR_EXEC_NOT_FOUND, err, "exec: %s: stat %s: %s",
					      q(name), name, strerror_lc(err));
		if (err == EACCES || err == EISDIR || err == EPERM)
			return berr_set_plain(BERTH_ERR_EXEC_DENIED, err, "exec: %s: permission denied",
					      q(name));
		return berr_set_plain(BERTH_ERR_GENERIC, err, "exec: %s: stat %s: %s", q(name), name,
				      strerror_lc(err));
	}
	if (*name) {
		const char *path = env_path(c->envp);
		const char *p = path;
		for (;;) {
			const char *end = strchrnul(p, ':');
			size_t dlen = (size_t)(end - p);
			size_t need = (dlen ? dlen : 1) + 1 + strlen(name) + 1;
			char *cand = xmalloc(need);
			snprintf(cand, need, "%.*s/%s", (int)(dlen ? dlen : 1), dlen ? p : ".", name);
			if (check_executable(cand) == 0) {
				c->exec_path = cand;
				return 0;
			}
			free(cand);
			if (!*end)
				break;
			p = end + 1;
		}
	}
	return berr_set_plain(BERTH_ERR_EXEC_NOT_FOUND, ENOENT,
			      "exec: %s: executable file not found in $PATH", q(name));
}

void reset_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		(void)sigaction(sig, &sa, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int op_exec(struct ctx *c)
{
	if (!c->exec_path && op_resolve_exec(c) < 0)
		return -1;
	if (!c->umask_applied)
		umask(c->saved_umask);
	unsigned from = 3 + (unsigned)c->plan->npreserve;
	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return berr_sys("close_range");
	reset_signals();
	/* the last thing before execve: the filter sees none of our setup */
	if (seccomp_install_pending(c) < 0)
		return -1;
	execve(c->exec_path, c->argv, c->envp);
	int err = errno;
	uint32_t code = BERTH_ERR_GENERIC;
	if (err == ENOENT || err == ENOTDIR)
		code = BERTH_ERR_EXEC_NOT_FOUND;
	else if (err == EACCES || err == EPERM || err == EISDIR)
		code = BERTH_ERR_EXEC_DENIED;
	return berr_set_plain(code, err, "exec: %s: %s", q(c->exec_path), strerror_lc(err));
}
