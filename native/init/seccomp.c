/* seccomp.c — install the container's seccomp filter: a classic BPF
 * program compiled on the TS side (src/security/seccomp), carried as BYTES
 * in the plan. Without no_new_privs the kernel only lets CAP_SYS_ADMIN
 * install a filter, so the op comes before the user switch and runs at
 * once; with no_new_privs it is kept for EXEC, so that the filter sees as
 * few of berth-init's own calls as possible (as runc does).
 *
 * With a listener (SCMP_ACT_NOTIFY) the filter goes in at once, and its
 * listener fd goes to the seccomp agent, connected by the parent before the
 * clone (a missing agent fails the launch before anything is set up), with
 * the state node sent for it: the agent must have the fd before the app can
 * make a call that waits for it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "unix_socket.h"
#include "util.h"

/* 0, or the listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER; -1 on error */
static int install(const struct op *op)
{
	size_t len = op->args[0].len;
	unsigned int flags = (unsigned int)op->args[1].u;
	/* the plan buffer gives no alignment guarantee for struct sock_filter */
	struct sock_filter *insns _cleanup_free_ = xmalloc(len);
	memcpy(insns, op->args[0].s, len);
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof *insns), .filter = insns };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r >= 0)
		return (int)r;
	if (errno == EACCES)
		return berr_sys("seccomp: install filter of %u instructions: no_new_privs is off "
				"and CAP_SYS_ADMIN is missing",
				prog.len);
	if (errno == EINVAL && flags)
		return berr_sys("seccomp: install filter of %u instructions with flags 0x%x "
				"(unknown to this kernel, or a program it rejects)",
				prog.len, flags);
	return berr_sys("seccomp: install filter of %u instructions (flags 0x%x)", prog.len, flags);
}

int parent_seccomp_agent(struct ctx *c, const char *path)
{
	int fd = unix_connect(path, "seccomp agent");
	if (fd < 0)
		return -1;
	c->agent_fd = fd;
	return 0;
}

static int install_with_listener(struct ctx *c, const struct op *op)
{
	const char *path = op->args[2].s;
	if (c->agent_fd < 0)
		return berr_plan("bad plan: SECCOMP with listener %s but no agent socket", q(path));
	/* the state first: once the filter is in, only what the profile lets
	 * through (sendmsg, close) may run until the agent has the fd */
	struct msg state;
	if (child_sync(c, BERTH_SYNC_SECCOMP_AGENT, &state) < 0)
		return berr_prefix("seccomp agent %s", q(path));
	int listener _cleanup_close_ = install(op);
	if (listener < 0) {
		msg_free(&state);
		return -1;
	}
	if (listener == 0) {
		msg_free(&state);
		return berr_set(BERTH_ERR_GENERIC, EINVAL,
				"seccomp: the filter for listener %s was installed without a listener "
				"(SECCOMP_FILTER_FLAG_NEW_LISTENER missing from the flags)",
				q(path));
	}
	int r = send_fd(c->agent_fd, listener, state.data, state.len);
	msg_free(&state);
	if (r < 0)
		return berr_sys("seccomp: send the listener fd to the agent at %s", q(path));
	berth_closep(&c->agent_fd);
	return 0;
}

int op_seccomp(struct ctx *c, const struct op *op)
{
	if (op->args[2].len)
		return install_with_listener(c, op);
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		return berr_sys("prctl(PR_GET_NO_NEW_PRIVS)");
	if (nnp == 1) {
		c->seccomp = op;
		return 0;
	}
	return install(op) < 0 ? -1 : 0;
}

int seccomp_install_pending(struct ctx *c)
{
	const struct op *op = c->seccomp;
	c->seccomp = NULL;
	return op ? (install(op) < 0 ? -1 : 0) : 0;
}
