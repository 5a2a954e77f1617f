/* attach.c — DIR/attach.sock: any number of clients, each getting the output
 * produced from the moment it connects (stdcopy frames without a terminal,
 * raw bytes with one), and feeding the container's stdin with --stdin. A
 * client never holds the container up: what its socket does not take at once
 * waits in a backlog of at most SHIM_CLIENT_BACKLOG_MAX, past which the
 * client is dropped. Its half-close only ends its input. Also the client
 * plumbing that the control socket shares. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

struct client *client_new(struct shim *s, enum client_kind kind, int fd)
{
	struct client *c = xcalloc(1, sizeof *c);
	c->kind = kind;
	c->fd = fd;
	c->next = s->clients;
	s->clients = c;
	return c;
}

void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	bytes_free(&c->out);
	bytes_free(&c->in);
	free(c);
}

void clients_reap_dead(struct shim *s)
{
	for (struct client **pp = &s->clients; *pp;) {
		struct client *c = *pp;
		if (c->dead) {
			*pp = c->next;
			client_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* Write what can go now; the rest is left in the backlog. */
static ssize_t try_send(int fd, const struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	ssize_t w;
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno == EAGAIN)
		return 0;
	return w;
}

void client_sendv(struct client *c, const void *a, size_t an, const void *b, size_t bn,
		  size_t limit)
{
	if (c->dead)
		return;
	size_t sent = 0;
	if (bytes_pending(&c->out) == 0) {
		struct iovec iov[2] = { { (void *)a, an }, { (void *)b, bn } };
		ssize_t w = try_send(c->fd, iov, bn ? 2 : 1);
		if (w < 0) {
			c->dead = true;
			return;
		}
		sent = (size_t)w;
	}
	if (sent >= an + bn)
		return;
	if (bytes_pending(&c->out) + an + bn - sent > limit) {
		c->dead = true; /* too far behind: let it go rather than wait */
		return;
	}
	if (sent < an) {
		bytes_append(&c->out, (const uint8_t *)a + sent, an - sent);
		bytes_append(&c->out, b, bn);
	} else {
		bytes_append(&c->out, (const uint8_t *)b + (sent - an), bn - (sent - an));
	}
}

void client_send(struct client *c, const void *p, size_t n, size_t limit)
{
	client_sendv(c, p, n, NULL, 0, limit);
}

void client_flush(struct client *c)
{
	size_t pending = bytes_pending(&c->out);
	if (c->dead || pending == 0)
		return;
	struct iovec iov = { c->out.data + c->out.off, pending };
	ssize_t w = try_send(c->fd, &iov, 1);
	if (w < 0)
		c->dead = true;
	else
		bytes_consume(&c->out, (size_t)w);
}

void attach_accept(struct shim *s)
{
	for (;;) {
		int fd = accept4(s->attach_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct client *c = client_new(s, CLIENT_ATTACH, fd);
		if (s->holding) {
			/* the first client gets what came before it, then output as it comes */
			s->holding = false;
			size_t n = bytes_pending(&s->held);
			if (n)
				client_send(c, s->held.data + s->held.off, n, SHIM_HOLD_MAX + SHIM_CLIENT_BACKLOG_MAX);
			bytes_free(&s->held);
		}
	}
}

void attach_output(struct shim *s, int stream, const uint8_t *p, size_t n)
{
	uint8_t hdr[8] = { (uint8_t)stream, 0, 0, 0,
			   (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	if (s->holding) {
		if (bytes_pending(&s->held) + n + sizeof hdr <= SHIM_HOLD_MAX) {
			if (!s->o.tty)
				bytes_append(&s->held, hdr, sizeof hdr);
			bytes_append(&s->held, p, n);
		}
		return;
	}
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->kind != CLIENT_ATTACH || c->hup)
			continue;
		if (s->o.tty)
			client_send(c, p, n, SHIM_CLIENT_BACKLOG_MAX);
		else
			client_sendv(c, hdr, sizeof hdr, p, n, SHIM_CLIENT_BACKLOG_MAX);
	}
}

int stdin_target(const struct shim *s)
{
	if (!s->o.stdin_pipe)
		return -1;
	return s->o.tty ? s->master : s->in_fd;
}

bool stdin_accepting(const struct shim *s)
{
	/* one client's read at a time: clients wait (in their sockets) while
	 * the container does not read its stdin */
	if (!s->o.stdin_pipe)
		return true; /* read and discarded */
	if (s->o.tty && !s->master_seen)
		return false; /* the terminal is not there yet */
	if (stdin_target(s) < 0)
		return true; /* stdin is closed: discarded */
	return bytes_pending(&s->in_buf) == 0 && !s->in_close_pending;
}

void stdin_close(struct shim *s)
{
	bytes_free(&s->in_buf);
	s->in_close_pending = false;
	if (!s->o.tty)
		berth_closep(&s->in_fd);
}

void stdin_flush(struct shim *s)
{
	int fd = stdin_target(s);
	if (fd < 0) {
		bytes_free(&s->in_buf);
		return;
	}
	while (bytes_pending(&s->in_buf) > 0) {
		ssize_t w = write(fd, s->in_buf.data + s->in_buf.off, bytes_pending(&s->in_buf));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			/* the reader is gone (EPIPE) or the pty hung up */
			bytes_free(&s->in_buf);
			if (!s->o.tty)
				berth_closep(&s->in_fd);
			break;
		}
		bytes_consume(&s->in_buf, (size_t)w);
	}
	if (s->in_close_pending)
		stdin_close(s);
}

void attach_read(struct shim *s, struct client *c)
{
	uint8_t buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		c->dead = true;
		return;
	}
	if (n == 0) {
		c->rd_eof = true; /* its input ends; its output goes on */
		/* --stdin-once (docker run -i): the first client's end of input is
		 * the container's, after what it wrote (already in in_buf) */
		if (s->o.stdin_once && !s->o.tty && s->in_fd >= 0) {
			s->in_close_pending = true;
			stdin_flush(s);
		}
		return;
	}
	if (stdin_target(s) < 0)
		return; /* no --stdin (or stdin closed): discarded */
	bytes_append(&s->in_buf, buf, (size_t)n);
	stdin_flush(s);
}
