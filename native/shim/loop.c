/* loop.c — the monitor's one poll loop: container output to the log and
 * the attach clients, clients' input to stdin, the control and console
 * sockets, and SIGCHLD (a signalfd) for the status to record. The end comes
 * once the recorded process has ended and its output is drained (EOF on the
 * pipes, EIO on the pty master), or SHIM_DRAIN_MS after the end when a
 * leftover process keeps them open: then the log's last partial lines, the
 * exit file, and only then EOF for the clients. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "shim.h"
#include "util.h"

void record_status(struct shim *s, int status)
{
	if (s->recorded)
		return;
	s->recorded = true;
	s->status = status;
	clock_gettime(CLOCK_REALTIME, &s->finished_at);
	s->drain_deadline = monotonic_ms() + SHIM_DRAIN_MS;
}

/* Which status is the container's, once enough children have ended. */
static void decide(struct shim *s)
{
	if (s->recorded || !s->cmd_done)
		return;
	if (!s->o.reparent) {
		record_status(s, s->cmd_status);
		return;
	}
	bool created = WIFEXITED(s->cmd_status) && WEXITSTATUS(s->cmd_status) == 0;
	if (!created)
		record_status(s, s->cmd_status); /* creation failed */
	else if (s->other_done)
		record_status(s, s->other_status); /* the container's init */
	else if (s->no_children)
		record_status(s, s->cmd_status); /* nothing was left to wait for */
}

static void reap(struct shim *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	for (;;) {
		int st = 0;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			if (errno == ECHILD)
				s->no_children = true;
			break;
		}
		if (pid == 0)
			break;
		if (pid == s->cmd_pid) {
			s->cmd_done = true;
			s->cmd_status = st;
		} else if (!s->other_done) {
			/* the first re-parented child to end: in a pid namespace
			 * the container's init is the only one there can be */
			s->other_done = true;
			s->other_status = st;
		}
	}
	decide(s);
}

