/* unix_socket.h — the two things berth-init does with other programs' unix
 * sockets: connect to one named by path (console socket, seccomp agent) and
 * send it an fd with SCM_RIGHTS. */
#ifndef BERTH_UNIX_SOCKET_H
#define BERTH_UNIX_SOCKET_H

#include <stddef.h>

/* A SOCK_STREAM socket connected to path (O_CLOEXEC), or -1 with g_err set to
 * "connect <what> <path>: …". Paths too long for sun_path go through their
 * directory's fd. */
int unix_connect(const char *path, const char *what);
/* Send fd with SCM_RIGHTS and the payload as data (at least one byte is
 * sent: a NUL stands in for an empty payload). 0, or -1 with errno set. */
int send_fd(int sock, int fd, const void *payload, size_t len);

#endif
