/* namespaces.c — joining and creating namespaces, the user namespace maps
 * (written by the parent), hostname and domain name, the loopback interface
 * of a new network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "protocol.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

const char *ns_flags_str(uint64_t flags)
{
	static char buf[256];
	static const struct {
		uint64_t f;
		const char *n;
	} names[] = {
		{ CLONE_NEWNS, "CLONE_NEWNS" },	    { CLONE_NEWUTS, "CLONE_NEWUTS" },
		{ CLONE_NEWIPC, "CLONE_NEWIPC" },   { CLONE_NEWUSER, "CLONE_NEWUSER" },
		{ CLONE_NEWPID, "CLONE_NEWPID" },   { CLONE_NEWNET, "CLONE_NEWNET" },
		{ CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_NEWTIME, "CLONE_NEWTIME" },
	};
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (flags & names[i].f) {
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", o ? "|" : "", names[i].n);
			flags &= ~names[i].f;
		}
	}
	if (flags || !o)
		snprintf(buf + o, sizeof buf - o, "%s0x%" PRIx64, o ? "|" : "", flags);
	return buf;
}

/* JOIN_NS: every namespace path of the plan is opened when the first
 * JOIN_NS runs, before any setns(), so that later paths are still looked up
 * in the host's mount namespace (and with the host's credentials). */
