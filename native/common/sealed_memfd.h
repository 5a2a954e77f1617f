/* sealed_memfd.h — a file's bytes in a memfd sealed against any change:
 * berth-init runs from one, so that no container can reach (and rewrite)
 * the binary on disk (CVE-2019-5736). Used by berth-init (copying itself)
 * and the addon (berthd's copy, made once); header-only because the addon
 * does not link native/common's objects. */
#ifndef BERTH_SEALED_MEMFD_H
#define BERTH_SEALED_MEMFD_H

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define BERTH_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether fd is a memfd with every one of those seals. */
static inline int is_sealed_memfd(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & BERTH_SEALS) == BERTH_SEALS;
}

/* A close-on-exec memfd with src's bytes, sealed; -1 with errno, and *step
 * naming what failed ("memfd_create", "copy", "seal"). */
static inline int sealed_memfd_of(int src, const char **step)
{
	*step = "memfd_create";
	int mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL) /* kernel < 6.3: no MFD_EXEC */
		mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -1;
	struct stat st;
	*step = "copy";
	if (fstat(src, &st) < 0)
		goto fail;
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
	}
	*step = "seal";
	if (fcntl(mfd, F_ADD_SEALS, BERTH_SEALS) < 0)
		goto fail;
	return mfd;
fail:;
	int saved = errno;
	close(mfd);
	errno = saved;
	return -1;
}

#endif
