/* main.c — berth-shim [options] -- COMMAND [ARGS...]
 *
 * The first process checks the options, forks the monitor and waits on a
 * pipe until the monitor reports "ok" (COMMAND exec'd, shim.pid written) or
 * a one-line error, which it prints; then it exits 0 or 1, and the monitor
 * lives on alone: its own session, a child subreaper, stdio on /dev/null,
 * nothing tying it to berthd, which may die and come back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "shim.h"
#include "util.h"

static const char usage[] =
	"usage: berth-shim --dir DIR [--log-path FILE [--log-max-size BYTES] [--log-max-file N]]\n"
	"                  [--stdin] [--tty] [--reparent] [--hold-output] [--stdin-once] -- COMMAND [ARGS...]\n";

static void fail_usage(const char *fmt, const char *arg) __attribute__((noreturn));
static void fail_usage(const char *fmt, const char *arg)
{
	dprintf(2, "berth-shim: ");
	dprintf(2, fmt, arg);
	dprintf(2, "\n%s", usage);
	exit(2);
}

/* BYTES, or with a k/m/g suffix (powers of 1024, as Docker's max-size). */
static long long parse_size(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	long long mul = 1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mul = 1LL << 10; end++; break;
	case 'm': case 'M': mul = 1LL << 20; end++; break;
	case 'g': case 'G': mul = 1LL << 30; end++; break;
	default: return -1;
	}
	if ((*end == 'b' || *end == 'B') && mul > 1)
		end++;
	if (*end || v > LLONG_MAX / mul)
		return -1;
	return v * mul;
}

static void parse_args(int argc, char **argv, struct shim_opts *o)
{
	int i = 1;
	for (; i < argc; i++) {
		char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0)
			break; /* COMMAND without "--" */
		char *val = strchr(a, '=');
		size_t name_len = val ? (size_t)(val - a) : strlen(a);
		if (val)
			val++;
#define IS(name) (name_len == strlen(name) && strncmp(a, name, name_len) == 0)
		bool flag = IS("--stdin") || IS("--tty") || IS("--reparent") || IS("--hold-output") || IS("--stdin-once");
		if (flag) {
			if (val)
				fail_usage("%s takes no value", a);
			if (IS("--stdin"))
				o->stdin_pipe = true;
			else if (IS("--tty"))
				o->tty = true;
			else if (IS("--hold-output"))
				o->hold_output = true;
			else if (IS("--stdin-once"))
				o->stdin_once = true;
			else
				o->reparent = true;
			continue;
		}
		if (!(IS("--dir") || IS("--log-path") || IS("--log-max-size") || IS("--log-max-file")))
			fail_usage("unknown option %s", a);
		if (!val) {
			if (i + 1 >= argc)
				fail_usage("%s needs a value", a);
			val = argv[++i];
		}
		if (IS("--dir")) {
			o->dir = val;
		} else if (IS("--log-path")) {
			o->log_path = val;
		} else if (IS("--log-max-size")) {
			o->log_max_size = parse_size(val);
			if (o->log_max_size < 0)
				fail_usage("--log-max-size: not a size: %s", val);
			if (o->log_max_size == 0)
				o->log_max_size = -1; /* 0: unlimited, as Docker */
		} else {
			char *end;
			errno = 0;
			long v = strtol(val, &end, 10);
			if (errno || *end || end == val || v < 1)
				fail_usage("--log-max-file: not a count >= 1: %s", val);
			o->log_max_file = v;
		}
#undef IS
	}
	if (!o->dir)
		fail_usage("%s", "--dir is required");
	if (i >= argc)
		fail_usage("%s", "no COMMAND");
	if (!o->log_path && (o->log_max_size > 0 || o->log_max_file != 1))
		fail_usage("%s", "--log-max-size and --log-max-file need --log-path");
	o->argv = argv + i;
}

