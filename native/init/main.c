/* main.c — berth-init <sync-fd> [<exe-fd>]: re-execute from a sealed memfd
 * (CVE-2019-5736) unless started from one already, read and validate the
 * plan from the sync fd, run it. berthd starts it from a sealed copy it
 * made once (exec'd as /proc/self/fd/<exe-fd>), which saves a copy and a
 * second execve per container start and exec; the fd is closed here, so
 * nothing the container runs inherits it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"
#include "msg.h"
#include "protocol.h"
#include "sealed_memfd.h"
#include "util.h"

static int sync_fd_for_errors = -1;

static void die(void) __attribute__((noreturn));
static void die(void)
{
	if (sync_fd_for_errors < 0 || msg_send_error(sync_fd_for_errors, &g_err) < 0)
		dprintf(2, "berth-init: %s\n", g_err.text);
	_exit(1);
}

/* Copy /proc/self/exe into a sealed memfd and fexecve it, unless we already
 * run from one: the container can then never reach the binary on disk. */
void ensure_sealed_exe(char **argv, char **envp)
{
	int exe _cleanup_close_ = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0) {
		berr_sys("open %s", q("/proc/self/exe"));
		die();
	}
	if (is_sealed_memfd(exe))
		return;
	const char *step;
	int mfd _cleanup_close_ = sealed_memfd_of(exe, &step);
	if (mfd < 0) {
		berr_sys("%s: a sealed copy of %s", step, q("/proc/self/exe"));
		die();
	}
	fexecve(mfd, argv, envp);
	berr_sys("fexecve the sealed memfd");
	die();
}

int main(int argc, char **argv, char **envp)
{
	char *end = NULL, *exe_end = NULL;
	long fd = argc == 2 || argc == 3 ? strtol(argv[1], &end, 10) : -1;
	long exe_fd = argc == 3 ? strtol(argv[2], &exe_end, 10) : -1;
	if ((argc != 2 && argc != 3) || !end || *end || end == argv[1] || fd < 3 || fd > INT_MAX ||
	    fcntl((int)fd, F_GETFD) < 0 ||
	    (argc == 3 && (!exe_end || *exe_end || exe_end == argv[2] || exe_fd < 3 || exe_fd > INT_MAX || exe_fd == fd))) {
		dprintf(2, "usage: berth-init <sync-fd> [<exe-fd>]\n");
		return 2;
	}
	prctl(PR_SET_NAME, "berth-init", 0, 0, 0); /* started as /proc/self/fd/N, it would be named "N" */
	int sync_fd = (int)fd;
	sync_fd_for_errors = sync_fd;

	/* the sync fd must survive the fexecve below */
	if (fd_set_cloexec(sync_fd, false) < 0) {
		berr_sys("fcntl sync fd");
		die();
	}
	ensure_sealed_exe(argv, envp);
	fd_set_cloexec(sync_fd, true);
	if (exe_fd >= 0)
		close((int)exe_fd);

	signal(SIGPIPE, SIG_IGN);
	/* an inherited SIG_IGN would auto-reap the child and lose its status */
	signal(SIGCHLD, SIG_DFL);
	/* keep the container (and anyone else) from ptrace or /proc access to us */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	struct plan plan;
	if (plan_read(sync_fd, &plan) < 0) {
		(void)msg_send_error(sync_fd, &g_err);
		drain_input(sync_fd, 100);
		_exit(1);
	}

	struct ctx c = {
		.plan = &plan,
		.sync_fd = sync_fd,
		.proc_fd = -1,
		.pidfd = -1,
		.child_sock = -1,
		.console_fd = -1,
		.agent_fd = -1,
		.cg_into = -1,
		.relay = { .sock = -1, .master = -1, .winch = -1 },
		.fifo_fd = -1,
		.exec_root_fd = -1,
		.sock = -1,
		.root_fd = -1,
	};
	run_parent(&c);
	return 1;
}
