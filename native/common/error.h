/* error.h — the one pending error of berth-init, formatted as
 * "operation subject: strerror" (subjects quoted), ready to be sent as
 * BERTH_MSG_ERROR {u32 errno, u32 code, text}. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdint.h>

#define BERR_TEXT_MAX 4096

struct berr {
	uint32_t err;  /* errno, 0 if none */
	uint32_t code; /* BERTH_ERR_* */
	char text[BERR_TEXT_MAX];
};

extern struct berr g_err;

/* Record an error and return -1. When err != 0, ": strerror(err)" is
 * appended to the formatted text. */
int berr_set(uint32_t code, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like berr_set, but records err without appending strerror (for texts
 * that already describe it, e.g. the exec lookup errors). */
int berr_set_plain(uint32_t code, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* berr_set(BERTH_ERR_GENERIC, errno, …), errno read before formatting. */
int berr_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* berr_set(BERTH_ERR_BAD_PLAN, 0, …) */
int berr_plan(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prepend "formatted: " to the pending error text (keeps errno and code). */
int berr_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "s" with quotes, escaping '"', '\\' and non-printable bytes (\xNN);
 * the result lives in one of a few rotating static buffers (so several can be
 * used in one format call). Preserves errno. */
const char *q(const char *s);
/* MS_* flags as "MS_BIND|MS_REC" (unknown bits in hex), rotating buffer. */
const char *mount_flags_str(unsigned long flags);
/* strerror with a lower-case first letter, as Go prints errors. */
const char *strerror_lc(int err);

#endif
