/* plan.h — the launch plan (see protocol.h), parsed and fully validated
 * before anything is executed. */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest plan accepted (header excluded). */
#define BERTH_PLAN_MAX (16u << 20)

struct arg {
	uint32_t type; /* BERTH_ARG_U64 | BERTH_ARG_STR | BERTH_ARG_BYTES */
	uint32_t len;  /* STR: length without the trailing NUL; BYTES: length */
	uint64_t u;
	const char *s; /* points into the plan buffer; NUL-terminated for STR */
};

struct op {
	uint16_t code;
	uint16_t argc;
	struct arg *args;
};

/* Who runs an op. */
enum op_runner {
	RUN_PARENT,      /* before CLONE */
	RUN_CLONE,       /* CLONE itself */
	RUN_PARENT_POST, /* after CLONE, by the parent (maps) */
	RUN_CHILD,       /* after CLONE, by the child */
};

struct plan {
	uint8_t *buf; /* body (owned) */
	size_t len;
	uint32_t nops;
	struct op *ops;
	struct arg *argv; /* storage for every op's args */
	uint32_t clone_index;
	/* derived while validating */
	bool has_wait_maps;
	uint64_t npreserve; /* last PRESERVE_FDS, else 0 */
	uint64_t mode;      /* last PARENT_MODE, else 0 */
};

/* Read the header and exactly the declared body from fd, parse and
 * validate. -1 with g_err set (BAD_PLAN for any malformed plan). */
int plan_read(int fd, struct plan *p);
/* Parse and validate a body already in memory (buf is taken over). */
int plan_parse(uint8_t *buf, size_t len, uint32_t nops, struct plan *p);
void plan_free(struct plan *p);

const char *op_name(uint16_t code);
enum op_runner op_runner(uint16_t code, uint32_t index, uint32_t clone_index);

#endif
