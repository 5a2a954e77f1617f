/* init.h — state shared by the parent and child halves of berth-init, and
 * the op entry points (one concern per file). Every op returns 0, or -1 with
 * g_err set. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "error.h"
#include "plan.h"
#include "msg.h"
#include "protocol.h"

/* console_relay.c: the parent's side of CONSOLE_RELAY */
struct console_relay {
	bool on;
	int sock;          /* the master arrives here, -1 once received */
	int master;        /* -1 until received, and after EIO */
	int winch;         /* signalfd of SIGWINCH */
	bool in_open;      /* stdin not at EOF yet */
	bool raw;          /* stdin's termios changed: restore at the end */
	struct termios saved;
};

struct ctx {
	struct plan *plan;

	/* parent */
	int sync_fd;       /* to node */
	int proc_fd;       /* "/proc" opened first thing */
	int *ns_fds;       /* per op index: pre-opened JOIN_NS fds, else -1 */
	bool ns_opened;
	pid_t child;
	int pidfd;
	int child_sock;    /* parent's end of the socketpair */

	struct console_relay relay; /* CONSOLE_RELAY: stdio ↔ pty master */

	/* inherited by the child */
	int console_fd;    /* CONSOLE_SOCKET, connected (or the relay's far end) */
	int fifo_fd;       /* EXEC_FIFO, O_RDONLY|O_NONBLOCK */
	int exec_root_fd;  /* OPEN_EXEC_ROOT */
	int agent_fd;      /* SECCOMP_AGENT, connected */
	int cg_tasks[32];  /* CGROUP_JOIN kind 0: v1 tasks files, O_WRONLY */
	const char *cg_tasks_path[32];
	int ncg_tasks;
	int cg_into;       /* CGROUP_JOIN kind 1: the v2 directory, O_PATH; -1 */
	const char *cg_into_path;

	/* child */
	int sock;          /* child's end of the socketpair */
	int root_fd;       /* O_PATH fd of the prepared root, -1 after pivot */
	bool pivoted;      /* paths are plain container paths */
	bool ready;        /* READY sent */
	mode_t saved_umask;
	bool umask_applied;
	char **argv;
	char **envp;
	char *exec_path;   /* resolved by RESOLVE_EXEC */
	const char *exec_name; /* what RESOLVE_EXEC looks up; NULL: argv[0] */
	const struct op *seccomp; /* SECCOMP kept for EXEC (no_new_privs set) */
	uint8_t *state;    /* read by WAIT_START */
	size_t state_len;
};

/* main.c */
void ensure_sealed_exe(char **argv, char **envp);

/* parent.c */
int run_parent(struct ctx *c);
int child_join_cgroups(struct ctx *c);

/* child.c */
void run_child(struct ctx *c) __attribute__((noreturn));
/* Send a WARNING to node (child: through the parent). Best effort. */
void child_warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait for SYNC_ACK from the parent; EOF makes the child exit quietly. */
int child_wait_ack(struct ctx *c, const char *what);
/* Send SYNC(id) to node and wait for its SYNC_ACK, whose payload is left in
 * *reply (free with msg_free). */
int child_sync(struct ctx *c, uint64_t id, struct msg *reply);
/* Re-arm PR_SET_PDEATHSIG (cleared by credential changes) until READY. */
void child_rearm_pdeathsig(struct ctx *c);

/* namespaces.c */
int op_join_ns(struct ctx *c, uint32_t index);
int op_new_time_ns(struct ctx *c, const struct op *op);
int op_unshare(const struct op *op);
int op_wait_maps(struct ctx *c);
int op_sethostname(const struct op *op);
int op_setdomainname(const struct op *op);
int op_loopback_up(void);
int parent_write_map(struct ctx *c, const struct op *op);
void close_ns_fds(struct ctx *c);
const char *ns_flags_str(uint64_t flags);

/* rootpath.c — resolution inside the root */
enum { RP_NOCREATE = 0, RP_DIR = 1, RP_FILE = 2 };
/* O_PATH fd of path-in-root; create = RP_DIR / RP_FILE creates missing
 * components (directories 0755, the final one as that kind). */
int root_open(struct ctx *c, const char *path, int create);
/* Same, with the mode of the final component when it is created. */
int root_open_mode(struct ctx *c, const char *path, int create, mode_t mode);
/* O_PATH fd of the parent directory of path-in-root (created if missing)
 * and the final component in *name (points into path, or "." for "/"). */
int root_open_parent(struct ctx *c, const char *path, char *name, size_t namesz);
/* "/proc/self/fd/N" if /proc/self/fd is usable, else the plain path
 * (only after the pivot). */
const char *fd_path(struct ctx *c, int fd, const char *plain, char *buf, size_t bufsz);

/* mounts.c */
int op_prepare_root(struct ctx *c, const struct op *op);
int op_mount(struct ctx *c, const struct op *op);
int op_mount_propagation(struct ctx *c, const struct op *op);
int op_pivot_root(struct ctx *c);
int op_chroot(struct ctx *c);
int op_root_propagation(const struct op *op);
int op_mask_path(struct ctx *c, const struct op *op);
int op_readonly_path(struct ctx *c, const struct op *op);
int op_remount_root_ro(void);
int op_enter_exec_root(struct ctx *c);
int op_sysctl(const struct op *op);
int op_oom_score_adj(const struct op *op);
/* flags that keep a bind remount from failing in a user namespace */
unsigned long locked_mount_flags(int fd);

/* devices.c */
int op_mkdir(struct ctx *c, const struct op *op);
int op_mknod(struct ctx *c, const struct op *op);
int op_symlink(struct ctx *c, const struct op *op);

/* tty.c */
int parent_console_socket(struct ctx *c, const char *path);

/* seccomp.c (parent) */
int parent_seccomp_agent(struct ctx *c, const char *path);
int op_setup_tty(struct ctx *c, const struct op *op);

/* console_relay.c */
int parent_console_relay(struct ctx *c);
/* Adds the relay's fds to pfds; returns how many (indexes from *first). */
int console_relay_pollfds(struct ctx *c, struct pollfd *pfds, int n);
/* Handles what poll reported on the fds added at [first, first+count). */
int console_relay_handle(struct ctx *c, const struct pollfd *pfds, int first, int count);
/* Copies what the master still holds, restores the terminal. */
void console_relay_finish(struct ctx *c);

/* process.c */
int op_rlimit(struct ctx *c, const struct op *op);
int op_set_user(struct ctx *c, const struct op *op);
int op_caps(const struct op *op);
int op_no_new_privs(void);
int op_cwd(struct ctx *c, const struct op *op);
int op_resolve_exec(struct ctx *c);
int op_exec(struct ctx *c) __attribute__((warn_unused_result));
void reset_signals(void);

/* seccomp.c */
int op_seccomp(struct ctx *c, const struct op *op);
/* Installs a filter SECCOMP kept for EXEC, if any. */
int seccomp_install_pending(struct ctx *c);

/* hooks.c */
int parent_exec_fifo(struct ctx *c, const char *path);
int op_wait_start(struct ctx *c);
int op_hook(struct ctx *c, const struct op *op);

#endif
