/* proc_spawn.h — N-API functions to start berth-shim without forking
 * berthd, and berth-init from a sealed copy (proc_spawn.c), registered by
 * addon.c. */
#ifndef BERTH_PROC_SPAWN_H
#define BERTH_PROC_SPAWN_H

#include "napi_args.h"

napi_value spawn_detached(napi_env env, napi_callback_info info);
napi_value wait_pid(napi_env env, napi_callback_info info);
napi_value socket_pair(napi_env env, napi_callback_info info);
napi_value sealed_copy(napi_env env, napi_callback_info info);
napi_value malloc_trim_all(napi_env env, napi_callback_info info);

#endif
