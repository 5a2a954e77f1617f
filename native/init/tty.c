/* tty.c — the console socket (parent) and SETUP_TTY (child): a pty from the
 * container's /dev/ptmx whose master goes to the console socket's listener
 * and whose slave becomes the controlling terminal and fds 0-2. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"
#include "unix_socket.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int parent_console_socket(struct ctx *c, const char *path)
{
	int fd = unix_connect(path, "console socket");
	if (fd < 0)
		return -1;
	c->console_fd = fd;
	return 0;
}

int op_setup_tty(struct ctx *c, const struct op *op)
{
	bool mount_console = op->args[0].u != 0;
	int master _cleanup_close_ = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berr_sys("open %s", q("/dev/ptmx"));
	if (grantpt(master) < 0)
		return berr_sys("grantpt %s", q("/dev/ptmx"));
	if (unlockpt(master) < 0)
		return berr_sys("unlockpt %s", q("/dev/ptmx"));
	char pts[64];
	int e = ptsname_r(master, pts, sizeof pts);
	if (e != 0) {
		errno = e;
		return berr_sys("ptsname %s", q("/dev/ptmx"));
	}
	/* open the slave through the master: no path lookup to race with */
	int slave _cleanup_close_ = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		slave = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			return berr_sys("open %s", q(pts));
	}
	if (send_fd(c->console_fd, master, "/dev/ptmx", strlen("/dev/ptmx")) < 0)
		return berr_sys("send the pty master over the console socket");
	berth_closep(&master);
	berth_closep(&c->console_fd);

	if (mount_console) {
		char buf[64], sbuf[64];
		int fd _cleanup_close_ = root_open(c, "/dev/console", RP_FILE);
		if (fd < 0)
			return berr_prefix("mount %s to %s", q(pts), q("/dev/console"));
		const char *src = fd_path(c, slave, pts, sbuf, sizeof sbuf);
		if (mount(src, fd_path(c, fd, "/dev/console", buf, sizeof buf), NULL, MS_BIND,
			  NULL) < 0)
			return berr_sys("mount %s to %s (%s)", q(pts), q("/dev/console"),
					mount_flags_str(MS_BIND));
	}
	if (setsid() < 0)
		return berr_sys("setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berr_sys("make %s the controlling terminal", q(pts));
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return berr_sys("dup %s onto fd %d", q(pts), i);
	return 0;
}
