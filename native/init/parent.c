/* parent.c — the parent half of berth-init: parent ops, clone, the user
 * namespace maps, then relaying messages between node and the child until
 * READY (detached) or until the child exits (wait mode). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <unistd.h>

#include "init.h"
#include "msg.h"
#include "protocol.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static void reap(struct ctx *c, int *status)
{
	int st = 0;
	if (c->child <= 0)
		return;
	while (waitpid(c->child, &st, 0) < 0 && errno == EINTR)
		;
	c->child = 0;
	if (status)
		*status = st;
}

static void kill_child(struct ctx *c)
{
	if (c->child > 0) {
		kill(c->child, SIGKILL);
		reap(c, NULL);
	}
}

/* Report g_err to node, kill the child if there is one, exit 1. */
static void parent_fail(struct ctx *c) __attribute__((noreturn));
static void parent_fail(struct ctx *c)
{
	(void)msg_send_error(c->sync_fd, &g_err);
	kill_child(c);
	console_relay_finish(c);
	_exit(1);
}

/* CGROUP_JOIN: open what the child joins through (see protocol.h). */
static int parent_cgroup_join(struct ctx *c, const struct op *op)
{
	const char *path = op->args[1].s;
	if (op->args[0].u == 1) {
		if (c->cg_into >= 0)
			return berr_plan("bad plan: a second CGROUP_JOIN of a v2 directory");
		c->cg_into = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->cg_into < 0)
			return berr_sys("open cgroup %s", q(path));
		c->cg_into_path = path;
		return 0;
	}
	if (c->ncg_tasks == (int)(sizeof c->cg_tasks / sizeof c->cg_tasks[0]))
		return berr_plan("bad plan: more than 32 CGROUP_JOIN tasks files");
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys("open cgroup %s", q(path));
	c->cg_tasks_path[c->ncg_tasks] = path;
	c->cg_tasks[c->ncg_tasks++] = fd;
	return 0;
}

static void close_cgroup_fds(struct ctx *c)
{
	for (int i = 0; i < c->ncg_tasks; i++)
		berth_closep(&c->cg_tasks[i]);
	c->ncg_tasks = 0;
	berth_closep(&c->cg_into);
}

/* The child, first thing: into each v1 cgroup by writing "0" (itself) to
 * its tasks file, which skips the global lock a pid write takes. */
