/* spawn.c — COMMAND gets every fd >= 3 the shim was started with, under the
 * same numbers (berth-init's sync socket among them), and the monitor drops
 * its own copies once COMMAND has them: when COMMAND closes one, the far end
 * sees EOF. Everything the shim opens itself is close-on-exec. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "shim.h"
#include "util.h"

static int *inherited;
static size_t n_inherited;

int inherited_fds_scan(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return berr_sys("open %s", q("/proc/self/fd"));
	int self = dirfd(d);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd < 3 || fd == self)
			continue;
		if (n_inherited == cap) {
			cap = cap ? cap * 2 : 8;
			int *p = realloc(inherited, cap * sizeof *p);
			if (!p) {
				closedir(d);
				return berr_set(0, ENOMEM, "list the inherited fds");
			}
			inherited = p;
		}
		inherited[n_inherited++] = (int)fd;
	}
	closedir(d);
	return 0;
}

void inherited_fds_close(void)
{
	for (size_t i = 0; i < n_inherited; i++)
		close(inherited[i]);
	free(inherited);
	inherited = NULL;
	n_inherited = 0;
}

pid_t spawn_command(char **argv, int in0, int out1, int err2)
{
	int ep[2]; /* exec status: EOF when execvp succeeded, errno otherwise */
	if (pipe2(ep, O_CLOEXEC) < 0)
		return berr_sys("pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(ep[0]);
		close(ep[1]);
		return berr_sys("fork");
	}
	if (pid == 0) {
		close(ep[0]);
		/* what the monitor changed must not reach COMMAND: ignored and
		 * blocked signals survive execve */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		/* the sources are all >= 3 (0-2 are /dev/null in the monitor),
		 * so each dup2 makes a fresh fd without close-on-exec */
		if (dup2(in0, 0) < 0 || dup2(out1, 1) < 0 || dup2(err2, 2) < 0) {
			int err = errno;
			(void)!write(ep[1], &err, sizeof err);
			_exit(127);
		}
		execvp(argv[0], argv);
		int err = errno;
		(void)!write(ep[1], &err, sizeof err);
		_exit(127);
	}
	close(ep[1]);
	int err = 0;
	ssize_t r = read_full(ep[0], &err, sizeof err);
	close(ep[0]);
	if (r == (ssize_t)sizeof err) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return berr_set(0, err, "exec %s", q(argv[0]));
	}
	return pid;
}
