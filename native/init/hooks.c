/* hooks.c — the exec fifo (EXEC_FIFO in the parent, WAIT_START in the
 * child) and the startContainer hooks run inside the container. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define STATE_MAX (4u << 20)  /* container state JSON read from the fifo */
#define HOOK_OUTPUT_MAX 4096  /* hook output kept for the warning */

int parent_exec_fifo(struct ctx *c, const char *path)
{
	if (mkfifo(path, 0600) < 0)
		return berr_sys("mkfifo %s", q(path));
	c->fifo_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->fifo_fd < 0)
		return berr_sys("open exec fifo %s", q(path));
	return 0;
}

int op_wait_start(struct ctx *c)
{
	size_t cap = 4096, len = 0;
	uint8_t *buf _cleanup_free_ = xmalloc(cap);
	for (;;) {
		struct pollfd pfd = { .fd = c->fifo_fd, .events = POLLIN };
		int r = poll(&pfd, 1, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys("wait for start: poll the exec fifo");
		}
		if (pfd.revents & POLLNVAL)
			return berr_set(BERTH_ERR_GENERIC, EBADF, "wait for start: exec fifo");
		if (len == cap) {
			if (cap >= STATE_MAX)
				return berr_set(BERTH_ERR_GENERIC, EFBIG, "wait for start: state too large");
			cap *= 2;
			uint8_t *nb = xmalloc(cap);
			memcpy(nb, buf, len);
			free(buf);
			buf = nb;
		}
		ssize_t n = read(c->fifo_fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue; /* a writer is connected but has not written yet */
			return berr_sys("wait for start: read the exec fifo");
		}
		if (n == 0)
			break; /* the writer came and went: EOF */
		len += (size_t)n;
	}
	berth_closep(&c->fifo_fd);
	free(c->state);
	c->state = take_ptr(&buf);
	c->state_len = len;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int op_hook(struct ctx *c, const struct op *op)
{
	const char *path = op->args[0].s;
	uint64_t timeout = op->args[1].u;
	size_t nargv = (size_t)op->args[2].u;
	size_t nenv = (size_t)op->argc - 3 - nargv;

	char **argv _cleanup_free_ = xcalloc(nargv + 2, sizeof(char *));
	char **envp _cleanup_free_ = xcalloc(nenv + 1, sizeof(char *));
	for (size_t i = 0; i < nargv; i++)
		argv[i] = (char *)op->args[3 + i].s;
	if (nargv == 0)
		argv[0] = (char *)path;
	for (size_t i = 0; i < nenv; i++)
		envp[i] = (char *)op->args[3 + nargv + i].s;

	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return berr_sys("startContainer hook %s: pipe", q(path));
	int in_r _cleanup_close_ = in[0], in_w _cleanup_close_ = in[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		return berr_sys("startContainer hook %s: pipe", q(path));
	int out_r _cleanup_close_ = out[0], out_w _cleanup_close_ = out[1];

	pid_t pid = fork();
	if (pid < 0)
		return berr_sys("startContainer hook %s: fork", q(path));
	if (pid == 0) {
		if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		reset_signals();
		execve(path, argv, envp);
		dprintf(2, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	berth_closep(&in_r);
	berth_closep(&out_w);
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	int pidfd _cleanup_close_ = (int)syscall(SYS_pidfd_open, pid, 0);

	char output[HOOK_OUTPUT_MAX + 1];
	size_t outlen = 0, written = 0;
	int64_t deadline = timeout ? now_ms() + (int64_t)timeout * 1000 : 0;
	int status = 0;
	bool exited = false;
	if (c->state_len == 0)
		berth_closep(&in_w);

	while (!exited) {
		struct pollfd pfds[3];
		int n = 0, i_in = -1, i_out = -1, i_pid = -1;
		if (in_w >= 0) {
			pfds[n] = (struct pollfd){ .fd = in_w, .events = POLLOUT };
			i_in = n++;
		}
		if (out_r >= 0) {
			pfds[n] = (struct pollfd){ .fd = out_r, .events = POLLIN };
			i_out = n++;
		}
		if (pidfd >= 0) {
			pfds[n] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
			i_pid = n++;
		}
		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - now_ms();
			wait_ms = left > 0 ? (int)(left > 1000000 ? 1000000 : left) : 0;
		}
		if (pidfd < 0 && (wait_ms < 0 || wait_ms > 100))
			wait_ms = 100; /* no pidfd: poll waitpid */
		int r = poll(pfds, (nfds_t)n, wait_ms);
		if (r < 0 && errno != EINTR)
			return berr_sys("startContainer hook %s: poll", q(path));
		if (r > 0 && i_in >= 0 && pfds[i_in].revents) {
			ssize_t w = write(in_w, c->state + written, c->state_len - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == c->state_len)
				berth_closep(&in_w); /* EPIPE: the hook does not read its stdin */
		}
		if (r > 0 && i_out >= 0 && pfds[i_out].revents) {
			char tmp[4096];
			ssize_t rd = read(out_r, tmp, sizeof tmp);
			if (rd > 0) {
				size_t take = (size_t)rd;
				if (take > HOOK_OUTPUT_MAX - outlen)
					take = HOOK_OUTPUT_MAX - outlen;
				memcpy(output + outlen, tmp, take);
				outlen += take;
			} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
				berth_closep(&out_r);
			}
		}
		if (i_pid < 0 || (r > 0 && pfds[i_pid].revents)) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				exited = true;
			else if (w < 0 && errno != EINTR)
				return berr_sys("startContainer hook %s: wait", q(path));
		}
		if (!exited && deadline && now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return berr_set_plain(BERTH_ERR_GENERIC, ETIMEDOUT,
					      "startContainer hook %s: timed out after %llu s", q(path),
					      (unsigned long long)timeout);
		}
	}
	/* what is left in the pipe (the hook may have left children holding it) */
	while (out_r >= 0 && outlen < HOOK_OUTPUT_MAX) {
		ssize_t rd = read(out_r, output + outlen, HOOK_OUTPUT_MAX - outlen);
		if (rd <= 0)
			break;
		outlen += (size_t)rd;
	}
	output[outlen] = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (outlen)
		child_warn(c, "startContainer hook %s output: %s", q(path), output);
	if (WIFSIGNALED(status))
		return berr_set(BERTH_ERR_GENERIC, 0, "startContainer hook %s: killed by signal %d",
				q(path), WTERMSIG(status));
	return berr_set(BERTH_ERR_GENERIC, 0, "startContainer hook %s: exited with status %d",
			q(path), WEXITSTATUS(status));
}