int child_join_cgroups(struct ctx *c)
{
	for (int i = 0; i < c->ncg_tasks; i++) {
		ssize_t n;
		do
			n = write(c->cg_tasks[i], "0", 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			return berr_sys("join cgroup %s", q(c->cg_tasks_path[i]));
	}
	close_cgroup_fds(c);
	return 0;
}

static int run_parent_op(struct ctx *c, uint32_t i)
{
	const struct op *op = &c->plan->ops[i];
	switch (op->code) {
	case BERTH_OP_PARENT_MODE:
	case BERTH_OP_PRESERVE_FDS:
		return 0; /* read while validating */
	case BERTH_OP_CONSOLE_SOCKET:
		berth_closep(&c->console_fd);
		return parent_console_socket(c, op->args[0].s);
	case BERTH_OP_CONSOLE_RELAY:
		berth_closep(&c->console_fd);
		return parent_console_relay(c);
	case BERTH_OP_SECCOMP_AGENT:
		berth_closep(&c->agent_fd);
		return parent_seccomp_agent(c, op->args[0].s);
	case BERTH_OP_EXEC_FIFO:
		berth_closep(&c->fifo_fd);
		return parent_exec_fifo(c, op->args[0].s);
	case BERTH_OP_JOIN_NS:
		return op_join_ns(c, i);
	case BERTH_OP_NEW_TIME_NS:
		return op_new_time_ns(c, op);
	case BERTH_OP_CGROUP_JOIN:
		return parent_cgroup_join(c, op);
	case BERTH_OP_OPEN_EXEC_ROOT:
		berth_closep(&c->exec_root_fd);
		c->exec_root_fd = open(op->args[0].s, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->exec_root_fd < 0)
			return berr_sys("open exec root %s", q(op->args[0].s));
		return 0;
	default:
		return berr_plan("bad plan: op %s cannot run in the parent", op_name(op->code));
	}
}

static int do_clone(struct ctx *c, uint64_t flags)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return berr_sys("socketpair");
	/* The dumpable flag is copied by clone: with a user namespace to map,
	 * the child must be dumpable from its first instant (an unprivileged
	 * parent, or newuidmap, can only write its map files then; see
	 * run_child), so we are dumpable across clone() alone: nothing of the
	 * container exists yet. */
	if (c->plan->has_wait_maps)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	long pid;
	if (c->cg_into >= 0) {
		struct clone_args args = {
			.flags = flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)c->cg_into,
		};
		pid = syscall(SYS_clone3, &args, sizeof args);
	} else {
		pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
	}
	if (pid != 0 && c->plan->has_wait_maps)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (pid < 0) {
		int err = errno;
		close(sp[0]);
		close(sp[1]);
		errno = err;
		if (c->cg_into >= 0)
			return berr_sys("clone (%s) into cgroup %s", flags ? ns_flags_str(flags) : "no new namespaces", q(c->cg_into_path));
		if (flags)
			return berr_sys("clone (%s)", ns_flags_str(flags));
		return berr_sys("clone");
	}
	if (pid == 0) {
		close(sp[0]);
		berth_closep(&c->relay.sock); /* the parent's end of the relay */
		berth_closep(&c->relay.winch);
		c->relay.on = false;
		c->child_sock = -1;
		c->sock = sp[1];
		run_child(c);
	}
	close(sp[1]);
	close_cgroup_fds(c); /* the child's now */
	c->child_sock = sp[0];
	c->child = (pid_t)pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, c->child, 0);
	if (c->pidfd >= 0)
		fd_set_cloexec(c->pidfd, true);
	/* only the child needs these */
	berth_closep(&c->console_fd);
	berth_closep(&c->agent_fd);
	berth_closep(&c->fifo_fd);
	berth_closep(&c->exec_root_fd);
	close_ns_fds(c);
	return 0;
}

/* Child's messages; returns 1 to keep going, 0 when the parent is done. */
static int from_child(struct ctx *c, bool *child_eof, bool *ready)
{
	struct msg m;
	int r = msg_recv(c->child_sock, &m);
	if (r < 0)
		parent_fail(c);
	if (r == 0) {
		*child_eof = true;
		berth_closep(&c->child_sock);
		if (!*ready) {
			int st = 0;
			reap(c, &st);
			if (WIFSIGNALED(st))
				berr_set(BERTH_ERR_GENERIC, 0,
					 "container init was killed by signal %d before READY",
					 WTERMSIG(st));
			else
				berr_set(BERTH_ERR_GENERIC, 0,
					 "container init exited with status %d before READY",
					 WEXITSTATUS(st));
			parent_fail(c);
		}
		return 1;
	}
	int keep = 1;
	switch (m.type) {
	case BERTH_MSG_SYNC:
	case BERTH_MSG_WARNING:
		if (msg_send(c->sync_fd, m.type, m.data, m.len) < 0 && m.type == BERTH_MSG_SYNC) {
			msg_free(&m);
			kill_child(c);
			_exit(1);
		}
		break;
	case BERTH_MSG_READY:
		(void)msg_send_empty(c->sync_fd, BERTH_MSG_READY);
		*ready = true;
		if (c->plan->mode == 0)
			keep = 0;
		break;
	case BERTH_MSG_ERROR:
		(void)msg_send(c->sync_fd, m.type, m.data, m.len);
		msg_free(&m);
		kill_child(c);
		_exit(1);
	default:
		berr_set(BERTH_ERR_GENERIC, EBADMSG, "unexpected %s message (type %u) from the child",
			 msg_type_name(m.type), m.type);
		msg_free(&m);
		parent_fail(c);
	}
	msg_free(&m);
	return keep;
}

