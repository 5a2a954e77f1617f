/* jsonlog.c — Docker's json-file log driver, byte for byte:
 *   {"log":"text\n","stream":"stdout","time":"2026-11-22T19:17:11.123456789Z"}
 * one entry a line of output. As Docker's copier, a line whose text reaches
 * 16 KiB without a newline is cut there into an entry without "\n" (and the
 * rest continues in the next entry), and a partial last line is written
 * without "\n" at the end. Strings are escaped as Docker's encoder does
 * (Go's encoding/json rules). With a max size, the file is rotated before
 * an entry that would make it exceed the size: FILE → FILE.1 → … → FILE.(N-1),
 * or truncated when only one file is kept. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "shim.h"
#include "util.h"

int jsonlog_open(struct jsonlog *l, const char *path, long long max_size, long max_file)
{
	l->path = path;
	l->max_size = max_size;
	l->max_file = max_file < 1 ? 1 : max_file;
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return berr_sys("open the log %s", q(path));
	struct stat st;
	if (fstat(l->fd, &st) < 0)
		return berr_sys("stat the log %s", q(path));
	l->size = st.st_size;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if the bytes
 * there do not start one (Go then takes one byte as U+FFFD). Rejects what Go
 * rejects: overlong forms, surrogates, code points past U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static const char hexd[] = "0123456789abcdef";

size_t json_escape(const uint8_t *p, size_t n, char *out)
{
	size_t o = 0;
#define PUT(s, k)                                     \
	do {                                          \
		if (out)                              \
			memcpy(out + o, (s), (k));    \
		o += (k);                             \
	} while (0)
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
				/* a run of plain bytes */
				size_t j = i + 1;
				while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' &&
				       p[j] != '\\' && p[j] != '<' && p[j] != '>' && p[j] != '&')
					j++;
				PUT(p + i, j - i);
				i = j;
				continue;
			}
			char e[6];
			switch (c) {
			case '"': PUT("\\\"", 2); break;
			case '\\': PUT("\\\\", 2); break;
			case '\n': PUT("\\n", 2); break;
			case '\r': PUT("\\r", 2); break;
			case '\t': PUT("\\t", 2); break;
			default:
				/* other control bytes, and <, >, & (HTML-safe, as Go) */
				e[0] = '\\';
				e[1] = 'u';
				e[2] = '0';
				e[3] = '0';
				e[4] = hexd[c >> 4];
				e[5] = hexd[c & 0xf];
				PUT(e, 6);
			}
			i++;
			continue;
		}
		size_t len = utf8_seq(p + i, n - i);
		if (len == 0) {
			PUT("\\ufffd", 6);
			i++;
		} else if (len == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			/* U+2028, U+2029: JavaScript line terminators */
			PUT(p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			i += 3;
		} else {
			PUT(p + i, len);
			i += len;
		}
	}
#undef PUT
	return o;
}

static void rotate(struct jsonlog *l)
{
	if (l->max_file <= 1) {
		if (ftruncate(l->fd, 0) == 0)
			l->size = 0;
		return;
	}
	char from[PATH_MAX + 24], to[PATH_MAX + 24];
	for (long i = l->max_file - 1; i > 1; i--) {
		snprintf(from, sizeof from, "%s.%ld", l->path, i - 1);
		snprintf(to, sizeof to, "%s.%ld", l->path, i);
		(void)rename(from, to); /* ENOENT: fewer rotated files so far */
	}
	snprintf(to, sizeof to, "%s.1", l->path);
	if (rename(l->path, to) < 0)
		return; /* keep writing where we are; retried at the next entry */
	int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		l->size = 0; /* the old file goes on; do not rotate at every entry */
		return;
	}
	close(l->fd);
	l->fd = fd;
	l->size = 0;
}

static void write_entry(struct jsonlog *l, int stream, const uint8_t *p, size_t n, bool nl,
			const struct timespec *ts)
{
	static const char head[] = "{\"log\":\"";
	const char *mid = stream == STREAM_STDERR ? "\",\"stream\":\"stderr\",\"time\":\""
						  : "\",\"stream\":\"stdout\",\"time\":\"";
	static const char tail[] = "\"}\n";
	char tbuf[40];
	size_t tlen = format_rfc3339nano(ts, tbuf);
	size_t elen = json_escape(p, n, NULL);
	size_t mlen = strlen(mid);
	size_t total = sizeof head - 1 + elen + (nl ? 2 : 0) + mlen + tlen + sizeof tail - 1;

	char stackbuf[4096];
	char *buf = total <= sizeof stackbuf ? stackbuf : xmalloc(total);
	size_t o = 0;
	memcpy(buf + o, head, sizeof head - 1);
	o += sizeof head - 1;
	o += json_escape(p, n, buf + o);
	if (nl) {
		memcpy(buf + o, "\\n", 2);
		o += 2;
	}
	memcpy(buf + o, mid, mlen);
	o += mlen;
	memcpy(buf + o, tbuf, tlen);
	o += tlen;
	memcpy(buf + o, tail, sizeof tail - 1);
	o += sizeof tail - 1;

	if (l->max_size > 0 && l->size > 0 && l->size + (long long)o > l->max_size)
		rotate(l);
	/* one write per entry: a reader never sees half of one unless the disk
	 * is full, and then the entry is lost rather than the container blocked */
	if (write_full(l->fd, buf, o) == 0)
		l->size += (long long)o;
	if (buf != stackbuf)
		free(buf);
}

void jsonlog_data(struct jsonlog *l, int stream, const uint8_t *p, size_t n,
		  const struct timespec *ts)
{
	if (l->fd < 0)
		return;
	struct bytes *line = &l->line[stream == STREAM_STDERR ? 1 : 0];
	while (n > 0) {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t text = nl ? (size_t)(nl - p) : n; /* bytes before the newline */
		size_t have = bytes_pending(line);
		if (have + text >= SHIM_LOG_LINE_MAX) {
			/* the line's text fills an entry: cut it there */
			size_t take = SHIM_LOG_LINE_MAX - have;
			if (have == 0) {
				write_entry(l, stream, p, take, false, ts);
			} else {
				bytes_append(line, p, take);
				write_entry(l, stream, line->data + line->off, SHIM_LOG_LINE_MAX, false, ts);
				bytes_free(line);
			}
			p += take;
			n -= take;
			continue;
		}
		if (!nl) {
			bytes_append(line, p, n);
			return;
		}
		if (have == 0) {
			write_entry(l, stream, p, text, true, ts);
		} else {
			bytes_append(line, p, text);
			write_entry(l, stream, line->data + line->off, have + text, true, ts);
			bytes_free(line);
		}
		p += text + 1;
		n -= text + 1;
	}
}

void jsonlog_flush(struct jsonlog *l, const struct timespec *ts)
{
	if (l->fd < 0)
		return;
	for (int i = 0; i < 2; i++) {
		struct bytes *line = &l->line[i];
		if (bytes_pending(line) > 0)
			write_entry(l, i == 1 ? STREAM_STDERR : STREAM_STDOUT,
				    line->data + line->off, bytes_pending(line), false, ts);
		bytes_free(line);
	}
}