/* Reads a few chunks from an output fd; closes it at EOF (EIO for a pty). */
static void read_output(struct shim *s, int *fdp, int stream, int rounds)
{
	uint8_t buf[SHIM_READ_SIZE];
	while (*fdp >= 0 && rounds-- > 0) {
		ssize_t n = read(*fdp, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			berth_closep(fdp);
			return;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		jsonlog_data(&s->log, stream, buf, (size_t)n, &ts);
		attach_output(s, stream, buf, (size_t)n);
		if ((size_t)n < sizeof buf)
			return;
	}
}

static bool drained(struct shim *s)
{
	if (s->out_fd >= 0 || s->err_fd >= 0 || s->master >= 0)
		return false;
	if (s->o.tty && !s->master_seen) {
		/* a master sent before the end may still wait in the socket */
		console_poll_now(s);
		if (s->master >= 0)
			return false;
		return s->console_conn < 0;
	}
	return true;
}

static void write_exit_file(struct shim *s)
{
	int st = s->status;
	int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	int code = WIFSIGNALED(st) ? 128 + sig : WEXITSTATUS(st);
	char when[40], text[160];
	format_rfc3339nano(&s->finished_at, when);
	int n = snprintf(text, sizeof text,
			 "{\"status\":%d,\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n", st,
			 code, sig, when);
	(void)write_atomic(s->dirfd, "exit", text, (size_t)n);
}

static void finish(struct shim *s) __attribute__((noreturn));
static void finish(struct shim *s)
{
	/* what is still readable without waiting */
	read_output(s, &s->out_fd, STREAM_STDOUT, 64);
	read_output(s, &s->err_fd, STREAM_STDERR, 64);
	read_output(s, &s->master, STREAM_STDOUT, 64);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	jsonlog_flush(&s->log, &now);
	/* --hold-output and nobody has come for the output yet (a short exec
	 * ends before berthd connects): wait a little for the first client */
	for (long long until = monotonic_ms() + SHIM_HOLD_WAIT_MS; s->holding;) {
		long long left = until - monotonic_ms();
		if (left <= 0)
			break;
		struct pollfd p = { .fd = s->attach_listen, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			attach_accept(s);
	}
	write_exit_file(s);

	unlinkat(s->dirfd, "attach.sock", 0);
	unlinkat(s->dirfd, "control.sock", 0);
	console_close(s);
	berth_closep(&s->attach_listen);
	berth_closep(&s->control_listen);

	/* give the clients their last output, within reason, then EOF */
	long long until = monotonic_ms() + SHIM_FLUSH_MS;
	for (;;) {
		clients_reap_dead(s);
		struct pollfd pfds[64];
		nfds_t n = 0;
		for (struct client *c = s->clients; c && n < 64; c = c->next)
			if (bytes_pending(&c->out) > 0 && !c->hup)
				pfds[n++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
		long long left = until - monotonic_ms();
		if (n == 0 || left <= 0)
			break;
		if (poll(pfds, n, (int)left) < 0 && errno != EINTR)
			break;
		for (struct client *c = s->clients; c; c = c->next)
			client_flush(c);
	}
	for (struct client *c = s->clients; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	_exit(0);
}

enum slot_kind { S_SIG, S_OUT, S_ERR, S_MASTER, S_STDIN, S_CONSOLE_LISTEN, S_CONSOLE_CONN,
		 S_ATTACH_LISTEN, S_CONTROL_LISTEN, S_OOM, S_CLIENT };

struct slot {
	enum slot_kind kind;
	struct client *c;
};

static bool wants_input(struct shim *s, const struct client *c)
{
	return !c->rd_eof && (c->kind == CLIENT_CONTROL || stdin_accepting(s));
}

/* Marks the clients there is nothing more to do with. */
static void settle_clients(struct shim *s)
{
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->hup && c->rd_eof)
			c->dead = true; /* gone, and nothing left to read */
		else if (c->kind == CLIENT_CONTROL && c->rd_eof && bytes_pending(&c->out) == 0)
			c->dead = true; /* asked all it will ask, and has its answers */
	}
	clients_reap_dead(s);
}

void monitor_loop(struct shim *s)
{
	struct pollfd *pfds = NULL;
	struct slot *slots = NULL;
	size_t cap = 0;
	for (;;) {
		settle_clients(s);
		if (s->recorded && (drained(s) || monotonic_ms() >= s->drain_deadline))
			finish(s);

		size_t need = 10;
		for (struct client *c = s->clients; c; c = c->next)
			need++;
		if (need > cap) {
			cap = need * 2;
			pfds = realloc(pfds, cap * sizeof *pfds);
			slots = realloc(slots, cap * sizeof *slots);
			if (!pfds || !slots) {
				static const char msg[] = "berth-shim: out of memory\n";
				(void)!write(2, msg, sizeof msg - 1);
				_exit(1);
			}
		}
		nfds_t n = 0;
#define ADD(fd_, ev_, kind_, c_)                                                   \
	do {                                                                       \
		pfds[n] = (struct pollfd){ .fd = (fd_), .events = (short)(ev_) }; \
		slots[n++] = (struct slot){ (kind_), (c_) };                       \
	} while (0)
		ADD(s->sigfd, POLLIN, S_SIG, NULL);
		if (s->out_fd >= 0)
			ADD(s->out_fd, POLLIN, S_OUT, NULL);
		if (s->err_fd >= 0)
			ADD(s->err_fd, POLLIN, S_ERR, NULL);
		if (s->master >= 0)
			ADD(s->master, POLLIN | (bytes_pending(&s->in_buf) ? POLLOUT : 0), S_MASTER, NULL);
		if (s->in_fd >= 0 && bytes_pending(&s->in_buf))
			ADD(s->in_fd, POLLOUT, S_STDIN, NULL);
		if (s->console_listen >= 0 && s->console_conn < 0)
			ADD(s->console_listen, POLLIN, S_CONSOLE_LISTEN, NULL);
		if (s->console_conn >= 0)
			ADD(s->console_conn, POLLIN, S_CONSOLE_CONN, NULL);
		ADD(s->attach_listen, POLLIN, S_ATTACH_LISTEN, NULL);
		ADD(s->control_listen, POLLIN, S_CONTROL_LISTEN, NULL);
		if (s->oom_fd >= 0)
			ADD(s->oom_fd, POLLIN, S_OOM, NULL);
		for (struct client *c = s->clients; c; c = c->next) {
			bool rd = wants_input(s, c);
			if (c->hup && !rd)
				continue; /* its input waits until stdin has room */
			short ev = rd ? POLLIN : 0;
			if (bytes_pending(&c->out) && !c->hup)
				ev |= POLLOUT;
			ADD(c->fd, ev, S_CLIENT, c);
		}
#undef ADD
		int timeout = -1;
		if (s->recorded) {
			long long left = s->drain_deadline - monotonic_ms();
			timeout = left < 0 ? 0 : (int)left;
		}
		int recheck = oom_recheck(s);
		if (recheck >= 0 && (timeout < 0 || recheck < timeout))
			timeout = recheck;
		int r = poll(pfds, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			_exit(1); /* cannot happen with valid fds; nothing sane left */
		}
		for (nfds_t i = 0; i < n; i++) {
			short re = pfds[i].revents;
			if (!re)
				continue;
			struct client *c = slots[i].c;
			switch (slots[i].kind) {
			case S_SIG:
				reap(s);
				break;
			case S_OUT:
				read_output(s, &s->out_fd, STREAM_STDOUT, 4);
				break;
			case S_ERR:
				read_output(s, &s->err_fd, STREAM_STDERR, 4);
				break;
			case S_MASTER:
				if (re & POLLOUT)
					stdin_flush(s);
				if (re & (POLLIN | POLLHUP | POLLERR))
					read_output(s, &s->master, STREAM_STDOUT, 4);
				break;
			case S_STDIN:
				stdin_flush(s);
				break;
			case S_CONSOLE_LISTEN:
				console_accept(s);
				break;
			case S_CONSOLE_CONN:
				console_receive(s);
				break;
			case S_ATTACH_LISTEN:
				attach_accept(s);
				break;
			case S_CONTROL_LISTEN:
				control_accept(s);
				break;
			case S_OOM:
				oom_read(s);
				break;
			case S_CLIENT:
				if (c->dead)
					break;
				if (re & POLLHUP)
					c->hup = true;
				if (re & POLLERR) {
					c->dead = true;
					break;
				}
				if (re & POLLOUT)
					client_flush(c);
				if ((re & (POLLIN | POLLHUP)) && wants_input(s, c)) {
					if (c->kind == CLIENT_ATTACH)
						attach_read(s, c);
					else
						control_read(s, c);
				}
				break;
			}
		}
	}
}