/* Node's messages while the child runs. */
static void from_node(struct ctx *c, bool ready, bool *node_eof)
{
	struct msg m;
	int r = msg_recv(c->sync_fd, &m);
	if (r <= 0) {
		/* before READY node going away means: nothing may start. After
		 * it, a (half-)close only says that no more messages will come:
		 * keep waiting, EXIT is still sent if the socket allows. */
		if (!ready) {
			kill_child(c);
			_exit(1);
		}
		*node_eof = true;
		return;
	}
	switch (m.type) {
	case BERTH_MSG_SYNC_ACK:
		/* the payload is node's reply to the sync point */
		if (c->child_sock >= 0)
			(void)msg_send(c->child_sock, BERTH_MSG_SYNC_ACK, m.data, m.len);
		break;
	case BERTH_MSG_ABORT:
		msg_free(&m);
		kill_child(c);
		_exit(1);
	default:
		berr_set(BERTH_ERR_GENERIC, EBADMSG, "unexpected %s message (type %u) from node",
			 msg_type_name(m.type), m.type);
		msg_free(&m);
		parent_fail(c);
	}
	msg_free(&m);
}

static void relay(struct ctx *c) __attribute__((noreturn));
static void relay(struct ctx *c)
{
	bool child_eof = false, ready = false, node_eof = false;
	for (;;) {
		struct pollfd pfds[6];
		int n = 0, i_node = -1, i_child = -1, i_pid = -1;
		if (!node_eof) {
			pfds[n] = (struct pollfd){ .fd = c->sync_fd, .events = POLLIN };
			i_node = n++;
		}
		if (!child_eof) {
			pfds[n] = (struct pollfd){ .fd = c->child_sock, .events = POLLIN };
			i_child = n++;
		} else if (c->pidfd >= 0) {
			/* messages first: the exit is looked at once the socket is drained */
			pfds[n] = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
			i_pid = n++;
		}
		int i_relay = n;
		int n_relay = console_relay_pollfds(c, pfds, n);
		n += n_relay;
		int timeout = (child_eof && c->pidfd < 0) ? 100 : -1;
		int r = poll(pfds, (nfds_t)n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			berr_sys("poll");
			parent_fail(c);
		}
		if (i_child >= 0 && pfds[i_child].revents) {
			if (!from_child(c, &child_eof, &ready))
				_exit(0); /* detached: READY relayed */
			continue; /* drain the child's messages before node's */
		}
		if (n_relay && console_relay_handle(c, pfds, i_relay, n_relay) < 0)
			parent_fail(c);
		if (i_node >= 0 && pfds[i_node].revents)
			from_node(c, ready, &node_eof);
		if (child_eof && (i_pid < 0 || (i_pid >= 0 && pfds[i_pid].revents))) {
			int st = 0;
			pid_t w = waitpid(c->child, &st, c->pidfd >= 0 ? 0 : WNOHANG);
			if (w == c->child) {
				c->child = 0;
				console_relay_finish(c);
				(void)msg_send_u64(c->sync_fd, BERTH_MSG_EXIT, (uint64_t)(uint32_t)st);
				/* the app's code as our own, as a shell reports it: a
				 * monitor that sees only our exit (berth-shim running
				 * an exec) records the app's end from it */
				_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
			}
		}
	}
}

int run_parent(struct ctx *c)
{
	struct plan *p = c->plan;
	c->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->proc_fd < 0) {
		berr_sys("open %s", q("/proc"));
		parent_fail(c);
	}
	for (uint32_t i = 0; i < p->clone_index; i++)
		if (run_parent_op(c, i) < 0)
			parent_fail(c);
	if (do_clone(c, p->ops[p->clone_index].args[0].u) < 0)
		parent_fail(c);

	if (p->mode == 1) {
		/* node forwards signals to the container itself */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	for (uint32_t i = p->clone_index + 1; i < p->nops; i++)
		if (op_runner(p->ops[i].code, i, p->clone_index) == RUN_PARENT_POST &&
		    parent_write_map(c, &p->ops[i]) < 0)
			parent_fail(c);
	if (msg_send_u64(c->sync_fd, BERTH_MSG_PID, (uint64_t)c->child) < 0) {
		kill_child(c);
		_exit(1);
	}
	/* a child that died already is reported by the relay (ERROR or EOF) */
	if (p->has_wait_maps)
		(void)msg_send_empty(c->child_sock, BERTH_MSG_SYNC_ACK);
	relay(c);
}