static int open_all_ns(struct ctx *c)
{
	struct plan *p = c->plan;
	c->ns_fds = xcalloc(p->nops, sizeof *c->ns_fds);
	for (uint32_t i = 0; i < p->nops; i++)
		c->ns_fds[i] = -1;
	c->ns_opened = true;
	for (uint32_t i = 0; i < p->clone_index; i++) {
		const struct op *op = &p->ops[i];
		if (op->code != BERTH_OP_JOIN_NS)
			continue;
		c->ns_fds[i] = open(op->args[1].s, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (c->ns_fds[i] < 0)
			return berr_sys("open namespace %s", q(op->args[1].s));
	}
	return 0;
}

int op_join_ns(struct ctx *c, uint32_t index)
{
	const struct op *op = &c->plan->ops[index];
	if (!c->ns_opened && open_all_ns(c) < 0)
		return -1;
	int fd _cleanup_close_ = c->ns_fds[index];
	c->ns_fds[index] = -1;
	if (setns(fd, (int)op->args[0].u) < 0)
		return berr_sys("setns %s (%s)", q(op->args[1].s), ns_flags_str(op->args[0].u));
	/* The host's root is not mapped in a joined user namespace: files made
	 * with its ids would fail (EOVERFLOW). Become that namespace's root. */
	if (op->args[0].u == CLONE_NEWUSER) {
		if (setresgid(0, 0, 0) < 0)
			return berr_sys("setresgid 0 in the user namespace %s", q(op->args[1].s));
		if (setresuid(0, 0, 0) < 0)
			return berr_sys("setresuid 0 in the user namespace %s", q(op->args[1].s));
	}
	return 0;
}

void close_ns_fds(struct ctx *c)
{
	if (!c->ns_fds)
		return;
	for (uint32_t i = 0; i < c->plan->nops; i++)
		berth_closep(&c->ns_fds[i]);
}

int op_new_time_ns(struct ctx *c, const struct op *op)
{
	if (unshare(CLONE_NEWTIME) < 0)
		return berr_sys("unshare (CLONE_NEWTIME)");
	char buf[160];
	int n = snprintf(buf, sizeof buf, "monotonic %" PRId64 " %" PRId64 "\nboottime %" PRId64 " %" PRId64 "\n",
			 (int64_t)op->args[0].u, (int64_t)op->args[1].u, (int64_t)op->args[2].u,
			 (int64_t)op->args[3].u);
	if (write_file_at(c->proc_fd, "self/timens_offsets", buf, (size_t)n) < 0)
		return berr_sys("write %s", q("/proc/self/timens_offsets"));
	return 0;
}

int op_unshare(const struct op *op)
{
	if (unshare((int)op->args[0].u) < 0)
		return berr_sys("unshare (%s)", ns_flags_str(op->args[0].u));
	return 0;
}

/* UID_MAP_HELPER / GID_MAP_HELPER: run newuidmap/newgidmap (setuid root, they
 * check /etc/subuid and /etc/subgid) as `program <pid> inside outside count…`. */
static int parent_run_map_helper(struct ctx *c, const struct op *op)
{
	const char *prog = op->args[0].s;
	char *fields = strdup(op->args[1].s);
	if (!fields)
		return berr_sys("strdup");
	size_t cap = 8, n = 0;
	char **argv = xcalloc(cap, sizeof *argv);
	char pidstr[24];
	snprintf(pidstr, sizeof pidstr, "%d", (int)c->child);
	argv[n++] = (char *)prog;
	argv[n++] = pidstr;
	for (char *save = NULL, *t = strtok_r(fields, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n + 2 > cap) {
			cap *= 2;
			char **bigger = realloc(argv, cap * sizeof *argv);
			if (!bigger) {
				free(argv);
				free(fields);
				return berr_sys("realloc");
			}
			argv = bigger;
		}
		argv[n++] = t;
	}
	argv[n] = NULL;

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(argv);
		free(fields);
		return berr_sys("pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(pfd[0]);
		close(pfd[1]);
		free(argv);
		free(fields);
		errno = err;
		return berr_sys("fork %s", q(prog));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execv(prog, argv);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char out[1024];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(pfd[0], out + len, sizeof out - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof out - 1) {
			char sink[256]; /* keep draining so the helper never blocks */
			while (read(pfd[0], sink, sizeof sink) > 0)
				;
			break;
		}
	}
	out[len] = 0;
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = 0;
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(argv);
	free(fields);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		return berr_set(BERTH_ERR_GENERIC, 0, "%s for pid %d was killed by signal %d%s%s", prog,
				(int)c->child, WTERMSIG(st), len ? ": " : "", out);
	return berr_set(BERTH_ERR_GENERIC, 0, "%s for pid %d exited with status %d%s%s", prog,
			(int)c->child, WEXITSTATUS(st), len ? ": " : "", out);
}

int parent_write_map(struct ctx *c, const struct op *op)
{
	if (op->code == BERTH_OP_UID_MAP_HELPER || op->code == BERTH_OP_GID_MAP_HELPER)
		return parent_run_map_helper(c, op);
	const char *file = op->code == BERTH_OP_UID_MAP ? "uid_map" :
			   op->code == BERTH_OP_GID_MAP ? "gid_map" : "setgroups";
	char path[64];
	snprintf(path, sizeof path, "%d/%s", (int)c->child, file);
	if (write_file_at(c->proc_fd, path, op->args[0].s, op->args[0].len) < 0) {
		char shown[80];
		snprintf(shown, sizeof shown, "/proc/%s", path);
		return berr_sys("write %s to %s", q(op->args[0].s), q(shown));
	}
	return 0;
}

int op_wait_maps(struct ctx *c)
{
	if (child_wait_ack(c, "user namespace maps") < 0)
		return -1;
	/* the maps are written: from now on non-dumpable (see run_child) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setresgid(0, 0, 0) < 0)
		return berr_sys("setresgid(0) in the new user namespace");
	if (setresuid(0, 0, 0) < 0)
		return berr_sys("setresuid(0) in the new user namespace");
	child_rearm_pdeathsig(c);
	return 0;
}

int op_sethostname(const struct op *op)
{
	if (sethostname(op->args[0].s, op->args[0].len) < 0)
		return berr_sys("sethostname %s", q(op->args[0].s));
	return 0;
}

int op_setdomainname(const struct op *op)
{
	if (setdomainname(op->args[0].s, op->args[0].len) < 0)
		return berr_sys("setdomainname %s", q(op->args[0].s));
	return 0;
}

int op_loopback_up(void)
{
	int fd _cleanup_close_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_sys("socket to configure %s", q("lo"));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return berr_sys("read the flags of interface %s", q("lo"));
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return berr_sys("bring up interface %s", q("lo"));
	return 0;
}
