/* util.h — small helpers shared by berth-init: scoped cleanup of fds and
 * allocations, full reads/writes, little-endian access. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static inline void berth_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void berth_freep(void *p)
{
	void **pp = (void **)p;
	free(*pp);
	*pp = NULL;
}

/* int fd _cleanup_close_ = -1;  char *buf _cleanup_free_ = NULL; */
#define _cleanup_close_ __attribute__((cleanup(berth_closep)))
#define _cleanup_free_ __attribute__((cleanup(berth_freep)))

/* Hand ownership of a cleanup-managed fd or pointer to the caller. */
static inline int take_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

static inline void *take_ptr(void *p)
{
	void **pp = (void **)p;
	void *r = *pp;
	*pp = NULL;
	return r;
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Read exactly n bytes unless EOF comes first: returns the count read
 * (< n only at EOF), or -1 with errno set. Retries EINTR. */
ssize_t read_full(int fd, void *buf, size_t n);
/* Write all n bytes (MSG_NOSIGNAL on sockets): 0 or -1 with errno set. */
int write_full(int fd, const void *buf, size_t n);
/* Set or clear FD_CLOEXEC. */
int fd_set_cloexec(int fd, bool on);
/* Open dirfd/path for writing (O_WRONLY|O_CLOEXEC|O_NOFOLLOW) and write data
 * in a single write(2) (procfs files want one write). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len);
/* Read and discard what the peer still sends (until EOF, or idle_ms without
 * data), so that closing fd does not reset the connection (AF_UNIX reports
 * ECONNRESET to a peer whose data was left unread) before it reads our
 * error. */
void drain_input(int fd, int idle_ms);
/* Allocation that never returns NULL (exits the process on ENOMEM). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);

#endif
