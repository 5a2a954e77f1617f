/* plan.c — parse and validate the whole launch plan before executing it:
 * magic, version, lengths, arg types and counts per opcode, and the order
 * constraints the executor relies on. Every failure is BERTH_ERR_BAD_PLAN. */
#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "protocol.h"
#include "util.h"

#define HEADER_LEN 16

/* Arg signatures: 'u' = U64, 's' = STR, 'b' = BYTES; a trailing '*' repeats the previous
 * type zero or more times, '+' one or more times. */
struct opspec {
	uint16_t code;
	const char *name;
	const char *sig;
};

static const struct opspec specs[] = {
	{ BERTH_OP_PARENT_MODE, "PARENT_MODE", "u" },
	{ BERTH_OP_CONSOLE_SOCKET, "CONSOLE_SOCKET", "s" },
	{ BERTH_OP_SECCOMP_AGENT, "SECCOMP_AGENT", "s" },
	{ BERTH_OP_EXEC_FIFO, "EXEC_FIFO", "s" },
	{ BERTH_OP_JOIN_NS, "JOIN_NS", "us" },
	{ BERTH_OP_NEW_TIME_NS, "NEW_TIME_NS", "uuuu" },
	{ BERTH_OP_OPEN_EXEC_ROOT, "OPEN_EXEC_ROOT", "s" },
	{ BERTH_OP_PRESERVE_FDS, "PRESERVE_FDS", "u" },
	{ BERTH_OP_CGROUP_JOIN, "CGROUP_JOIN", "us" },
	{ BERTH_OP_CLONE, "CLONE", "u" },
	{ BERTH_OP_CONSOLE_RELAY, "CONSOLE_RELAY", "" },
	{ BERTH_OP_SETGROUPS, "SETGROUPS", "s" },
	{ BERTH_OP_UID_MAP, "UID_MAP", "s" },
	{ BERTH_OP_GID_MAP, "GID_MAP", "s" },
	{ BERTH_OP_UID_MAP_HELPER, "UID_MAP_HELPER", "ss" },
	{ BERTH_OP_GID_MAP_HELPER, "GID_MAP_HELPER", "ss" },
	{ BERTH_OP_WAIT_MAPS, "WAIT_MAPS", "" },
	{ BERTH_OP_SYNC, "SYNC", "u" },
	{ BERTH_OP_UNSHARE, "UNSHARE", "u" },
	{ BERTH_OP_OOM_SCORE_ADJ, "OOM_SCORE_ADJ", "s" },
	{ BERTH_OP_PREPARE_ROOT, "PREPARE_ROOT", "su" },
	{ BERTH_OP_MOUNT, "MOUNT", "sssusuuuu" },
	{ BERTH_OP_MOUNT_PROPAGATION, "MOUNT_PROPAGATION", "su" },
	{ BERTH_OP_MKDIR, "MKDIR", "su" },
	{ BERTH_OP_MKNOD, "MKNOD", "suuuuu" },
	{ BERTH_OP_SYMLINK, "SYMLINK", "ss" },
	{ BERTH_OP_PIVOT_ROOT, "PIVOT_ROOT", "" },
	{ BERTH_OP_CHROOT, "CHROOT", "" },
	{ BERTH_OP_ROOT_PROPAGATION, "ROOT_PROPAGATION", "u" },
	{ BERTH_OP_SYSCTL, "SYSCTL", "ss" },
	{ BERTH_OP_MASK_PATH, "MASK_PATH", "s" },
	{ BERTH_OP_READONLY_PATH, "READONLY_PATH", "s" },
	{ BERTH_OP_REMOUNT_ROOT_RO, "REMOUNT_ROOT_RO", "" },
	{ BERTH_OP_SETHOSTNAME, "SETHOSTNAME", "s" },
	{ BERTH_OP_SETDOMAINNAME, "SETDOMAINNAME", "s" },
	{ BERTH_OP_SETUP_TTY, "SETUP_TTY", "u" },
	{ BERTH_OP_ENTER_EXEC_ROOT, "ENTER_EXEC_ROOT", "" },
	{ BERTH_OP_RLIMIT, "RLIMIT", "uuu" },
	{ BERTH_OP_SET_ARGV, "SET_ARGV", "s+" },
	{ BERTH_OP_SET_ENV, "SET_ENV", "s*" },
	{ BERTH_OP_RESOLVE_EXEC, "RESOLVE_EXEC", "" },
	{ BERTH_OP_READY, "READY", "" },
	{ BERTH_OP_WAIT_START, "WAIT_START", "" },
	{ BERTH_OP_HOOK, "HOOK", "suus*" },
	{ BERTH_OP_SET_USER, "SET_USER", "uuuuu*" },
	{ BERTH_OP_CAPS, "CAPS", "uuuuu" },
	{ BERTH_OP_NO_NEW_PRIVS, "NO_NEW_PRIVS", "" },
	{ BERTH_OP_CWD, "CWD", "s" },
	{ BERTH_OP_EXEC, "EXEC", "" },
#ifdef BERTH_OP_SET_EXEC_PATH
	{ BERTH_OP_SET_EXEC_PATH, "SET_EXEC_PATH", "s" },
#endif
	{ BERTH_OP_LOOPBACK_UP, "LOOPBACK_UP", "" },
	{ BERTH_OP_SECCOMP, "SECCOMP", "bus" },
};

