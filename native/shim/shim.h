/* shim.h — berth-shim, the monitor of one container (or one exec).
 *
 *   berthd ──spawn──▶ berth-shim (first process) ──fork──▶ monitor ──fork──▶ COMMAND
 *                      exits 0 once the monitor          setsid, subreaper,   (berth-init,
 *                      reports "ok" on the ready pipe    holds stdio / pty,   fds ≥ 3 of
 *                                                        logs, records exit   berthd kept)
 *
 * The monitor owns DIR: shim.pid, exit, attach.sock, control.sock and, with
 * --tty, console.sock. It never blocks on a peer: every fd it serves is
 * non-blocking and every peer's backlog is bounded. One concern a file:
 *   main.c     options, the first process, setup of the monitor
 *   spawn.c    the inherited fds, forking COMMAND
 *   loop.c     the poll loop, reaping, the recorded status, the end
 *   jsonlog.c  Docker's json-file log: escaping, 16 KiB splits, rotation
 *   attach.c   attach.sock clients: stdcopy frames out, stdin in
 *   control.c  control.sock: resize, close-stdin, oom-watch, ping
 *   oom.c      live OOM notices to control clients that ask
 *   console.c  console.sock: the pty master from COMMAND
 *   files.c    atomic files, RFC 3339 times, listening sockets
 *   bytes.c    bounded, lazily allocated buffers
 */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>

/* Docker splits log lines longer than this into several entries. */
#define SHIM_LOG_LINE_MAX 16384
/* One read from the container's output. */
#define SHIM_READ_SIZE 16384
/* Output an attach client may lag behind before it is dropped. */
#define SHIM_CLIENT_BACKLOG_MAX (1u << 20)
/* At most this much output is held for the first attach client; past it, the oldest is dropped. */
#define SHIM_HOLD_MAX (4u << 20)
/* How long a monitor holding output waits at the end for its first attach client. */
#define SHIM_HOLD_WAIT_MS 5000
/* How long output is still awaited once the recorded process has ended
 * (a background process may hold the pipes open; containerd waits 2 s). */
#define SHIM_DRAIN_MS 2000
/* How long the last output may take to reach attach clients at the end. */
#define SHIM_FLUSH_MS 1000

enum { STREAM_STDOUT = 1, STREAM_STDERR = 2 };

struct shim_opts {
	const char *dir;
	const char *log_path;      /* absolute, or NULL */
	long long log_max_size;    /* bytes, -1: unlimited */
	long log_max_file;         /* >= 1 */
	bool stdin_pipe;           /* --stdin */
	bool tty;                  /* --tty */
	bool reparent;             /* --reparent */
	bool hold_output;          /* --hold-output: keep output for the first attach client */
	bool stdin_once;           /* --stdin-once: an attach client's end of input closes stdin */
	char **argv;               /* COMMAND */
};

/* A growable byte buffer (heap, allocated on first use). */
struct bytes {
	uint8_t *data;
	size_t off, len, cap; /* pending bytes are data[off, len) */
};

size_t bytes_pending(const struct bytes *b);
void bytes_append(struct bytes *b, const void *p, size_t n);
void bytes_consume(struct bytes *b, size_t n);
void bytes_free(struct bytes *b);

/* jsonlog.c */
struct jsonlog {
	int fd;                /* -1: no log */
	const char *path;
	long long max_size;
	long max_file;
	long long size;
	struct bytes line[2];  /* per stream: the line read so far */
};

int jsonlog_open(struct jsonlog *l, const char *path, long long max_size, long max_file);
/* Logs what a stream produced: one entry a line, lines over 16 KiB split. */
void jsonlog_data(struct jsonlog *l, int stream, const uint8_t *p, size_t n,
		  const struct timespec *ts);
/* Writes the partial last lines (without "\n"). */
void jsonlog_flush(struct jsonlog *l, const struct timespec *ts);
/* Go's encoding/json string escaping, as Docker's json-file does it; out may
 * be NULL to measure. Returns the length. */
size_t json_escape(const uint8_t *p, size_t n, char *out);

enum client_kind { CLIENT_ATTACH, CLIENT_CONTROL };

struct client {
	struct client *next;
	enum client_kind kind;
	int fd;
	bool rd_eof;          /* the peer half-closed: output only */
	bool hup;             /* the peer closed both ways: read what it left */
	bool dead;            /* to be dropped at the end of this round */
	struct bytes out;     /* output the socket did not take yet */
	struct bytes in;      /* control: the partial request line */
	bool oom_subscriber;  /* control: asked for "event oom" notices */
};

struct shim {
	struct shim_opts o;
	int dirfd;
	char dir[4096];             /* absolute */

