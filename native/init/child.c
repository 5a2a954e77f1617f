/* child.c — the container init: runs the child ops in plan order and
 * reports the first failure as BERTH_MSG_ERROR before exiting. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"
#include "msg.h"
#include "protocol.h"
#include "util.h"

/* The parent is gone (its end of the socketpair hung up). */
static bool parent_gone(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

void child_rearm_pdeathsig(struct ctx *c)
{
	if (c->ready)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (parent_gone(c->sock))
		_exit(1);
}

void child_warn(struct ctx *c, const char *fmt, ...)
{
	char text[BERR_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct berr saved = g_err;
	(void)msg_send_text(c->sock, BERTH_MSG_WARNING, text);
	g_err = saved;
}

static int wait_reply(struct ctx *c, const char *what, struct msg *m)
{
	int r = msg_recv(c->sock, m);
	if (r == 0)
		_exit(1); /* the parent is gone: nobody to report to */
	if (r < 0)
		return berr_prefix("wait for %s", what);
	if (m->type != BERTH_MSG_SYNC_ACK) {
		uint32_t type = m->type;
		msg_free(m);
		return berr_set(BERTH_ERR_GENERIC, EBADMSG, "wait for %s: unexpected %s message",
				what, msg_type_name(type));
	}
	return 0;
}

int child_wait_ack(struct ctx *c, const char *what)
{
	struct msg m;
	if (wait_reply(c, what, &m) < 0)
		return -1;
	msg_free(&m);
	return 0;
}

int child_sync(struct ctx *c, uint64_t id, struct msg *reply)
{
	char what[48];
	snprintf(what, sizeof what, "SYNC_ACK of sync %llu", (unsigned long long)id);
	if (msg_send_u64(c->sock, BERTH_MSG_SYNC, id) < 0)
		return -1;
	return wait_reply(c, what, reply);
}

static void fail(struct ctx *c, int status) __attribute__((noreturn));
static void fail(struct ctx *c, int status)
{
	(void)msg_send_error(c->sock, &g_err);
	_exit(status);
}

static int op_sync(struct ctx *c, const struct op *op)
{
	struct msg reply;
	if (child_sync(c, op->args[0].u, &reply) < 0)
		return -1;
	msg_free(&reply);
	return 0;
}

static int op_ready(struct ctx *c)
{
	/* in detached mode the parent exits as soon as it has relayed READY:
	 * stop tying our life to it first */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	c->ready = true;
	if (msg_send_empty(c->sock, BERTH_MSG_READY) < 0)
		_exit(1); /* the parent is gone */
	return 0;
}

static char **str_array(const struct op *op)
{
	char **v = xcalloc((size_t)op->argc + 1, sizeof(char *));
	for (uint16_t i = 0; i < op->argc; i++)
		v[i] = (char *)op->args[i].s;
	return v;
}

static int run_op(struct ctx *c, const struct op *op)
{
	switch (op->code) {
	case BERTH_OP_WAIT_MAPS: return op_wait_maps(c);
	case BERTH_OP_SYNC: return op_sync(c, op);
	case BERTH_OP_UNSHARE: return op_unshare(op);
	case BERTH_OP_OOM_SCORE_ADJ: return op_oom_score_adj(op);
	case BERTH_OP_PREPARE_ROOT: return op_prepare_root(c, op);
	case BERTH_OP_MOUNT: return op_mount(c, op);
	case BERTH_OP_MOUNT_PROPAGATION: return op_mount_propagation(c, op);
	case BERTH_OP_MKDIR: return op_mkdir(c, op);
	case BERTH_OP_MKNOD: return op_mknod(c, op);
	case BERTH_OP_SYMLINK: return op_symlink(c, op);
	case BERTH_OP_PIVOT_ROOT: return op_pivot_root(c);
	case BERTH_OP_CHROOT: return op_chroot(c);
	case BERTH_OP_ROOT_PROPAGATION: return op_root_propagation(op);
	case BERTH_OP_SYSCTL: return op_sysctl(op);
	case BERTH_OP_MASK_PATH: return op_mask_path(c, op);
	case BERTH_OP_READONLY_PATH: return op_readonly_path(c, op);
	case BERTH_OP_REMOUNT_ROOT_RO: return op_remount_root_ro();
	case BERTH_OP_SETHOSTNAME: return op_sethostname(op);
	case BERTH_OP_SETDOMAINNAME: return op_setdomainname(op);
	case BERTH_OP_LOOPBACK_UP: return op_loopback_up();
	case BERTH_OP_SETUP_TTY: return op_setup_tty(c, op);
	case BERTH_OP_ENTER_EXEC_ROOT: return op_enter_exec_root(c);
	case BERTH_OP_RLIMIT: return op_rlimit(c, op);
	case BERTH_OP_SET_ARGV:
		free(c->argv);
		c->argv = str_array(op);
		free(c->exec_path);
		c->exec_path = NULL;
		return 0;
	case BERTH_OP_SET_ENV:
		free(c->envp);
		c->envp = str_array(op);
		return 0;
#ifdef BERTH_OP_SET_EXEC_PATH
	/* Not in protocol.h yet (the TS side emits 73 for it): the program to
	 * run instead of argv[0], looked up the same way. Compiled in once
	 * protocol.h defines it. */
	case BERTH_OP_SET_EXEC_PATH:
		c->exec_name = op->args[0].s;
		free(c->exec_path);
		c->exec_path = NULL;
		return 0;
#endif
	case BERTH_OP_RESOLVE_EXEC: return op_resolve_exec(c);
	case BERTH_OP_READY: return op_ready(c);
	case BERTH_OP_WAIT_START: return op_wait_start(c);
	case BERTH_OP_HOOK: return op_hook(c, op);
	case BERTH_OP_SET_USER: return op_set_user(c, op);
	case BERTH_OP_CAPS: return op_caps(op);
	case BERTH_OP_NO_NEW_PRIVS: return op_no_new_privs();
	case BERTH_OP_CWD: return op_cwd(c, op);
	case BERTH_OP_SECCOMP: return op_seccomp(c, op);
	case BERTH_OP_EXEC:
		if (op_exec(c) < 0)
			fail(c, g_err.code == BERTH_ERR_EXEC_NOT_FOUND ? 127 : 126);
		return 0; /* not reached */
	default:
		return berr_plan("bad plan: op %s cannot run in the child", op_name(op->code));
	}
}

void run_child(struct ctx *c)
{
	/* fds of the parent that the container must never see */
	berth_closep(&c->sync_fd);
	berth_closep(&c->proc_fd);
	berth_closep(&c->child_sock);
	close_ns_fds(c);

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (parent_gone(c->sock))
		_exit(1);
	/* Non-dumpable, so that nothing in the container can ptrace us or open
	 * our /proc/<pid> files (CVE-2019-5736; berth-init also runs from a sealed
	 * memfd). With a new user namespace, though, we stay dumpable until the
	 * parent has written our maps (WAIT_MAPS sets 0 right after): a
	 * non-dumpable process's /proc/<pid>/{uid,gid}_map and setgroups belong
	 * to root, so an unprivileged parent (rootless) or newuidmap could not
	 * write them. This is safe as runc's nsexec is: until WAIT_MAPS returns,
	 * nothing of the container runs (no mount, no pivot, no app), we only
	 * block on the socketpair; the only processes able to ptrace us are ones
	 * with the runtime's own credentials (or CAP_SYS_PTRACE on the host). The
	 * flag is inherited from the parent (which set 0), so it is set here. */
	prctl(PR_SET_DUMPABLE, c->plan->has_wait_maps ? 1 : 0, 0, 0, 0);
	if (child_join_cgroups(c) < 0)
		fail(c, 1);
	c->saved_umask = umask(0);
	if (!c->envp)
		c->envp = xcalloc(1, sizeof(char *));

	struct plan *p = c->plan;
	for (uint32_t i = p->clone_index + 1; i < p->nops; i++) {
		const struct op *op = &p->ops[i];
		if (op_runner(op->code, i, p->clone_index) != RUN_CHILD)
			continue;
		if (run_op(c, op) < 0)
			fail(c, 1);
	}
	/* the plan always ends with EXEC */
	berr_plan("bad plan: no EXEC");
	fail(c, 1);
}