static const struct opspec *find_spec(uint16_t code)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		if (specs[i].code == code)
			return &specs[i];
	return NULL;
}

const char *op_name(uint16_t code)
{
	const struct opspec *s = find_spec(code);
	return s ? s->name : "UNKNOWN";
}

static bool is_parent_op(uint16_t code)
{
	return code < BERTH_OP_CLONE;
}

static bool is_post_clone_parent_op(uint16_t code)
{
	return code == BERTH_OP_SETGROUPS || code == BERTH_OP_UID_MAP || code == BERTH_OP_GID_MAP ||
	       code == BERTH_OP_UID_MAP_HELPER || code == BERTH_OP_GID_MAP_HELPER;
}

enum op_runner op_runner(uint16_t code, uint32_t index, uint32_t clone_index)
{
	if (index < clone_index)
		return RUN_PARENT;
	if (index == clone_index)
		return RUN_CLONE;
	return is_post_clone_parent_op(code) ? RUN_PARENT_POST : RUN_CHILD;
}

/* Does the arg list match the signature? */
static int check_sig(uint32_t i, const struct op *op, const char *sig)
{
	size_t n = strlen(sig);
	char rep = 0;
	size_t fixed = n;
	if (n && (sig[n - 1] == '*' || sig[n - 1] == '+')) {
		rep = sig[n - 1];
		fixed = n - 2; /* the repeated type is sig[n-2] */
	}
	if (op->argc < fixed + (rep == '+' ? 1 : 0) || (!rep && op->argc != fixed))
		return berr_plan("bad plan: op %u (%s): %u args, expected %s%zu", i,
				 op_name(op->code), op->argc, rep ? "at least " : "",
				 fixed + (rep == '+' ? 1 : 0));
	for (uint32_t a = 0; a < op->argc; a++) {
		char want = a < fixed ? sig[a] : sig[n - 2];
		uint32_t t = want == 'u' ? BERTH_ARG_U64 : want == 'b' ? BERTH_ARG_BYTES : BERTH_ARG_STR;
		if (op->args[a].type != t)
			return berr_plan("bad plan: op %u (%s): arg %u must be %s", i,
					 op_name(op->code), a,
					 want == 'u' ? "U64" : want == 'b' ? "BYTES" : "STR");
	}
	return 0;
}

static int check_range(uint32_t i, const struct op *op, uint32_t a, uint64_t max)
{
	if (op->args[a].u > max)
		return berr_plan("bad plan: op %u (%s): arg %u out of range (%llu > %llu)", i,
				 op_name(op->code), a, (unsigned long long)op->args[a].u,
				 (unsigned long long)max);
	return 0;
}

/* Per-opcode value checks (only what would otherwise be silently truncated
 * or misread; policy stays on the TS side). */
