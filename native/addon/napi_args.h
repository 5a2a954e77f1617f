/* napi_args.h — argument checks and errno exceptions shared by the addon's
 * N-API functions. Each helper returns false/NULL with a JavaScript
 * exception already pending, so a caller only returns NULL. */
#ifndef BERTH_NAPI_ARGS_H
#define BERTH_NAPI_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exactly n arguments into argv, else a TypeError with usage ("mknod(path,
 * mode, major, minor)"). */
bool args_exact(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage);

/* A JS string as a malloc'd C string; NULL with a TypeError naming what
 * (an embedded NUL would silently name another file, so it is refused). */
char *string_arg(napi_env env, napi_value v, const char *what);

/* A Buffer's bytes (not copied: valid while the call lasts). */
bool buffer_arg(napi_env env, napi_value v, const char *what, void **data, size_t *len);

/* A number that is an integer in [0, max]. */
bool uint_arg(napi_env env, napi_value v, const char *what, uint64_t max, uint64_t *out);

/* Throws an Error whose code is err's name (EPERM…) and whose message is
 * the printf-formatted text, then ": " and strerror(err). Returns NULL. */
__attribute__((format(printf, 3, 4))) napi_value throw_errno(napi_env env, int err, const char *fmt, ...);

#endif
