#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (uint8_t *)buf + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	bool sock = true;
	while (done < n) {
		ssize_t r;
		if (sock) {
			r = send(fd, (const uint8_t *)buf + done, n - done, MSG_NOSIGNAL);
			if (r < 0 && errno == ENOTSOCK) {
				sock = false;
				continue;
			}
		} else {
			r = write(fd, (const uint8_t *)buf + done, n - done);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

int fd_set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -1;
	int nflags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	if (nflags == flags)
		return 0;
	return fcntl(fd, F_SETFD, nflags);
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len)
{
	int fd _cleanup_close_ = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -1;
	ssize_t w;
	do
		w = write(fd, data, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		static const char msg[] = "berth-init: out of memory\n";
		(void)!write(2, msg, sizeof msg - 1);
		_exit(1);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		static const char msg[] = "berth-init: out of memory\n";
		(void)!write(2, msg, sizeof msg - 1);
		_exit(1);
	}
	return p;
}

void drain_input(int fd, int idle_ms)
{
	char buf[65536];
	size_t total = 0;
	while (total < (64u << 20)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, idle_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		total += (size_t)n;
	}
}