static int check_values(uint32_t i, const struct op *op)
{
	const uint64_t U32 = UINT32_MAX;
	switch (op->code) {
	case BERTH_OP_PARENT_MODE:
	case BERTH_OP_SETUP_TTY:
		return check_range(i, op, 0, 1);
	case BERTH_OP_JOIN_NS:
	case BERTH_OP_UNSHARE:
		return check_range(i, op, 0, INT_MAX);
	case BERTH_OP_PRESERVE_FDS:
		return check_range(i, op, 0, 1u << 20);
	case BERTH_OP_CGROUP_JOIN:
		return check_range(i, op, 0, 1);
	case BERTH_OP_CLONE:
		return check_range(i, op, 0, U32);
	case BERTH_OP_MOUNT:
		if (check_range(i, op, 5, BERTH_DEST_FILE) < 0)
			return -1;
		return 0;
	case BERTH_OP_MKDIR:
		return check_range(i, op, 1, 07777);
	case BERTH_OP_MKNOD:
		for (uint32_t a = 1; a < 6; a++)
			if (check_range(i, op, a, a >= 4 ? U32 - 1 : U32) < 0)
				return -1;
		return 0;
	case BERTH_OP_SECCOMP:
		/* whole struct sock_filter entries, at most BPF_MAXINSNS (4096) */
		if (op->args[0].len == 0 || op->args[0].len % 8 || op->args[0].len > 4096 * 8)
			return berr_plan("bad plan: op %u (SECCOMP): program of %u bytes is not 1 to 4096 "
					 "8-byte instructions", i, op->args[0].len);
		return check_range(i, op, 1, U32);
	case BERTH_OP_HOOK: {
		uint64_t n = op->args[2].u;
		if (n > (uint64_t)op->argc - 3)
			return berr_plan("bad plan: op %u (HOOK): argc %llu but %u strings follow", i,
					 (unsigned long long)n, op->argc - 3);
		return 0;
	}
	case BERTH_OP_SET_USER: {
		if (check_range(i, op, 0, U32 - 1) < 0 || check_range(i, op, 1, U32 - 1) < 0)
			return -1;
		if (op->args[2].u != UINT64_MAX && check_range(i, op, 2, 0777) < 0)
			return -1;
		if (op->args[3].u != (uint64_t)op->argc - 4)
			return berr_plan("bad plan: op %u (SET_USER): %llu groups declared, %u given",
					 i, (unsigned long long)op->args[3].u, op->argc - 4);
		for (uint32_t a = 4; a < op->argc; a++)
			if (check_range(i, op, a, U32 - 1) < 0)
				return -1;
		return 0;
	}
	default:
		return 0;
	}
}

