/* oom.c — live OOM notices. A control client that asks "oom-watch <dir>"
 * (berthd, with the container's memory cgroup) is sent "event oom" each
 * time the kernel's OOM killer kills a process in that cgroup, while the
 * container runs: the kill of one of its processes that the container
 * outlives, which its exit status cannot tell.
 *
 * cgroup v1: an eventfd registered on memory.oom_control through
 * cgroup.event_control; v2: inotify on memory.events. Either wakes on more
 * than kills (v1's also when the cgroup goes, v2's on every counter), so a
 * notice goes out only when the oom_kill count has grown. v1's wakes as the
 * cgroup runs out of memory, before the kill is counted: the count is read
 * again a few times, 10 ms apart, until it has grown. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

/* The oom_kill count in the cgroup's counters file (relative to dirfd), or -1. */
static long long read_oom_kills(int dirfd, const char *file)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (char *line = buf; line;) {
		if (strncmp(line, "oom_kill ", 9) == 0)
			return strtoll(line + 9, NULL, 10);
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* An eventfd the kernel signals at each OOM in the v1 memory cgroup, or -1. */
static int watch_v1(int dirfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ofd = openat(dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	int cfd = openat(dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
	int rc = -1;
	if (efd >= 0 && ofd >= 0 && cfd >= 0) {
		char line[32];
		int len = snprintf(line, sizeof line, "%d %d", efd, ofd);
		rc = write(cfd, line, (size_t)len) == len ? 0 : -1;
	}
	int saved = errno;
	if (ofd >= 0)
		close(ofd); /* the registration holds what it needs */
	if (cfd >= 0)
		close(cfd);
	if (rc < 0 && efd >= 0)
		close(efd);
	errno = saved;
	return rc < 0 ? -1 : efd;
}

/* An inotify fd that wakes when the v2 cgroup's memory.events changes, or -1. */
static int watch_v2(const char *dir)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0)
		return -1;
	char path[4200];
	snprintf(path, sizeof path, "%s/memory.events", dir);
	if (inotify_add_watch(ifd, path, IN_MODIFY) < 0) {
		int saved = errno;
		close(ifd);
		errno = saved;
		return -1;
	}
	return ifd;
}

int oom_watch(struct shim *s, const char *dir)
{
	if (s->oom_fd >= 0)
		return 0; /* one cgroup a container: the first watch serves every subscriber */
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	bool v1 = faccessat(dirfd, "memory.oom_control", F_OK, 0) == 0;
	int fd = v1 ? watch_v1(dirfd) : watch_v2(dir);
	if (fd < 0) {
		int saved = errno;
		close(dirfd);
		errno = saved;
		return -1;
	}
	s->oom_fd = fd;
	s->oom_file = v1 ? "memory.oom_control" : "memory.events";
	s->oom_dirfd = dirfd;
	s->oom_kills = read_oom_kills(dirfd, s->oom_file);
	return 0;
}

static void stop_watching(struct shim *s)
{
	close(s->oom_fd);
	close(s->oom_dirfd);
	s->oom_fd = s->oom_dirfd = -1;
}

/* Re-reads of the count after a wake-up that found it unchanged. */
#define OOM_RECHECKS 20
#define OOM_RECHECK_MS 10

/* Reads the count: true when it grew (and the subscribers were told). */
static bool check(struct shim *s)
{
	long long kills = read_oom_kills(s->oom_dirfd, s->oom_file);
	if (kills < 0) {
		stop_watching(s); /* the cgroup is gone: the container has ended */
		return false;
	}
	if (kills <= s->oom_kills)
		return false;
	s->oom_kills = kills;
	static const char notice[] = "event oom\n";
	for (struct client *c = s->clients; c; c = c->next)
		if (c->oom_subscriber && !c->dead)
			client_send(c, notice, sizeof notice - 1, 4096);
	return true;
}

void oom_read(struct shim *s)
{
	if (s->oom_fd < 0)
		return;
	/* drain the wake-up: an eventfd's counter, or inotify's events */
	uint8_t buf[4096];
	ssize_t n = read(s->oom_fd, buf, sizeof buf);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		stop_watching(s);
		return;
	}
	if (check(s) || s->oom_fd < 0) {
		s->oom_rechecks = 0;
		return;
	}
	s->oom_rechecks = OOM_RECHECKS;
	s->oom_recheck_at = monotonic_ms() + OOM_RECHECK_MS;
}

int oom_recheck(struct shim *s)
{
	if (!s->oom_rechecks || s->oom_fd < 0)
		return -1;
	long long now = monotonic_ms();
	if (now < s->oom_recheck_at)
		return (int)(s->oom_recheck_at - now);
	if (check(s) || s->oom_fd < 0 || --s->oom_rechecks == 0) {
		s->oom_rechecks = 0;
		return -1;
	}
	s->oom_recheck_at = now + OOM_RECHECK_MS;
	return OOM_RECHECK_MS;
}
