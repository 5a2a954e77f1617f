/*
 * protocol.h — the launch plan and the handshake between berth's TypeScript
 * side and the C executor (berth-init). This file is the single source of
 * the numbers below: src/runtime/plan/protocol.generated.ts is generated
 * from it (npm run gen:protocol) and a unit test fails if the two differ.
 *
 * Only `#define BERTH_<GROUP>_<NAME> <integer>` lines are read by the
 * generator; keep every constant in that form.
 *
 * ---------------------------------------------------------------------------
 * Processes
 *
 *   node (berth-runtime / berthd)
 *     │ spawn `berth-init <sync-fd>`: the plan, then messages, on <sync-fd>
 *     ▼
 *   parent  (berth-init; re-executed from a sealed memfd first, so that the
 *     │      container can never open or overwrite the binary on disk)
 *     │ runs the "parent" ops, clone(CLONE_NEW*)
 *     ▼
 *   child   (container init: runs the "child" ops, then execve(app): PID 1)
 *
 * ---------------------------------------------------------------------------
 * Plan encoding (all integers little-endian, no padding)
 *
 *   header: u32 magic (BERTH_PLAN_MAGIC), u32 version (BERTH_PLAN_VERSION),
 *           u32 op count, u32 byte length of everything after the header
 *   op:     u16 opcode, u16 argc, u32 byte length of the args that follow
 *   arg:    u32 type (BERTH_ARG_U64 | BERTH_ARG_STR | BERTH_ARG_BYTES), u32 length, data
 *           U64: length 8.  STR: bytes including one trailing NUL, no NUL inside.
 *           BYTES: any bytes (NULs included), no terminator.
 *
 * The parent reads the whole plan, checks every length and type before
 * executing anything, and rejects an unknown opcode, version or arg type.
 * It also rejects (BERTH_ERR_BAD_PLAN) a plan
 * that breaks these order rules: exactly one CLONE; ops numbered below CLONE only before it,
 * all others only after it; the last op is EXEC, with READY and SET_ARGV
 * before it (and SET_ARGV before RESOLVE_EXEC); MOUNT, MOUNT_PROPAGATION,
 * MKDIR, MKNOD, SYMLINK, MASK_PATH, READONLY_PATH need an earlier
 * PREPARE_ROOT (or ENTER_EXEC_ROOT); PIVOT_ROOT/CHROOT need PREPARE_ROOT;
 * ENTER_EXEC_ROOT needs OPEN_EXEC_ROOT, SETUP_TTY CONSOLE_SOCKET or
 * CONSOLE_RELAY (which needs PARENT_MODE 1), WAIT_START
 * EXEC_FIFO; at most one WAIT_MAPS (before any SYNC), READY, WAIT_START;
 * a SECCOMP with a listener path needs SECCOMP_AGENT and comes before READY.
 * Value checks: PARENT_MODE and SETUP_TTY 0|1, MOUNT dest_kind 0|1, HOOK
 * argc and SET_USER n equal to the counts given, ids below 2^32-1.
 *
 * Ops run in plan order. Ops listed before BERTH_OP_CLONE are run by the
 * parent. BERTH_OP_UID_MAP / GID_MAP / SETGROUPS / UID_MAP_HELPER /
 * GID_MAP_HELPER (which appear after CLONE) are run by the parent once the child exists; the child skips them. Every
 * other op after CLONE is run by the child.
 *
 * "path in root" below means: resolved inside the directory given to
 * BERTH_OP_PREPARE_ROOT, by file descriptor (openat2 RESOLVE_IN_ROOT), so a
 * symlink in the image can never send it outside; missing directories are
 * created (0755) on the way. After BERTH_OP_PIVOT_ROOT/CHROOT the root is "/".
 *
 * ---------------------------------------------------------------------------
 * Handshake (messages on <sync-fd> and on the parent↔child socketpair)
 *
 *   message: u32 type (BERTH_MSG_*), u32 payload length, payload
 *
 *   node                      parent                        child
 *    │── plan (sync fd) ──────▶│ parent ops, clone ─────────▶│
 *    │                         │ write uid/gid maps          │ (waits: MAPS)
 *    │◀── PID(u64 host pid) ───│── SYNC_ACK ────────────────▶│ child ops…
 *    │                         │◀────────── SYNC(u64 id) ────│ BERTH_OP_SYNC
 *    │◀── SYNC(id) ────────────│                             │  (e.g. hooks, cgroups)
 *    │── SYNC_ACK ────────────▶│── SYNC_ACK ────────────────▶│
 *    │                         │◀──────────────── READY ─────│ BERTH_OP_READY
 *    │◀── READY ───────────────│                             │ BERTH_OP_WAIT_START
 *    │   detached: parent exits 0 here; else it waits:       │ … execve(app)
 *    │◀── EXIT(u64 wait status)│◀──── EOF (exec happened) ───│
 *
 *   Any failure: child sends ERROR {u32 errno, u32 code, text} and exits;
 *   the parent relays it to node, reaps the child and exits 1. The text is
 *   "operation subject: strerror" with the subject quoted, e.g.
 *   `mount "proc" to "/proc": Operation not permitted`.
 *   If node closes <sync-fd> or sends ABORT, parent and child exit
 *   (the child is killed) without executing the app.
 *   "Closes" means before READY. After READY
 *   a close (or half-close, shutdown(SHUT_WR)) of <sync-fd> only says that
 *   node will send nothing more: in wait mode the parent keeps waiting and
 *   still sends EXIT; ABORT still kills the child. An ERROR after READY
 *   (wait mode: WAIT_START, HOOK or execve failing) is relayed as above:
 *   the parent exits 1 and no EXIT follows. After rejecting a plan
 *   the parent reads and discards what node still sends before exiting, but
 *   node should still treat ECONNRESET on <sync-fd> like EOF.
 */
