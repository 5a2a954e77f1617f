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

/* No fsync, of the file or of DIR: DIR is under berthd's exec-root
 * (/run/berth by default, a tmpfs; on any filesystem its contents mean
 * nothing after a reboot, as the containers they describe are gone), and
 * what a crash of the shim or of berthd leaves is already safe: the page
 * cache outlives any process, and the rename makes the file appear whole or
 * not at all. The two fsyncs bought nothing and cost from 0.5 ms to several
 * on a disk-backed exec-root, before the "ok" of every start and before the
 * exit file berthd waits for (docker run --rm, docker exec). */
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
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		berr_sys("rename %s to %s", q(tmp), q(name));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* Year, month (1-12) and day of the days since 1970-01-01, proleptic
 * Gregorian (H. Hinnant's civil_from_days). Not gmtime_r: glibc's reads
 * /etc/localtime at its first call, though UTC needs no zone (seven system
 * calls on the way to the first log line, or to the exit file). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

size_t format_rfc3339nano(const struct timespec *ts, char *buf)
{
	long long sec = (long long)ts->tv_sec;
	long long days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	long long year;
	unsigned mon, mday;
	civil_from_days(days, &year, &mon, &mday);
	int n = snprintf(buf, 40, "%04lld-%02u-%02uT%02d:%02d:%02d", year, mon, mday,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
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
