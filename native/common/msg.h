/* msg.h — BERTH_MSG_* framing: u32 type, u32 payload length, payload
 * (little-endian), on the node sync socket and the parent↔child socketpair. */
#ifndef BERTH_MSG_H
#define BERTH_MSG_H

#include <stdint.h>

#include "error.h"

/* Largest payload accepted from a peer. */
#define BERTH_MSG_MAX (1u << 20)

struct msg {
	uint32_t type;
	uint32_t len;
	uint8_t *data; /* len bytes + a NUL (so text payloads are C strings) */
};

int msg_send(int fd, uint32_t type, const void *payload, uint32_t len);
int msg_send_empty(int fd, uint32_t type);
int msg_send_u64(int fd, uint32_t type, uint64_t v);
int msg_send_text(int fd, uint32_t type, const char *text);
/* BERTH_MSG_ERROR {u32 errno, u32 code, text}. */
int msg_send_error(int fd, const struct berr *e);

/* 1: a message was read into m (free with msg_free); 0: EOF before any byte
 * of a header; -1: error (g_err set), including EOF inside a message. */
int msg_recv(int fd, struct msg *m);
void msg_free(struct msg *m);
/* The u64 payload of m, or -1 (g_err set) if the length is not 8. */
int msg_u64(const struct msg *m, uint64_t *v);
/* "PID", "SYNC", … for error texts. */
const char *msg_type_name(uint32_t type);

#endif