#ifndef BERTH_PROTOCOL_H
#define BERTH_PROTOCOL_H

#define BERTH_PLAN_MAGIC 0x50545242 /* "BRTP" */
#define BERTH_PLAN_VERSION 2

/* Descriptors: node starts `berth-init <sync-fd>`. Fds 0-2 are the app's
 * stdio, 3..3+n-1 the preserved fds (n = PRESERVE_FDS), and <sync-fd> (after
 * them) a SOCK_STREAM unix socket on which node first writes the whole plan
 * (the header gives its length), then exchanges messages. */
#define BERTH_ARG_U64 1
#define BERTH_ARG_STR 2
#define BERTH_ARG_BYTES 3

/* ---- parent ops (before CLONE; their numbers are below CLONE's) -------- */
/* PARENT_MODE(u64 wait): 0 = exit after READY (create, exec -d);
 *                        1 = stay, relay EXIT when the child ends (run, exec). */
#define BERTH_OP_PARENT_MODE 1
/* CONSOLE_SOCKET(str path): connect to this unix socket now (host view);
 * the child's SETUP_TTY sends the pty master over it. */
#define BERTH_OP_CONSOLE_SOCKET 2
/* EXEC_FIFO(str path): mkfifo(path, 0600) and open it O_RDONLY|O_NONBLOCK;
 * the child's WAIT_START waits on it. */
#define BERTH_OP_EXEC_FIFO 3
/* JOIN_NS(u64 CLONE_NEW* type, str path): open path, setns(fd, type).
 * The TS side orders the user namespace first.
 * The first JOIN_NS opens the paths of all
 * JOIN_NS ops, so that every path is looked up in the host's mount namespace
 * and with the host's credentials, then each op does its setns(). */
#define BERTH_OP_JOIN_NS 4
/* NEW_TIME_NS(u64 mono_sec, u64 mono_nsec, u64 boot_sec, u64 boot_nsec):
 * unshare(CLONE_NEWTIME) and write /proc/self/timens_offsets (signed values
 * are carried as two's complement in the u64). */
#define BERTH_OP_NEW_TIME_NS 5
/* OPEN_EXEC_ROOT(str path): open this directory (e.g. /proc/<pid>/root)
 * before joining namespaces; the child's ENTER_EXEC_ROOT chroots into it. */
#define BERTH_OP_OPEN_EXEC_ROOT 6
/* PRESERVE_FDS(u64 n): fds 3..3+n-1 pass to the app unchanged. */
#define BERTH_OP_PRESERVE_FDS 7
/* CGROUP_JOIN(u64 kind, str path): the child joins a cgroup without the
 * kernel's global cgroup_threadgroup_rwsem, whose first writer after a quiet
 * spell waits for an RCU grace period (10-20 ms; node's write of the pid to
 * cgroup.procs takes it). kind 0: a cgroup v1 `tasks` file, opened here
 * (host view, before any JOIN_NS); the child writes "0" to it first thing
 * (moving itself, single-threaded, needs no such lock). kind 1: a cgroup v2
 * directory, opened O_PATH; CLONE creates the child in it (clone3
 * CLONE_INTO_CGROUP, Linux 5.7). At most 32 of kind 0 and one of kind 1. */
