/* device_filter.h — the cgroup v2 device filter's host side: load a
 * BPF_PROG_TYPE_CGROUP_DEVICE program (compiled by TypeScript:
 * src/cgroups/v2/device-filter.ts) and attach it to a cgroup in place of
 * the one there before. No Node types here: addon.c is the N-API glue. */
#ifndef BERTH_DEVICE_FILTER_H
#define BERTH_DEVICE_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* What went wrong, for the exception: errno, a message naming the operation,
 * the cgroup and strerror, and for a refused program the verifier's log. */
struct df_error {
	int err;
	char msg[1024];
	char *log; /* malloc'd, or NULL */
};

void df_error_free(struct df_error *e);

/* Loads the program (insns: count struct bpf_insn in host byte order) and
 * attaches it to the cgroup directory; the programs attached there before
 * by berth are detached only once the new one is in place. 0, or -1 with e
 * filled in. */
int df_attach(const char *cgroup_dir, const void *insns, size_t count, struct df_error *e);

/* The ids of the device programs attached to the cgroup itself (not those
 * inherited from its parents): *ids is malloc'd (NULL when there are none).
 * 0, or -1 with e filled in. */
int df_query(const char *cgroup_dir, uint32_t **ids, uint32_t *count, struct df_error *e);

#endif
