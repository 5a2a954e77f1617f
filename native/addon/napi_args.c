/* napi_args.c — see napi_args.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "napi_args.h"

bool args_exact(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage)
{
	size_t argc = n;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s takes %zu argument%s", usage, n, n == 1 ? "" : "s");
		napi_throw_type_error(env, NULL, msg);
		return false;
	}
	return true;
}

char *string_arg(napi_env env, napi_value v, const char *what)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, what);
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		napi_throw_error(env, "ENOMEM", "out of memory");
		return NULL;
	}
	napi_get_value_string_utf8(env, v, s, len + 1, &len);
	if (strlen(s) != len) {
		free(s);
		napi_throw_type_error(env, NULL, what);
		return NULL;
	}
	return s;
}

bool buffer_arg(napi_env env, napi_value v, const char *what, void **data, size_t *len)
{
	bool is_buffer = false;
	if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, v, data, len) != napi_ok) {
		napi_throw_type_error(env, NULL, what);
		return false;
	}
	return true;
}

bool uint_arg(napi_env env, napi_value v, const char *what, uint64_t max, uint64_t *out)
{
	double d;
	/* a double holds every integer up to 2^53 exactly, which covers every
	 * value asked for here (modes, flags, device numbers); the range is
	 * checked before the conversion, which is undefined outside it */
	if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= (double)max) || d != (double)(uint64_t)d) {
		napi_throw_type_error(env, NULL, what);
		return false;
	}
	*out = (uint64_t)d;
	return true;
}

napi_value throw_errno(napi_env env, int err, const char *fmt, ...)
{
	const char *name = strerrorname_np(err);
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	napi_throw_error(env, name ? name : "EUNKNOWN", msg);
	return NULL;
}