#define BERTH_OP_CGROUP_JOIN 10
/* CLONE(u64 CLONE_NEW* flags): create the child (in the CGROUP_JOIN v2
 * directory, if any). Flags never include
 * CLONE_NEWCGROUP (the child unshares it after SYNC, once in its cgroup)
 * nor CLONE_NEWTIME (NEW_TIME_NS). 0 = plain fork (exec into a container). */
#define BERTH_OP_CLONE 19
/* CONSOLE_RELAY(): for a terminal without a console socket (run or exec in
 * the foreground): the parent becomes the console socket's peer. It gets the
 * pty master from SETUP_TTY and copies its own stdin to it and its output to
 * its stdout — stdin in raw mode when it is a terminal, the window size kept
 * in step on SIGWINCH, EOF on a non-terminal stdin passed on as the VEOF
 * character — until the child exits and the master is drained. Wait mode only. */
#define BERTH_OP_CONSOLE_RELAY 9
/* SECCOMP_AGENT(str path): connect to the seccomp agent's unix socket
 * (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath) before the child exists, so
 * that a missing agent fails the launch before anything is set up. The
 * connected socket is the child's, for a SECCOMP op that has a listener. */
#define BERTH_OP_SECCOMP_AGENT 8

/* ---- parent ops after CLONE (run by the parent, skipped by the child) - */
/* SETGROUPS(str "deny"|"allow"), written before GID_MAP. */
#define BERTH_OP_SETGROUPS 20
/* UID_MAP(str contents) / GID_MAP(str contents): "inside outside count\n"… */
#define BERTH_OP_UID_MAP 21
#define BERTH_OP_GID_MAP 22
/* UID_MAP_HELPER(str program, str contents) / GID_MAP_HELPER(str program,
 * str contents): instead of writing the map file, run the setuid helper
 * (newuidmap / newgidmap from shadow's `uidmap`) as
 * `program <child pid> inside outside count …` with the fields of contents
 * (same format as UID_MAP), and fail unless it exits 0 (its stderr, first
 * 1 KiB, goes into the error). For an unprivileged runtime whose maps are
 * more than its own id (ranges from /etc/subuid, /etc/subgid). No SETGROUPS
 * goes with GID_MAP_HELPER: newgidmap decides that itself. */
#define BERTH_OP_UID_MAP_HELPER 23
#define BERTH_OP_GID_MAP_HELPER 24

/* ---- child ops --------------------------------------------------------- */
/* WAIT_MAPS(): wait until the parent has written the maps, then
 * setresuid/setresgid(0) inside the new user namespace. Present only when a
 * user namespace is created. */
#define BERTH_OP_WAIT_MAPS 40
/* SYNC(u64 id): send SYNC(id) to node through the parent, wait for the ack. */
#define BERTH_OP_SYNC 41
/* UNSHARE(u64 flags): unshare(flags) (the cgroup namespace, after SYNC). */
#define BERTH_OP_UNSHARE 42
/* OOM_SCORE_ADJ(str value): write /proc/self/oom_score_adj. */
#define BERTH_OP_OOM_SCORE_ADJ 43
/* PREPARE_ROOT(str rootfs, u64 propagation): mount("", "/", propagation)
 * (MS_SLAVE|MS_REC unless set), then bind rootfs onto itself (MS_BIND|MS_REC)
 * so it is a mount point, and keep an O_PATH fd to it as "the root". */
#define BERTH_OP_PREPARE_ROOT 44
/* MOUNT(str source, str dest-in-root, str fstype, u64 flags, str data,
 *       u64 dest_kind, u64 remount_flags, u64 attr_set, u64 attr_clr):
 *   dest_kind: BERTH_DEST_DIR or BERTH_DEST_FILE (created if missing).
 *   mount(source, dest, fstype, flags, data or NULL if "").
 *   remount_flags != 0: then mount(NULL, dest, NULL, MS_REMOUNT|MS_BIND|
 *     remount_flags|<flags the mount already has that would lock it, read
 *     with statvfs>, NULL) — how bind mounts become ro/nosuid/….
 *   attr_set/attr_clr != 0: mount_setattr(dest, AT_RECURSIVE, MOUNT_ATTR_*)
 *     (rro, rnosuid, …). */
#define BERTH_OP_MOUNT 45
/* MOUNT_PROPAGATION(str dest-in-root, u64 flags): mount(NULL, dest, NULL,
 * flags) with one of MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC). */
