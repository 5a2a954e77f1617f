/* bytes.c — the growable buffers behind client backlogs, stdin and partial
 * log lines. They start empty (nothing is allocated for an idle monitor)
 * and give their memory back once drained. */
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

size_t bytes_pending(const struct bytes *b)
{
	return b->len - b->off;
}

void bytes_append(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->off > 0 && b->len + n > b->cap) {
		/* reuse the consumed head before growing */
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			static const char msg[] = "berth-shim: out of memory\n";
			(void)!write(2, msg, sizeof msg - 1);
			_exit(1);
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void bytes_consume(struct bytes *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		bytes_free(b);
}

void bytes_free(struct bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
