#include "msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "protocol.h"
#include "util.h"

int msg_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t hdr[8];
	put_le32(hdr, type);
	put_le32(hdr + 4, len);
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof hdr },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	size_t total = sizeof hdr + len, done = 0;
	while (done < total) {
		struct iovec v[2];
		int n = 0;
		size_t skip = done;
		for (int i = 0; i < 2; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			v[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
			v[n].iov_len = iov[i].iov_len - skip;
			skip = 0;
			n++;
		}
		struct msghdr mh = { .msg_iov = v, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys("send %s message", msg_type_name(type));
		}
		done += (size_t)w;
	}
	return 0;
}

int msg_send_empty(int fd, uint32_t type)
{
	return msg_send(fd, type, NULL, 0);
}

int msg_send_u64(int fd, uint32_t type, uint64_t v)
{
	uint8_t b[8];
	put_le64(b, v);
	return msg_send(fd, type, b, sizeof b);
}

int msg_send_text(int fd, uint32_t type, const char *text)
{
	return msg_send(fd, type, text, (uint32_t)strlen(text));
}

int msg_send_error(int fd, const struct berr *e)
{
	uint8_t buf[8 + BERR_TEXT_MAX];
	size_t n = strnlen(e->text, BERR_TEXT_MAX);
	put_le32(buf, e->err);
	put_le32(buf + 4, e->code);
	memcpy(buf + 8, e->text, n);
	/* keep g_err intact: the caller may still need it */
	struct berr saved = g_err;
	int r = msg_send(fd, BERTH_MSG_ERROR, buf, (uint32_t)(8 + n));
	g_err = saved;
	return r;
}

int msg_recv(int fd, struct msg *m)
{
	uint8_t hdr[8];
	m->data = NULL;
	ssize_t r = read_full(fd, hdr, sizeof hdr);
	if (r < 0)
		return berr_sys("read message");
	if (r == 0)
		return 0;
	if (r != sizeof hdr)
		return berr_set(BERTH_ERR_GENERIC, EPIPE, "read message: short header");
	m->type = get_le32(hdr);
	m->len = get_le32(hdr + 4);
	if (m->len > BERTH_MSG_MAX)
		return berr_set(BERTH_ERR_GENERIC, EMSGSIZE, "read %s message of %u bytes",
				msg_type_name(m->type), m->len);
	m->data = xmalloc((size_t)m->len + 1);
	r = read_full(fd, m->data, m->len);
	if (r < 0 || (size_t)r != m->len) {
		int err = r < 0 ? errno : EPIPE;
		msg_free(m);
		return berr_set(BERTH_ERR_GENERIC, err, "read %s message payload",
				msg_type_name(m->type));
	}
	m->data[m->len] = 0;
	return 1;
}

void msg_free(struct msg *m)
{
	free(m->data);
	m->data = NULL;
}

int msg_u64(const struct msg *m, uint64_t *v)
{
	if (m->len != 8)
		return berr_set(BERTH_ERR_GENERIC, EBADMSG, "%s message with %u bytes of payload",
				msg_type_name(m->type), m->len);
	*v = get_le64(m->data);
	return 0;
}

const char *msg_type_name(uint32_t type)
{
	switch (type) {
	case BERTH_MSG_PID: return "PID";
	case BERTH_MSG_SYNC: return "SYNC";
	case BERTH_MSG_SYNC_ACK: return "SYNC_ACK";
	case BERTH_MSG_READY: return "READY";
	case BERTH_MSG_ERROR: return "ERROR";
	case BERTH_MSG_EXIT: return "EXIT";
	case BERTH_MSG_ABORT: return "ABORT";
	case BERTH_MSG_WARNING: return "WARNING";
	default: return "unknown";
	}
}