#define BERTH_OP_MOUNT_PROPAGATION 46
/* MKDIR(str path-in-root, u64 mode) */
#define BERTH_OP_MKDIR 47
/* MKNOD(str path-in-root, u64 mode incl. S_IFCHR/S_IFBLK/S_IFIFO, u64 major,
 *       u64 minor, u64 uid, u64 gid): replaces an existing non-directory. */
#define BERTH_OP_MKNOD 48
/* SYMLINK(str target, str linkpath-in-root): an existing link is replaced. */
#define BERTH_OP_SYMLINK 49
/* PIVOT_ROOT(): chdir(root); pivot_root(".", "."); make the old root
 * MS_SLAVE|MS_REC and detach it; chdir("/"). */
#define BERTH_OP_PIVOT_ROOT 50
/* CHROOT(): for roots where pivot_root cannot work: chdir(root);
 * mount(root, "/", MS_MOVE); chroot("."); chdir("/"). */
#define BERTH_OP_CHROOT 51
/* ROOT_PROPAGATION(u64 flags): mount(NULL, "/", NULL, flags) after the pivot. */
#define BERTH_OP_ROOT_PROPAGATION 52
/* SYSCTL(str key as path under /proc/sys, e.g. "net/ipv4/ip_forward",
 *        str value): written through the container's /proc after the pivot,
 *        after checking that /proc/sys is a real procfs. */
#define BERTH_OP_SYSCTL 53
/* MASK_PATH(str path): a directory gets a read-only empty tmpfs, anything
 * else /dev/null bound over it; a missing path is skipped. */
#define BERTH_OP_MASK_PATH 54
/* READONLY_PATH(str path): bind onto itself, remount read-only (keeping
 * locked flags); a missing path is skipped. */
#define BERTH_OP_READONLY_PATH 55
/* REMOUNT_ROOT_RO(): "/" becomes read-only. */
#define BERTH_OP_REMOUNT_ROOT_RO 56
/* SETHOSTNAME(str) / SETDOMAINNAME(str) */
#define BERTH_OP_SETHOSTNAME 57
#define BERTH_OP_SETDOMAINNAME 58
/* SETUP_TTY(u64 mount_console): open /dev/ptmx (the container's), unlock,
 * send the master over the console socket (SCM_RIGHTS), make the slave the
 * controlling terminal and fds 0-2 at exec; mount_console=1: also bind the
 * slave onto /dev/console. */
#define BERTH_OP_SETUP_TTY 59
/* ENTER_EXEC_ROOT(): fchdir(fd from OPEN_EXEC_ROOT); chroot("."); chdir("/"). */
#define BERTH_OP_ENTER_EXEC_ROOT 60
/* RLIMIT(u64 resource, u64 soft, u64 hard): setrlimit; if raising the hard
 * limit is refused (EPERM, no CAP_SYS_RESOURCE), both are clamped to the
 * current hard limit and a warning is logged. RLIM_INFINITY = ~0. */
#define BERTH_OP_RLIMIT 61
/* SET_ARGV(str…) / SET_ENV(str…): the app's argv and environment. */
#define BERTH_OP_SET_ARGV 62
#define BERTH_OP_SET_ENV 63
/* RESOLVE_EXEC(): find argv[0] through PATH from SET_ENV (/usr/local/sbin:…
 * when PATH is unset), as the container sees it; fails with
 * BERTH_ERR_EXEC_NOT_FOUND or BERTH_ERR_EXEC_DENIED before the app waits. */
#define BERTH_OP_RESOLVE_EXEC 64
/* READY(): tell node (through the parent) that setup is complete. */
#define BERTH_OP_READY 65
/* WAIT_START(): wait for a writer on the exec fifo, read what it writes until
 * EOF (the container state JSON, used as the stdin of START_HOOKs). */
#define BERTH_OP_WAIT_START 66
/* HOOK(str path, u64 timeout_sec (0 = none), u64 argc, str argv…, str env…):
 * run now, inside the container (startContainer), with the state read by
 * WAIT_START on its stdin; non-zero exit or timeout fails the start.
 * argc 0 means argv = {path}. The hook's stdout
 * and stderr are captured (first 4 KiB); if it fails they are sent as a
 * WARNING before the ERROR. */
#define BERTH_OP_HOOK 67
/* SET_USER(u64 uid, u64 gid, u64 umask or ~0 for unset, u64 n, u64 gid…):
 * setgroups(additional gids), setresgid, setresuid (with PR_SET_KEEPCAPS so
 * CAPS still applies afterwards), umask. */
#define BERTH_OP_SET_USER 68
/* CAPS(u64 bounding, u64 effective, u64 permitted, u64 inheritable,
 *      u64 ambient): bit n = capability n. Drops every bounding capability
 *      not in the mask, capset()s the three sets, raises ambient. After SET_USER. */
