/* console_relay.c — CONSOLE_RELAY: a terminal for `run`/`exec` in the
 * foreground when nobody offers a console socket. The parent takes the
 * socket's place: it receives the pty master that SETUP_TTY sends, then
 * copies its stdin to the master and the master to its stdout until the
 * container is gone. A terminal on stdin is put in raw mode, so that ^C and
 * friends reach the container's line discipline, and its window size is
 * copied to the pty at the start and on every SIGWINCH. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

int parent_console_relay(struct ctx *c)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return berr_sys("console relay: socketpair");
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	/* blocked here, unblocked in the child by reset_signals() before exec */
	sigprocmask(SIG_BLOCK, &winch, NULL);
	c->relay.winch = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->relay.winch < 0) {
		close(sp[0]);
		close(sp[1]);
		return berr_sys("console relay: signalfd");
	}
	c->relay.on = true;
	c->relay.sock = sp[0];
	c->relay.in_open = true;
	c->console_fd = sp[1]; /* SETUP_TTY sends the master here */
	return 0;
}

static void copy_window_size(struct ctx *c)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(c->relay.master, TIOCSWINSZ, &ws);
}

static int receive_master(struct ctx *c)
{
	char name[64];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n;
	do
		n = recvmsg(c->relay.sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	berth_closep(&c->relay.sock);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return n < 0 ? berr_sys("console relay: receive the pty master") : 0; /* none sent: no tty after all */
	memcpy(&c->relay.master, CMSG_DATA(cm), sizeof(int));
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->relay.saved) == 0) {
		struct termios raw = c->relay.saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			c->relay.raw = true;
	}
	copy_window_size(c);
	return 0;
}

/* Writes all of buf; false if fd is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* One read of the master onto stdout; false when the master has no more. */
static bool pump_master(struct ctx *c)
{
	char buf[8192];
	ssize_t n = read(c->relay.master, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) { /* EIO: every slave is closed */
		berth_closep(&c->relay.master);
		return false;
	}
	(void)write_all(STDOUT_FILENO, buf, (size_t)n);
	return true;
}

static void pump_stdin(struct ctx *c)
{
	char buf[8192];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->relay.in_open = false;
		/* a pipe or file ran out: tell the app as a terminal would (^D) */
		struct termios t;
		if (!c->relay.raw && tcgetattr(c->relay.master, &t) == 0)
			(void)write_all(c->relay.master, (const char *)&t.c_cc[VEOF], 1);
		return;
	}
	if (!write_all(c->relay.master, buf, (size_t)n))
		c->relay.in_open = false;
}

int console_relay_pollfds(struct ctx *c, struct pollfd *pfds, int n)
{
	if (!c->relay.on)
		return 0;
	int k = 0;
	if (c->relay.sock >= 0) {
		pfds[n + k++] = (struct pollfd){ .fd = c->relay.sock, .events = POLLIN };
		return k;
	}
	if (c->relay.master < 0)
		return 0;
	pfds[n + k++] = (struct pollfd){ .fd = c->relay.master, .events = POLLIN };
	pfds[n + k++] = (struct pollfd){ .fd = c->relay.winch, .events = POLLIN };
	if (c->relay.in_open)
		pfds[n + k++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	return k;
}

int console_relay_handle(struct ctx *c, const struct pollfd *pfds, int first, int count)
{
	for (int i = first; i < first + count; i++) {
		if (!pfds[i].revents)
			continue;
		if (pfds[i].fd == c->relay.sock)
			return receive_master(c);
		if (pfds[i].fd == c->relay.master)
			(void)pump_master(c);
		else if (pfds[i].fd == c->relay.winch) {
			struct signalfd_siginfo si;
			while (read(c->relay.winch, &si, sizeof si) == (ssize_t)sizeof si)
				;
			copy_window_size(c);
		} else if (pfds[i].fd == STDIN_FILENO)
			pump_stdin(c);
	}
	return 0;
}

void console_relay_finish(struct ctx *c)
{
	if (!c->relay.on)
		return;
	/* the app is gone: copy what it left in the pty, without waiting on
	 * any process of its that might still hold the slave */
	while (c->relay.master >= 0) {
		struct pollfd p = { .fd = c->relay.master, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !pump_master(c))
			break;
	}
	if (c->relay.raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &c->relay.saved);
	c->relay.raw = false;
}
