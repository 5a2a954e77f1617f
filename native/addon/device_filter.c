/* device_filter.c — bpf(2) for the cgroup v2 device filter.
 *
 * Replacing a filter never leaves the cgroup unfiltered: programs attached
 * with BPF_F_ALLOW_MULTI all run and a device access needs every one of
 * them to allow it, so the new program is attached next to the old ones
 * (for that moment the container gets what both allow), and only then are
 * the old ones detached. The old ones are found with BPF_PROG_QUERY, as
 * runc does: a cgroup made by berth only ever holds berth's filters. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "device_filter.h"
#include "util.h"

/* The verifier's log, when a load fails: room for its account of a program
 * far longer than any device filter (a few hundred instructions). */
#define VERIFIER_LOG_SIZE (256 * 1024)

/* Shown by bpftool prog list; at most BPF_OBJ_NAME_LEN - 1 characters. */
#define PROG_NAME "berth_devices"

/* The kernel asks a program's license only to decide whether it may call
 * GPL-only helpers; a device filter calls no helper at all, so any license
 * loads. This is berth's own code, under berth's license (package.json). */
#define PROG_LICENSE "Apache-2.0"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t ptr_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

__attribute__((format(printf, 3, 4))) static int fail(struct df_error *e, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(err));
	e->err = err;
	return -1;
}

void df_error_free(struct df_error *e)
{
	free(e->log);
	e->log = NULL;
}

static int open_cgroup(const char *dir, const char *what, struct df_error *e)
{
	int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(e, errno, "%s \"%s\": open", what, dir);
	return fd;
}

/* BPF_PROG_QUERY on one cgroup fd: the ids and the cgroup's attach flags
 * for device programs. The count is asked first, then the ids; a program
 * attached in between makes the kernel answer ENOSPC, and we ask again. */
static int query_fd(int cgfd, const char *what, const char *dir, uint32_t **ids, uint32_t *count, uint32_t *flags, struct df_error *e)
{
	/* EBADF: the fd is no cgroup v2 directory (a v1 hierarchy, say) */
	*ids = NULL;
	*count = 0;
	for (int attempt = 0; attempt < 5; attempt++) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.query.target_fd = (uint32_t)cgfd;
		attr.query.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
			return fail(e, errno, "%s \"%s\": bpf(BPF_PROG_QUERY)%s", what, dir,
				    errno == EBADF ? " (not a cgroup v2 directory?)" : "");
		uint32_t n = attr.query.prog_cnt;
		*flags = attr.query.attach_flags;
		if (n == 0)
			return 0;
		uint32_t *buf = calloc(n, sizeof(*buf));
		if (!buf)
			return fail(e, ENOMEM, "%s \"%s\"", what, dir);
		memset(&attr, 0, sizeof(attr));
		attr.query.target_fd = (uint32_t)cgfd;
		attr.query.attach_type = BPF_CGROUP_DEVICE;
		attr.query.prog_ids = ptr_u64(buf);
		attr.query.prog_cnt = n;
		if (sys_bpf(BPF_PROG_QUERY, &attr) == 0) {
			*ids = buf;
			*count = attr.query.prog_cnt;
			*flags = attr.query.attach_flags;
			return 0;
		}
		int err = errno;
		free(buf);
		if (err != ENOSPC)
			return fail(e, err, "%s \"%s\": bpf(BPF_PROG_QUERY)", what, dir);
	}
	return fail(e, EAGAIN, "%s \"%s\": bpf(BPF_PROG_QUERY): programs kept being attached meanwhile", what, dir);
}

int df_query(const char *dir, uint32_t **ids, uint32_t *count, struct df_error *e)
{
	static const char what[] = "query device filters of";
	int cgfd _cleanup_close_ = open_cgroup(dir, what, e);
	if (cgfd < 0)
		return -1;
	uint32_t flags;
	return query_fd(cgfd, what, dir, ids, count, &flags, e);
}