/* Sets up the monitor and starts COMMAND; -1 with g_err on failure. */
static int monitor_setup(struct shim *s)
{
	if (setsid() < 0)
		return berr_sys("setsid");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return berr_sys("prctl(PR_SET_CHILD_SUBREAPER)");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	s->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return berr_sys("signalfd");

	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		return berr_sys("open %s", q("/dev/null"));
	for (int fd = 0; fd < 3; fd++)
		if (null != fd && dup2(null, fd) < 0)
			return berr_sys("dup2 %s", q("/dev/null"));
	if (null > 2)
		close(null);

	if (s->o.log_path &&
	    jsonlog_open(&s->log, s->o.log_path, s->o.log_max_size, s->o.log_max_file) < 0)
		return -1;
	s->attach_listen = listen_unix(s->dir, s->dirfd, "attach.sock");
	if (s->attach_listen < 0)
		return -1;
	s->control_listen = listen_unix(s->dir, s->dirfd, "control.sock");
	if (s->control_listen < 0)
		return -1;
	if (s->o.tty) {
		s->console_listen = listen_unix(s->dir, s->dirfd, "console.sock");
		if (s->console_listen < 0)
			return -1;
	}

	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	if (s->o.stdin_pipe && !s->o.tty && pipe2(in, O_CLOEXEC) < 0)
		return berr_sys("pipe for stdin");
	if (!s->o.tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0))
		return berr_sys("pipe for the output");
	/* with a terminal, COMMAND's own stdio is /dev/null (0-2 here): the
	 * container's goes through the pty */
	pid_t pid = spawn_command(s->o.argv, in[0] >= 0 ? in[0] : 0, out[1] >= 0 ? out[1] : 1,
				  err[1] >= 0 ? err[1] : 2);
	berth_closep(&in[0]);
	berth_closep(&out[1]);
	berth_closep(&err[1]);
	inherited_fds_close();
	if (pid < 0)
		return -1;
	s->cmd_pid = pid;
	s->in_fd = in[1];
	s->out_fd = out[0];
	s->err_fd = err[0];
	/* the monitor never waits on the container */
	const int ours[] = { s->in_fd, s->out_fd, s->err_fd };
	for (int k = 0; k < 3; k++)
		if (ours[k] >= 0)
			set_nonblock(ours[k]);

	char pidtext[32];
	int n = snprintf(pidtext, sizeof pidtext, "%d\n", (int)getpid());
	if (write_atomic(s->dirfd, "shim.pid", pidtext, (size_t)n) < 0 ||
	    (chdir("/") < 0 && berr_sys("chdir %s", q("/")) < 0)) {
		/* nobody would watch it: COMMAND must not run on */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct shim s = {
		.dirfd = -1, .sigfd = -1, .out_fd = -1, .err_fd = -1, .console_listen = -1,
		.console_conn = -1, .master = -1, .in_fd = -1, .attach_listen = -1,
		.control_listen = -1, .log = { .fd = -1 }, .oom_fd = -1, .oom_dirfd = -1,
		.o = { .log_max_size = -1, .log_max_file = 1 },
	};
	parse_args(argc, argv, &s.o);
	s.holding = s.o.hold_output;

	/* 0-2 may come closed: keep them taken so nothing of ours lands there */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	if (inherited_fds_scan() < 0) {
		dprintf(2, "berth-shim: %s\n", g_err.text);
		return 1;
	}
	if (!realpath(s.o.dir, s.dir)) {
		berr_sys("resolve --dir %s", q(s.o.dir));
		dprintf(2, "berth-shim: %s\n", g_err.text);
		return 1;
	}
	s.dirfd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.dirfd < 0) {
		berr_sys("open --dir %s", q(s.dir));
		dprintf(2, "berth-shim: %s\n", g_err.text);
		return 1;
	}
	static char log_abs[PATH_MAX];
	if (s.o.log_path && s.o.log_path[0] != '/') {
		/* the monitor leaves the cwd; rotation needs the path later */
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd) ||
		    (size_t)snprintf(log_abs, sizeof log_abs, "%s/%s", cwd, s.o.log_path) >= sizeof log_abs) {
			dprintf(2, "berth-shim: resolve --log-path \"%s\": %s\n", s.o.log_path,
				strerror(errno ? errno : ENAMETOOLONG));
			return 1;
		}
		s.o.log_path = log_abs;
	}

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		dprintf(2, "berth-shim: pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		dprintf(2, "berth-shim: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid > 0) {
		close(ready[1]);
		char msg[BERR_TEXT_MAX];
		ssize_t r = read_full(ready[0], msg, sizeof msg - 1);
		if (r == 2 && memcmp(msg, "ok", 2) == 0)
			return 0;
		if (r <= 0) {
			dprintf(2, "berth-shim: the monitor ended during its setup\n");
			return 1;
		}
		msg[r] = 0;
		dprintf(2, "berth-shim: %s\n", msg);
		return 1;
	}

	close(ready[0]);
	if (monitor_setup(&s) < 0) {
		(void)write_full(ready[1], g_err.text, strnlen(g_err.text, sizeof g_err.text));
		/* leave DIR as it was given (the log excepted: it may be shared) */
		if (s.attach_listen >= 0)
			unlinkat(s.dirfd, "attach.sock", 0);
		if (s.control_listen >= 0)
			unlinkat(s.dirfd, "control.sock", 0);
		if (s.console_listen >= 0)
			unlinkat(s.dirfd, "console.sock", 0);
		_exit(1);
	}
	(void)write_full(ready[1], "ok", 2);
	close(ready[1]);
	monitor_loop(&s);
}
