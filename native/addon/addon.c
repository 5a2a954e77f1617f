/* addon.c — berth_addon.node: the host syscalls Node lacks, as N-API
 * functions (src/sys/addon.ts loads this, and only when one is needed):
 * the cgroup v2 device filter (device_filter.c), device nodes and xattrs
 * (fs_ops.c), mounts (mount_ops.c). Errors are thrown as Error objects
 * whose code is the errno's name (EPERM…), and whose message names the
 * operation, its subject and the reason, followed by the verifier's log
 * for a program it refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_filter.h"
#include "fs_batch.h"
#include "fs_ops.h"
#include "napi_args.h"
#include "proc_spawn.h"
#include "util.h"

/* The longest program bpf(BPF_PROG_LOAD) takes from root (BPF_COMPLEXITY_LIMIT_INSNS). */
#define MAX_INSNS 1000000u
#define INSN_SIZE 8u

static napi_value throw_df(napi_env env, struct df_error *e)
{
	const char *name = strerrorname_np(e->err);
	if (!name)
		name = "EUNKNOWN";
	size_t len = strlen(e->msg) + (e->log ? strlen(e->log) + 32 : 0) + 1;
	char *text = malloc(len);
	if (!text) {
		napi_throw_error(env, name, e->msg);
	} else {
		if (e->log)
			snprintf(text, len, "%s\nverifier log:\n%s", e->msg, e->log);
		else
			snprintf(text, len, "%s", e->msg);
		napi_throw_error(env, name, text);
		free(text);
	}
	df_error_free(e);
	return NULL;
}

/* attachDeviceFilter(cgroupDir: string, program: Buffer): void */
static napi_value attach_device_filter(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
		napi_throw_type_error(env, NULL, "attachDeviceFilter(cgroupDir, program) takes two arguments");
		return NULL;
	}
	char *dir _cleanup_free_ = string_arg(env, argv[0], "attachDeviceFilter: cgroupDir must be a string without NUL");
	if (!dir)
		return NULL;
	bool is_buffer = false;
	void *data = NULL;
	size_t len = 0;
	if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
	    napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "attachDeviceFilter: program must be a Buffer of struct bpf_insn");
		return NULL;
	}
	if (len == 0 || len % INSN_SIZE || len / INSN_SIZE > MAX_INSNS) {
		napi_throw_range_error(env, NULL, "attachDeviceFilter: program must be 1 to 1000000 instructions of 8 bytes");
		return NULL;
	}
	struct df_error e = { 0 };
	if (df_attach(dir, data, len / INSN_SIZE, &e) < 0)
		return throw_df(env, &e);
	return NULL;
}

/* attachedDeviceFilters(cgroupDir: string): number[] — program ids */
static napi_value attached_device_filters(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
		napi_throw_type_error(env, NULL, "attachedDeviceFilters(cgroupDir) takes one argument");
		return NULL;
	}
	char *dir _cleanup_free_ = string_arg(env, argv[0], "attachedDeviceFilters: cgroupDir must be a string without NUL");
	if (!dir)
		return NULL;
	uint32_t *ids _cleanup_free_ = NULL;
	uint32_t n = 0;
	struct df_error e = { 0 };
	if (df_query(dir, &ids, &n, &e) < 0)
		return throw_df(env, &e);
	napi_value out;
	if (napi_create_array_with_length(env, n, &out) != napi_ok)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		napi_value id;
		if (napi_create_uint32(env, ids[i], &id) != napi_ok || napi_set_element(env, out, i, id) != napi_ok)
			return NULL;
	}
	return out;
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{ "attachDeviceFilter", NULL, attach_device_filter, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "attachedDeviceFilters", NULL, attached_device_filters, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "mknod", NULL, fs_mknod, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "lsetxattr", NULL, fs_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "lgetxattr", NULL, fs_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "llistxattr", NULL, fs_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "lremovexattr", NULL, fs_lremovexattr, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "mount", NULL, fs_mount, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "umount2", NULL, fs_umount2, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "flockNonBlocking", NULL, fs_flock, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "spawnDetached", NULL, spawn_detached, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "waitPid", NULL, wait_pid, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "socketPair", NULL, socket_pair, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "sealedCopy", NULL, sealed_copy, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "mallocTrim", NULL, malloc_trim_all, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "mkdirs", NULL, fs_mkdirs, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "rmdirs", NULL, fs_rmdirs, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "removeTree", NULL, fs_remove_tree, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "writeFileAtomic", NULL, fs_write_atomic, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok)
		return NULL;
	return exports;
}
