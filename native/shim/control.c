/* control.c — DIR/control.sock: one request a line, one answer a line
 * ("ok" or "error <text>"):
 *   resize <rows> <cols>   the terminal's window size (kept until the master
 *                          arrives, if it has not yet)
 *   close-stdin            EOF on the stdin pipe once what clients wrote is
 *                          in; nothing to do with a terminal
 *   oom-watch <dir>        this connection is sent "event oom" lines, one
 *                          each time a process in the memory cgroup at dir
 *                          is OOM-killed from now on (see oom.c)
 *   ping
 * A connection held open sees EOF when the monitor exits: how berthd learns
 * of the end without polling. One that half-closes is closed as soon as its
 * answers are out (a client asking one thing and going). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

/* A request line is short; a peer sending more is not speaking this protocol. */
#define CONTROL_LINE_MAX 256
#define CONTROL_BACKLOG_MAX 4096

void control_accept(struct shim *s)
{
	for (;;) {
		int fd = accept4(s->control_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		client_new(s, CLIENT_CONTROL, fd);
	}
}

static bool parse_u16(const char *tok, unsigned short *out)
{
	char *end;
	if (!tok || !*tok || *tok == '-' || *tok == '+')
		return false;
	errno = 0;
	unsigned long v = strtoul(tok, &end, 10);
	if (errno || *end || v > 65535)
		return false;
	*out = (unsigned short)v;
	return true;
}

static void answer(struct client *c, const char *text)
{
	client_send(c, text, strlen(text), CONTROL_BACKLOG_MAX);
	client_send(c, "\n", 1, CONTROL_BACKLOG_MAX);
}

static void handle(struct shim *s, struct client *c, char *line)
{
	size_t len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[--len] = 0;
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	if (!cmd) {
		answer(c, "error empty request");
		return;
	}
	if (strcmp(cmd, "ping") == 0) {
		answer(c, "ok");
	} else if (strcmp(cmd, "resize") == 0) {
		unsigned short rows, cols;
		char *r = strtok_r(NULL, " \t", &save), *k = strtok_r(NULL, " \t", &save);
		if (!parse_u16(r, &rows) || !parse_u16(k, &cols) || strtok_r(NULL, " \t", &save)) {
			answer(c, "error usage: resize <rows> <cols>");
			return;
		}
		if (!s->o.tty) {
			answer(c, "error the container has no terminal");
			return;
		}
		s->ws = (struct winsize){ .ws_row = rows, .ws_col = cols };
		s->ws_pending = true;
		if (apply_winsize(s) < 0) {
			char msg[160];
			snprintf(msg, sizeof msg, "error resize the terminal: %s", strerror(errno));
			answer(c, msg);
			return;
		}
		answer(c, "ok");
	} else if (strcmp(cmd, "oom-watch") == 0) {
		char *dir = save ? save + strspn(save, " \t") : NULL;
		if (!dir || *dir != '/') {
			answer(c, "error usage: oom-watch <absolute cgroup directory>");
			return;
		}
		if (oom_watch(s, dir) < 0) {
			char msg[CONTROL_LINE_MAX + 80];
			snprintf(msg, sizeof msg, "error watch %s for OOM kills: %s", dir, strerror(errno));
			answer(c, msg);
			return;
		}
		c->oom_subscriber = true;
		answer(c, "ok");
	} else if (strcmp(cmd, "close-stdin") == 0) {
		if (strtok_r(NULL, " \t", &save)) {
			answer(c, "error usage: close-stdin");
			return;
		}
		if (!s->o.tty && s->in_fd >= 0) {
			s->in_close_pending = true;
			stdin_flush(s);
		}
		answer(c, "ok");
	} else {
		char msg[CONTROL_LINE_MAX + 40];
		snprintf(msg, sizeof msg, "error unknown request \"%s\"", cmd);
		answer(c, msg);
	}
}

void control_read(struct shim *s, struct client *c)
{
	uint8_t buf[CONTROL_LINE_MAX];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: nothing more will be asked; still ours to close at the end,
		 * unless the peer is gone entirely (POLLHUP or a failed write) */
		if (n < 0)
			c->dead = true;
		else
			c->rd_eof = true; /* dropped once its answers are out */
		return;
	}
	bytes_append(&c->in, buf, (size_t)n);
	for (;;) {
		uint8_t *start = c->in.data + c->in.off;
		size_t pending = bytes_pending(&c->in);
		uint8_t *nl = memchr(start, '\n', pending);
		if (!nl) {
			if (pending > CONTROL_LINE_MAX) {
				answer(c, "error request line too long");
				c->dead = true;
			}
			return;
		}
		*nl = 0;
		size_t used = (size_t)(nl - start) + 1;
		handle(s, c, (char *)start);
		bytes_consume(&c->in, used);
		if (c->dead || bytes_pending(&c->in) == 0)
			return;
	}
}
