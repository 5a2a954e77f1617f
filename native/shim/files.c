/* files.c — what the monitor leaves in its directory: atomic files, and the
 * unix sockets it listens on; RFC 3339 times for them and for the log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "shim.h"
#include "util.h"

int write_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	int fd _cleanup_close_ =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return berr_sys("create %s", q(tmp));
	if (write_full(fd, data, len) < 0) {
		berr_sys("write %s", q(tmp));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (fsync(fd) < 0) {
		berr_sys("fsync %s", q(tmp));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		berr_sys("rename %s to %s", q(tmp), q(name));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	(void)fsync(dirfd); /* the rename itself survives a crash */
	return 0;
}

size_t format_rfc3339nano(const struct timespec *ts, char *buf)
{
	struct tm tm;
	time_t sec = ts->tv_sec;
	gmtime_r(&sec, &tm);
	int n = snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	unsigned ns = (unsigned)ts->tv_nsec % 1000000000u;
	if (ns > 0) {
		/* Go's RFC3339Nano drops trailing zeros (and the dot with them) */
		char frac[10];
		snprintf(frac, sizeof frac, "%09u", ns);
		int end = 9;
		while (end > 0 && frac[end - 1] == '0')
			end--;
		frac[end] = 0;
		n += snprintf(buf + n, (size_t)(40 - n), ".%s", frac);
	}
	n += snprintf(buf + n, (size_t)(40 - n), "Z");
	return (size_t)n;
}

int listen_unix(const char *dir, int dirfd, const char *name)
{
	int fd _cleanup_close_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_sys("socket for %s", q(name));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* always through the directory's fd, never its path: if DIR is removed
	 * and made again for another start, a shim that is still setting up
	 * must not bind (or unlink) in the new one; it also fits sun_path */
	(void)dir;
	int n = snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, name);
	if (n < 0 || (size_t)n >= sizeof sa.sun_path)
		return berr_set(0, ENAMETOOLONG, "bind %s", q(name));
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return berr_sys("remove the stale %s", q(name));
	mode_t old = umask(0177); /* born 0600: no window where others may connect */
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	int err = errno;
	umask(old);
	if (r < 0) {
		errno = err;
		return berr_sys("bind %s/%s", q(dir), name);
	}
	if (listen(fd, 64) < 0)
		return berr_sys("listen on %s/%s", q(dir), name);
	return take_fd(&fd);
}

int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	return (fl & O_NONBLOCK) ? 0 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
