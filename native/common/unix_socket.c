/* unix_socket.c — see unix_socket.h. */
#include "unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "error.h"
#include "protocol.h"
#include "util.h"

int unix_connect(const char *path, const char *what)
{
	int fd _cleanup_close_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_sys("%s: socket", what);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dirfd _cleanup_close_ = -1;
	if (strlen(path) < sizeof sa.sun_path) {
		strcpy(sa.sun_path, path);
	} else {
		/* too long for sun_path: go through the directory's fd */
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", path);
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "connect %s %s", what, q(path));
		*slash = 0;
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return berr_sys("connect %s %s: open the directory", what, q(path));
		int n = snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd,
				 slash + 1);
		if (n < 0 || (size_t)n >= sizeof sa.sun_path)
			return berr_set(BERTH_ERR_GENERIC, ENAMETOOLONG, "connect %s %s", what, q(path));
	}
	int r;
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return berr_sys("connect %s %s", what, q(path));
	return take_fd(&fd);
}

int send_fd(int sock, int fd, const void *payload, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { .iov_base = (void *)(len ? payload : ""), .iov_len = len ? len : 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof cbuf,
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	/* a stream socket may take only part of a long payload: the fd rides
	 * with the first part, the rest follows */
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	size_t sent = (size_t)r;
	return sent < iov.iov_len ? write_full(sock, (const char *)iov.iov_base + sent, iov.iov_len - sent) : 0;
}
