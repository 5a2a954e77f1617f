/* seccomp.c — install the container's seccomp filter: a classic BPF
 * program compiled on the TS side (src/security/seccomp), carried as BYTES
 * in the plan. Without no_new_privs the kernel only lets CAP_SYS_ADMIN
 * install a filter, so the op comes before the user switch and runs at
 * once; with no_new_privs it is kept for EXEC, so that the filter sees as
 * few of berth-init's own calls as possible (as runc does). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

static int install(const struct op *op)
{
	size_t len = op->args[0].len;
	unsigned int flags = (unsigned int)op->args[1].u;
	/* the plan buffer gives no alignment guarantee for struct sock_filter */
	struct sock_filter *insns _cleanup_free_ = xmalloc(len);
	memcpy(insns, op->args[0].s, len);
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof *insns), .filter = insns };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r == 0)
		return 0;
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

int op_seccomp(struct ctx *c, const struct op *op)
{
	if (op->args[2].len)
		return berr_set(BERTH_ERR_GENERIC, ENOTSUP,
				"seccomp: listener %s: SCMP_ACT_NOTIFY agents are not supported",
				q(op->args[2].s));
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		return berr_sys("prctl(PR_GET_NO_NEW_PRIVS)");
	if (nnp == 1) {
		c->seccomp = op;
		return 0;
	}
	return install(op);
}

int seccomp_install_pending(struct ctx *c)
{
	const struct op *op = c->seccomp;
	c->seccomp = NULL;
	return op ? install(op) : 0;
}