static int prog_load(const void *insns, size_t count, char *log, size_t log_size)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = ptr_u64(insns);
	attr.insn_cnt = (uint32_t)count;
	attr.license = ptr_u64(PROG_LICENSE);
	if (log) {
		attr.log_buf = ptr_u64(log);
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
		log[0] = '\0';
	}
	memcpy(attr.prog_name, PROG_NAME, sizeof(PROG_NAME));
	return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

/* Loads without a log first (the verifier writes one only when asked, and
 * it costs), and on failure loads again with one, to say why. */
static int load(const char *dir, const void *insns, size_t count, struct df_error *e)
{
	int fd = prog_load(insns, count, NULL, 0);
	if (fd < 0 && errno == EPERM) {
		/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, whose
		 * default is too small; later ones charge the memory cgroup. Only
		 * then is the limit raised, and only in this process (root). */
		struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
		if (setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0)
			fd = prog_load(insns, count, NULL, 0);
		else
			errno = EPERM;
	}
	if (fd >= 0)
		return fd;
	int err = errno;
	char *log = malloc(VERIFIER_LOG_SIZE);
	if (log) {
		int again = prog_load(insns, count, log, VERIFIER_LOG_SIZE);
		if (again >= 0)
			close(again); /* loaded the second time: still report the first refusal */
		else if (log[0])
			e->log = take_ptr(&log);
	}
	free(log);
	return fail(e, err, "attach device filter to \"%s\": bpf(BPF_PROG_LOAD) (%zu insns)", dir, count);
}

static int attach(int cgfd, int progfd, uint32_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	return (int)sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int detach(int cgfd, int progfd)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	return (int)sys_bpf(BPF_PROG_DETACH, &attr);
}

static int prog_fd_by_id(uint32_t id)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	return (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

static void close_all(int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

int df_attach(const char *dir, const void *insns, size_t count, struct df_error *e)
{
	static const char what[] = "attach device filter to";
	int cgfd _cleanup_close_ = open_cgroup(dir, what, e);
	if (cgfd < 0)
		return -1;

	uint32_t *ids _cleanup_free_ = NULL;
	uint32_t n = 0, flags = 0;
	if (query_fd(cgfd, what, dir, &ids, &n, &flags, e) < 0)
		return -1;
	/* Hold the old programs by fd now: detaching takes an fd, and the ids
	 * are what was attached before ours. One gone meanwhile is skipped. */
	int *old = calloc(n ? n : 1, sizeof(*old));
	if (!old)
		return fail(e, ENOMEM, "attach device filter to \"%s\"", dir);
	for (uint32_t i = 0; i < n; i++) {
		old[i] = prog_fd_by_id(ids[i]);
		if (old[i] < 0 && errno != ENOENT) {
			int err = errno;
			close_all(old, n);
			return fail(e, err, "attach device filter to \"%s\": bpf(BPF_PROG_GET_FD_BY_ID) of the filter there before (id %u)", dir, ids[i]);
		}
	}

	int progfd _cleanup_close_ = load(dir, insns, count, e);
	if (progfd < 0) {
		close_all(old, n);
		return -1;
	}

	/* A program someone attached without BPF_F_ALLOW_MULTI forbids a
	 * multi one next to it; attaching with its own flags replaces it
	 * in one step instead, which leaves no window either. */
	bool replace_single = n > 0 && !(flags & BPF_F_ALLOW_MULTI);
	if (attach(cgfd, progfd, replace_single ? flags : BPF_F_ALLOW_MULTI) < 0) {
		int err = errno;
		close_all(old, n);
		return fail(e, err, "attach device filter to \"%s\": bpf(BPF_PROG_ATTACH)", dir);
	}
	if (!replace_single) {
		for (uint32_t i = 0; i < n; i++) {
			if (old[i] < 0 || detach(cgfd, old[i]) == 0 || errno == ENOENT)
				continue;
			int err = errno;
			close_all(old, n);
			return fail(e, err, "attach device filter to \"%s\": the new filter is attached, but bpf(BPF_PROG_DETACH) of the one there before (id %u)", dir, ids[i]);
		}
	}
	close_all(old, n);
	return 0;
}
