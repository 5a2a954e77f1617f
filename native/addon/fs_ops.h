/* fs_ops.h — N-API functions for device nodes and extended attributes
 * (fs_ops.c) and for mounts (mount_ops.c), registered by addon.c. */
#ifndef BERTH_FS_OPS_H
#define BERTH_FS_OPS_H

#include "napi_args.h"

napi_value fs_mknod(napi_env env, napi_callback_info info);
napi_value fs_lsetxattr(napi_env env, napi_callback_info info);
napi_value fs_lgetxattr(napi_env env, napi_callback_info info);
napi_value fs_llistxattr(napi_env env, napi_callback_info info);
napi_value fs_lremovexattr(napi_env env, napi_callback_info info);
napi_value fs_mount(napi_env env, napi_callback_info info);
napi_value fs_umount2(napi_env env, napi_callback_info info);
napi_value fs_flock(napi_env env, napi_callback_info info);

#endif
