#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "protocol.h"

struct berr g_err;

static int vset(uint32_t code, int err, const char *fmt, va_list ap)
{
	g_err.err = (uint32_t)(err < 0 ? 0 : err);
	g_err.code = code;
	int n = vsnprintf(g_err.text, sizeof g_err.text, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof g_err.text)
		n = (int)sizeof g_err.text - 1;
	if (err > 0)
		snprintf(g_err.text + n, sizeof g_err.text - (size_t)n, ": %s", strerror(err));
	errno = err;
	return -1;
}

int berr_set(uint32_t code, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(code, err, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_set_plain(uint32_t code, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(code, 0, fmt, ap);
	va_end(ap);
	g_err.err = (uint32_t)(err < 0 ? 0 : err);
	errno = err;
	return -1;
}

int berr_sys(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vset(BERTH_ERR_GENERIC, err, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_plan(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(BERTH_ERR_BAD_PLAN, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_prefix(const char *fmt, ...)
{
	char pre[BERR_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	size_t plen = strlen(pre), olen = strnlen(g_err.text, sizeof g_err.text - 1);
	if (plen + 2 >= sizeof g_err.text)
		plen = sizeof g_err.text - 3;
	if (plen + 2 + olen >= sizeof g_err.text)
		olen = sizeof g_err.text - 1 - plen - 2;
	memmove(g_err.text + plen + 2, g_err.text, olen);
	memcpy(g_err.text, pre, plen);
	memcpy(g_err.text + plen, ": ", 2);
	g_err.text[plen + 2 + olen] = 0;
	errno = (int)g_err.err;
	return -1;
}

#define ROT_BUFS 8
#define ROT_SIZE 1100

static char *rot_buf(void)
{
	static char bufs[ROT_BUFS][ROT_SIZE];
	static unsigned next;
	return bufs[next++ % ROT_BUFS];
}

const char *q(const char *s)
{
	int saved = errno;
	char *out = rot_buf();
	size_t o = 0;
	const size_t lim = ROT_SIZE - 8; /* room for an escape, '"', "..." */
	out[o++] = '"';
	if (!s)
		s = "";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (o >= lim - 4) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, ROT_SIZE - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = 0;
	errno = saved;
	return out;
}

static const struct {
	unsigned long flag;
	const char *name;
} mount_flag_names[] = {
	{ MS_RDONLY, "MS_RDONLY" },
	{ MS_NOSUID, "MS_NOSUID" },
	{ MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" },
	{ MS_SYNCHRONOUS, "MS_SYNCHRONOUS" },
	{ MS_REMOUNT, "MS_REMOUNT" },
	{ MS_MANDLOCK, "MS_MANDLOCK" },
	{ MS_DIRSYNC, "MS_DIRSYNC" },
	{ MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW" },
	{ MS_NOATIME, "MS_NOATIME" },
	{ MS_NODIRATIME, "MS_NODIRATIME" },
	{ MS_BIND, "MS_BIND" },
	{ MS_MOVE, "MS_MOVE" },
	{ MS_REC, "MS_REC" },
	{ MS_SILENT, "MS_SILENT" },
	{ MS_POSIXACL, "MS_POSIXACL" },
	{ MS_UNBINDABLE, "MS_UNBINDABLE" },
	{ MS_PRIVATE, "MS_PRIVATE" },
	{ MS_SLAVE, "MS_SLAVE" },
	{ MS_SHARED, "MS_SHARED" },
	{ MS_RELATIME, "MS_RELATIME" },
	{ MS_KERNMOUNT, "MS_KERNMOUNT" },
	{ MS_I_VERSION, "MS_I_VERSION" },
	{ MS_STRICTATIME, "MS_STRICTATIME" },
	{ MS_LAZYTIME, "MS_LAZYTIME" },
};

const char *mount_flags_str(unsigned long flags)
{
	char *out = rot_buf();
	size_t o = 0;
	out[0] = 0;
	if (flags == 0) {
		snprintf(out, ROT_SIZE, "0");
		return out;
	}
	for (size_t i = 0; i < sizeof mount_flag_names / sizeof mount_flag_names[0]; i++) {
		if (flags & mount_flag_names[i].flag) {
			o += (size_t)snprintf(out + o, ROT_SIZE - o, "%s%s", o ? "|" : "",
					      mount_flag_names[i].name);
			flags &= ~mount_flag_names[i].flag;
		}
	}
	if (flags)
		snprintf(out + o, ROT_SIZE - o, "%s0x%lx", o ? "|" : "", flags);
	return out;
}

const char *strerror_lc(int err)
{
	char *out = rot_buf();
	snprintf(out, ROT_SIZE, "%s", strerror(err));
	if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)(out[0] - 'A' + 'a');
	return out;
}