#define BERTH_OP_CAPS 69
/* NO_NEW_PRIVS() */
#define BERTH_OP_NO_NEW_PRIVS 70
/* CWD(str path): chdir after the user switch; the result must stay inside
 * the root (getcwd must not report "(unreachable)").
 * Before the chdir every fd >= 3 + PRESERVE_FDS
 * is closed except the child's socketpair end, the exec fifo and the console
 * socket (none is a directory; WAIT_START / SETUP_TTY may come later). */
#define BERTH_OP_CWD 71
/* EXEC(): close every fd but 0-2 and the preserved ones, reset signals,
 * execve(resolved path, argv, env). */
#define BERTH_OP_EXEC 72
/* SET_EXEC_PATH(str path): execute this path rather than argv[0] looked up
 * through PATH (hooks: their path and args[0] differ). RESOLVE_EXEC then only
 * checks that it exists and is executable. */
#define BERTH_OP_SET_EXEC_PATH 73
/* LOOPBACK_UP(): set "lo" up (IFF_UP) in the container's new network
 * namespace, as runc and crun do: Docker and Podman (--network none, or no
 * network configured) leave it to the runtime. */
#define BERTH_OP_LOOPBACK_UP 74
/* SECCOMP(bytes program, u64 flags, str listener path or ""): a classic BPF
 * program (struct sock_filter[], compiled by src/security/seccomp) installed
 * with seccomp(SECCOMP_SET_MODE_FILTER, flags). Without no_new_privs the
 * kernel wants CAP_SYS_ADMIN, so the TS side puts it before SET_USER/CAPS
 * and it is installed at once; with no_new_privs set (NO_NEW_PRIVS ran) it
 * is kept and installed by EXEC right before execve, so that as few of
 * berth-init's own calls as possible are filtered. A listener path (for
 * SCMP_ACT_NOTIFY; "" without) changes this: the op first syncs with node
 * (BERTH_SYNC_SECCOMP_AGENT), whose SYNC_ACK carries the container process
 * state for the agent (runc's ContainerProcessState JSON: node knows the host
 * pid), installs the filter at once, whatever no_new_privs says, with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER in the flags, and sends the JSON with the
 * listener fd (SCM_RIGHTS, the one fd of "fds": ["seccompFd"]) over the
 * SECCOMP_AGENT socket, then closes both. Node must be there to answer, so
 * such an op comes before READY; sendmsg and close run after the filter is
 * in, so the profile must not send them to the agent. */
#define BERTH_OP_SECCOMP 80

/* dest_kind of MOUNT */
#define BERTH_DEST_DIR 0
#define BERTH_DEST_FILE 1

/* Message types */
#define BERTH_MSG_PID 1       /* parent→node: u64 host pid of the child */
#define BERTH_MSG_SYNC 2      /* child→parent→node: u64 sync id */
#define BERTH_MSG_SYNC_ACK 3  /* node→parent→child, and parent→child after maps;
                                 the payload from node goes on to the child
                                 (the reply to a sync point, often empty) */
#define BERTH_MSG_READY 4     /* child→parent→node */
#define BERTH_MSG_ERROR 5     /* u32 errno, u32 code (BERTH_ERR_*), text */
#define BERTH_MSG_EXIT 6      /* parent→node: u64 wait status of the child */
#define BERTH_MSG_ABORT 7     /* node→parent: kill the child, exit */
#define BERTH_MSG_WARNING 8   /* parent/child→node: text, for the log */

/* Sync ids for BERTH_OP_SYNC */
#define BERTH_SYNC_PARENT_SETUP 1 /* node has finished what it started at PID (the
                                     cgroup join): before a cgroup namespace is made */
#define BERTH_SYNC_HOOKS 2        /* node: prestart, createRuntime, createContainer */
#define BERTH_SYNC_RESOURCES 3    /* node: linux.resources, once the root is set up
                                     (device nodes exist before device rules apply,
                                     as in runc), before the user switch */
#define BERTH_SYNC_SECCOMP_AGENT 4 /* node: the state JSON for the seccomp agent,
                                      as the SYNC_ACK payload */

/* Error codes in BERTH_MSG_ERROR */
#define BERTH_ERR_GENERIC 1
#define BERTH_ERR_EXEC_NOT_FOUND 2 /* exec: "x": executable file not found in $PATH */
#define BERTH_ERR_EXEC_DENIED 3    /* exec: "x": permission denied */
#define BERTH_ERR_BAD_PLAN 4

#endif