/* Order constraints over the whole plan. */
static int check_order(struct plan *p)
{
	bool have_clone = false, have_console = false, have_fifo = false, have_exec_root = false;
	bool have_argv = false, have_ready = false, have_wait_start = false, have_sync = false;
	bool have_agent = false;
	enum { ROOT_NONE, ROOT_PREPARED, ROOT_PIVOTED } root = ROOT_NONE;

	for (uint32_t i = 0; i < p->nops; i++) {
		const struct op *op = &p->ops[i];
		uint16_t c = op->code;
		if (c == BERTH_OP_CLONE) {
			if (have_clone)
				return berr_plan("bad plan: op %u: second CLONE", i);
			have_clone = true;
			p->clone_index = i;
			continue;
		}
		if (!have_clone) {
			if (!is_parent_op(c))
				return berr_plan("bad plan: op %u (%s) before CLONE", i, op_name(c));
		} else if (is_parent_op(c)) {
			return berr_plan("bad plan: op %u (%s) after CLONE", i, op_name(c));
		}
		if (have_clone && i > 0 && p->ops[i - 1].code == BERTH_OP_EXEC)
			return berr_plan("bad plan: op %u (%s) after EXEC", i, op_name(c));
		switch (c) {
		case BERTH_OP_PARENT_MODE:
			p->mode = op->args[0].u;
			break;
		case BERTH_OP_PRESERVE_FDS:
			p->npreserve = op->args[0].u;
			break;
		case BERTH_OP_CONSOLE_SOCKET:
			have_console = true;
			break;
		case BERTH_OP_SECCOMP_AGENT:
			have_agent = true;
			break;
		case BERTH_OP_SECCOMP:
			if (op->args[2].len && !have_agent)
				return berr_plan("bad plan: op %u: SECCOMP with a listener without SECCOMP_AGENT", i);
			if (op->args[2].len && have_ready)
				return berr_plan("bad plan: op %u: SECCOMP with a listener after READY", i);
			break;
		case BERTH_OP_CONSOLE_RELAY:
			if (p->mode != 1)
				return berr_plan("bad plan: op %u: CONSOLE_RELAY needs PARENT_MODE 1 first", i);
			have_console = true;
			break;
		case BERTH_OP_EXEC_FIFO:
			have_fifo = true;
			break;
		case BERTH_OP_OPEN_EXEC_ROOT:
			have_exec_root = true;
			break;
		case BERTH_OP_WAIT_MAPS:
			if (p->has_wait_maps)
				return berr_plan("bad plan: op %u: second WAIT_MAPS", i);
			if (have_sync)
				return berr_plan("bad plan: op %u: WAIT_MAPS after SYNC", i);
			p->has_wait_maps = true;
			break;
		case BERTH_OP_SYNC:
			have_sync = true;
			break;
		case BERTH_OP_PREPARE_ROOT:
			if (root != ROOT_NONE)
				return berr_plan("bad plan: op %u: PREPARE_ROOT with a root already set", i);
			root = ROOT_PREPARED;
			break;
		case BERTH_OP_PIVOT_ROOT:
		case BERTH_OP_CHROOT:
			if (root != ROOT_PREPARED)
				return berr_plan("bad plan: op %u (%s) without PREPARE_ROOT", i, op_name(c));
			root = ROOT_PIVOTED;
			break;
		case BERTH_OP_ENTER_EXEC_ROOT:
			if (!have_exec_root)
				return berr_plan("bad plan: op %u: ENTER_EXEC_ROOT without OPEN_EXEC_ROOT", i);
			if (root != ROOT_NONE)
				return berr_plan("bad plan: op %u: ENTER_EXEC_ROOT with a root already set", i);
			root = ROOT_PIVOTED;
			break;
		case BERTH_OP_MOUNT:
		case BERTH_OP_MOUNT_PROPAGATION:
		case BERTH_OP_MKDIR:
		case BERTH_OP_MKNOD:
		case BERTH_OP_SYMLINK:
		case BERTH_OP_MASK_PATH:
		case BERTH_OP_READONLY_PATH:
			if (root == ROOT_NONE)
				return berr_plan("bad plan: op %u (%s) before PREPARE_ROOT", i, op_name(c));
			break;
		case BERTH_OP_SETUP_TTY:
			if (!have_console)
				return berr_plan("bad plan: op %u: SETUP_TTY without CONSOLE_SOCKET or CONSOLE_RELAY", i);
			break;
		case BERTH_OP_WAIT_START:
			if (!have_fifo)
				return berr_plan("bad plan: op %u: WAIT_START without EXEC_FIFO", i);
			if (have_wait_start)
				return berr_plan("bad plan: op %u: second WAIT_START", i);
			have_wait_start = true;
			break;
		case BERTH_OP_SET_ARGV:
			have_argv = true;
			break;
		case BERTH_OP_RESOLVE_EXEC:
			if (!have_argv)
				return berr_plan("bad plan: op %u: RESOLVE_EXEC before SET_ARGV", i);
			break;
		case BERTH_OP_READY:
			if (have_ready)
				return berr_plan("bad plan: op %u: second READY", i);
			have_ready = true;
			break;
		case BERTH_OP_EXEC:
			if (!have_argv)
				return berr_plan("bad plan: op %u: EXEC before SET_ARGV", i);
			if (!have_ready)
				return berr_plan("bad plan: op %u: EXEC before READY", i);
			break;
		default:
			break;
		}
	}
	if (!have_clone)
		return berr_plan("bad plan: no CLONE op");
	if (p->nops == 0 || p->ops[p->nops - 1].code != BERTH_OP_EXEC)
		return berr_plan("bad plan: the last op must be EXEC");
	return 0;
}

