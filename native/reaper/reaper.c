/* reaper.c — berth-reaper [--] COMMAND [ARGS...]: Docker's --init. A minimal
 * PID 1 for a container: runs COMMAND as its child, passes it the signals
 * meant for the container, reaps every process that ends up with it (orphans
 * re-parented to PID 1), and exits with COMMAND's code, or 128+signal if
 * COMMAND was killed. It is bind-mounted into containers, so it is static and
 * needs nothing from their root; it allocates nothing. Run elsewhere than
 * as PID 1 it makes itself a child subreaper to behave the same. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals that are about the reaper itself, not the container: faults
 * (kept at their default so a bug in here is seen as one), terminal stops
 * it cannot take for anyone, and the ones it cannot catch. */
static bool own_signal(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGKILL: case SIGSTOP: case SIGFPE: case SIGILL: case SIGSEGV:
	case SIGBUS: case SIGABRT: case SIGTRAP: case SIGSYS: case SIGTTIN: case SIGTTOU:
		return true;
	default:
		return false;
	}
}

static int code_of(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		dprintf(2, "usage: berth-reaper [--] COMMAND [ARGS...]\n");
		return 2;
	}
	if (getpid() != 1)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	/* every signal it handles is blocked and taken with sigwaitinfo: no
	 * handler can run in the middle of anything */
	sigset_t waited, old;
	sigemptyset(&waited);
	for (int sig = 1; sig < NSIG; sig++)
		if (!own_signal(sig))
			sigaddset(&waited, sig); /* glibc's internal ones are refused: fine */
	sigaddset(&waited, SIGCHLD);
	sigprocmask(SIG_BLOCK, &waited, &old);
	/* PID 1 ignores what it has no handler for, but not a blocked signal
	 * taken by sigwaitinfo; SIGTTIN/SIGTTOU would stop us */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);

	pid_t child = fork();
	if (child < 0) {
		dprintf(2, "berth-reaper: fork: %s\n", strerror(errno));
		return 125;
	}
	if (child == 0) {
		signal(SIGTTIN, SIG_DFL);
		signal(SIGTTOU, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[first], argv + first);
		int err = errno;
		dprintf(2, "berth-reaper: exec \"%s\": %s\n", argv[first], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&waited, &si);
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			/* for the container: its main process has it */
			(void)kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid <= 0)
				break;
			if (pid == child) {
				/* reap what has already ended too, then go: as PID 1
				 * our exit ends whatever else still runs */
				int other;
				while (waitpid(-1, &other, WNOHANG) > 0)
					;
				return code_of(st);
			}
		}
	}
}
