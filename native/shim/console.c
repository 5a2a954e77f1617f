/* console.c — --tty: COMMAND (berth-init's SETUP_TTY, or anything speaking
 * runc's --console-socket protocol) connects to DIR/console.sock and sends
 * the pty master with SCM_RIGHTS. The first terminal received is kept; the
 * socket is closed and removed then, it has served its purpose. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

void console_close(struct shim *s)
{
	berth_closep(&s->console_conn);
	if (s->console_listen >= 0) {
		berth_closep(&s->console_listen);
		unlinkat(s->dirfd, "console.sock", 0);
	}
}

int apply_winsize(struct shim *s)
{
	if (s->master < 0 || !s->ws_pending)
		return 0;
	s->ws_pending = false;
	return ioctl(s->master, TIOCSWINSZ, &s->ws);
}

void console_accept(struct shim *s)
{
	if (s->console_conn >= 0)
		return; /* one at a time: the next waits in the backlog */
	int fd = accept4(s->console_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0)
		s->console_conn = fd;
}

/* 1: the connection is done with (master taken, or nothing came), 0: wait. */
static int receive_on(struct shim *s)
{
	char name[256];
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	ssize_t n = recvmsg(s->console_conn, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
			if (s->master < 0 && !s->master_seen && isatty(fd)) {
				s->master = fd;
				s->master_seen = true;
				set_nonblock(fd);
				(void)apply_winsize(s);
			} else {
				close(fd);
			}
		}
	}
	berth_closep(&s->console_conn);
	return 1;
}

void console_receive(struct shim *s)
{
	if (s->console_conn >= 0 && receive_on(s) && s->master_seen)
		console_close(s);
}

void console_poll_now(struct shim *s)
{
	while (s->console_listen >= 0 && !s->master_seen) {
		if (s->console_conn < 0) {
			console_accept(s);
			if (s->console_conn < 0)
				return; /* nobody is queued */
		}
		if (!receive_on(s))
			return; /* connected but sent nothing yet */
	}
	if (s->master_seen)
		console_close(s);
}