int plan_parse(uint8_t *buf, size_t len, uint32_t nops, struct plan *p)
{
	memset(p, 0, sizeof *p);
	p->buf = buf;
	p->len = len;
	p->nops = nops;
	/* each op takes at least 8 bytes, each arg at least 8 */
	if ((uint64_t)nops * 8 > len)
		return berr_plan("bad plan: %u ops cannot fit in %zu bytes", nops, len);
	p->ops = xcalloc(nops, sizeof *p->ops);
	p->argv = xcalloc(len / 8 + 1, sizeof *p->argv);

	size_t off = 0, nargs = 0;
	for (uint32_t i = 0; i < nops; i++) {
		struct op *op = &p->ops[i];
		if (len - off < 8)
			return berr_plan("bad plan: op %u: truncated header", i);
		op->code = get_le16(buf + off);
		op->argc = get_le16(buf + off + 2);
		uint32_t alen = get_le32(buf + off + 4);
		off += 8;
		const struct opspec *spec = find_spec(op->code);
		if (!spec)
			return berr_plan("bad plan: op %u: unknown opcode %u", i, op->code);
		if (alen > len - off)
			return berr_plan("bad plan: op %u (%s): args length %u past the end", i,
					 spec->name, alen);
		op->args = &p->argv[nargs];
		size_t aoff = off, aend = off + alen;
		for (uint32_t a = 0; a < op->argc; a++) {
			struct arg *arg = &op->args[a];
			if (aend - aoff < 8)
				return berr_plan("bad plan: op %u (%s): arg %u: truncated", i, spec->name, a);
			arg->type = get_le32(buf + aoff);
			uint32_t l = get_le32(buf + aoff + 4);
			aoff += 8;
			if (l > aend - aoff)
				return berr_plan("bad plan: op %u (%s): arg %u: length %u past the op", i,
						 spec->name, a, l);
			const uint8_t *d = buf + aoff;
			if (arg->type == BERTH_ARG_U64) {
				if (l != 8)
					return berr_plan("bad plan: op %u (%s): arg %u: U64 of length %u", i,
							 spec->name, a, l);
				arg->u = get_le64(d);
			} else if (arg->type == BERTH_ARG_STR) {
				if (l == 0 || d[l - 1] != 0)
					return berr_plan("bad plan: op %u (%s): arg %u: STR without trailing NUL",
							 i, spec->name, a);
				if (memchr(d, 0, l - 1))
					return berr_plan("bad plan: op %u (%s): arg %u: NUL inside STR", i,
							 spec->name, a);
				arg->s = (const char *)d;
				arg->len = l - 1;
			} else if (arg->type == BERTH_ARG_BYTES) {
				arg->s = (const char *)d; /* not NUL-terminated: use len */
				arg->len = l;
			} else {
				return berr_plan("bad plan: op %u (%s): arg %u: unknown type %u", i,
						 spec->name, a, arg->type);
			}
			aoff += l;
			nargs++;
		}
		if (aoff != aend)
			return berr_plan("bad plan: op %u (%s): %zu unused bytes after the args", i,
					 spec->name, aend - aoff);
		off = aend;
		if (check_sig(i, op, spec->sig) < 0 || check_values(i, op) < 0)
			return -1;
	}
	if (off != len)
		return berr_plan("bad plan: %zu bytes after the last op", len - off);
	return check_order(p);
}

int plan_read(int fd, struct plan *p)
{
	uint8_t hdr[HEADER_LEN];
	memset(p, 0, sizeof *p);
	ssize_t r = read_full(fd, hdr, sizeof hdr);
	if (r < 0)
		return berr_sys("read plan");
	if (r != sizeof hdr)
		return berr_plan("bad plan: truncated header (%zd bytes)", r);
	uint32_t magic = get_le32(hdr), version = get_le32(hdr + 4);
	uint32_t nops = get_le32(hdr + 8), len = get_le32(hdr + 12);
	if (magic != BERTH_PLAN_MAGIC)
		return berr_plan("bad plan: magic 0x%08x", magic);
	if (version != BERTH_PLAN_VERSION)
		return berr_plan("bad plan: unsupported version %u", version);
	if (len > BERTH_PLAN_MAX)
		return berr_plan("bad plan: length %u too large", len);
	uint8_t *buf = xmalloc(len);
	r = read_full(fd, buf, len);
	if (r < 0 || (size_t)r != len) {
		int err = r < 0 ? errno : 0;
		free(buf);
		if (err)
			return berr_set(BERTH_ERR_GENERIC, err, "read plan");
		return berr_plan("bad plan: truncated: %zd of %u bytes", r, len);
	}
	return plan_parse(buf, len, nops, p);
}

void plan_free(struct plan *p)
{
	free(p->buf);
	free(p->ops);
	free(p->argv);
	memset(p, 0, sizeof *p);
}