	int sigfd;                  /* SIGCHLD */
	pid_t cmd_pid;
	bool cmd_done;
	int cmd_status;
	bool other_done;            /* a re-parented child ended */
	int other_status;
	bool no_children;           /* waitpid said ECHILD */
	bool recorded;
	int status;                 /* the status for the exit file */
	struct timespec finished_at;/* CLOCK_REALTIME when it was recorded */
	long long drain_deadline;   /* monotonic ms: stop waiting for EOF */

	int out_fd, err_fd;         /* read ends, -1 at EOF */

	int console_listen;         /* --tty until the master came */
	int console_conn;           /* a connection that should carry it */
	int master;                 /* pty master, -1 before and after */
	bool master_seen;
	bool ws_pending;
	struct winsize ws;

	int in_fd;                  /* stdin pipe write end (not the master) */
	bool in_close_pending;      /* close-stdin once in_buf is written */
	struct bytes in_buf;        /* for the pipe or the master */

	int attach_listen, control_listen;
	struct client *clients;
	/* --hold-output: what attach clients would have had before the first
	 * one came (an exec's output, produced before berthd can connect) */
	struct bytes held;
	bool holding;
	struct jsonlog log;
	/* oom-watch: the memory cgroup watched, and its oom_kill count so far */
	int oom_fd;                 /* eventfd (v1) or inotify (v2), -1: none */
	int oom_dirfd;
	const char *oom_file;       /* memory.oom_control or memory.events */
	long long oom_kills;
	int oom_rechecks;           /* re-reads of the count still to make */
	long long oom_recheck_at;   /* monotonic ms of the next one */
};

/* spawn.c */
/* Remembers which fds >= 3 the shim was started with (before it opens any). */
int inherited_fds_scan(void);
void inherited_fds_close(void);
/* Forks COMMAND with stdio in0/out1/err2; returns its pid once it has
 * exec'd, or -1 with g_err set (an exec failure is reaped here). */
pid_t spawn_command(char **argv, int in0, int out1, int err2);

/* loop.c */
void monitor_loop(struct shim *s) __attribute__((noreturn));
void record_status(struct shim *s, int status);

/* attach.c */
void attach_accept(struct shim *s);
void attach_output(struct shim *s, int stream, const uint8_t *p, size_t n);
/* Reads what a client wrote (to stdin, or discarded). */
void attach_read(struct shim *s, struct client *c);
/* Writes pending stdin; closes it when close-stdin asked and nothing is left. */
void stdin_flush(struct shim *s);
/* Whether clients' input is read now (there is room and a place for it). */
bool stdin_accepting(const struct shim *s);
int stdin_target(const struct shim *s);
void stdin_close(struct shim *s);

/* client I/O shared by attach and control */
/* Sends or queues bytes; a backlog over the limit marks the client dead. */
void client_send(struct client *c, const void *p, size_t n, size_t limit);
void client_sendv(struct client *c, const void *a, size_t an, const void *b, size_t bn,
		  size_t limit);
void client_flush(struct client *c);
void client_free(struct client *c);
struct client *client_new(struct shim *s, enum client_kind kind, int fd);
void clients_reap_dead(struct shim *s);

/* control.c */
void control_accept(struct shim *s);
void control_read(struct shim *s, struct client *c);

/* oom.c */
/* Watches the memory cgroup at dir (v1 or v2) for OOM kills; 0, or -1 with errno. */
int oom_watch(struct shim *s, const char *dir);
/* On oom_fd's wake-up: "event oom" to subscribers when the kill count grew. */
void oom_read(struct shim *s);
/* A re-read of the count that is due; the ms until the next one, or -1 for none. */
int oom_recheck(struct shim *s);

/* console.c */
void console_accept(struct shim *s);
/* Receives the master from console_conn. */
void console_receive(struct shim *s);
/* Takes any master already queued on the console socket (non-blocking). */
void console_poll_now(struct shim *s);
void console_close(struct shim *s);
int apply_winsize(struct shim *s);

/* files.c */
/* Writes data to dirfd/name atomically: .name.tmp, then a rename (no fsync:
 * DIR is in the exec-root, whose contents do not outlive a reboot). */
int write_atomic(int dirfd, const char *name, const char *data, size_t len);
/* RFC 3339 with nanoseconds, trailing zeros trimmed as Go's RFC3339Nano,
 * UTC: "2026-11-22T19:17:11.123456789Z". buf of at least 40 bytes. */
size_t format_rfc3339nano(const struct timespec *ts, char *buf);
/* A listening SOCK_STREAM unix socket dir/name (mode 0600, non-blocking,
 * close-on-exec; a stale file of that name is replaced), or -1 with g_err. */
int listen_unix(const char *dir, int dirfd, const char *name);
int set_nonblock(int fd);
long long monotonic_ms(void);

#endif
