/* fs_batch.h — file system tasks run whole on the thread pool (fs_batch.c). */
#ifndef BERTH_FS_BATCH_H
#define BERTH_FS_BATCH_H

#include "napi_args.h"

napi_value fs_mkdirs(napi_env env, napi_callback_info info);
napi_value fs_rmdirs(napi_env env, napi_callback_info info);
napi_value fs_remove_tree(napi_env env, napi_callback_info info);
napi_value fs_write_atomic(napi_env env, napi_callback_info info);

#endif
