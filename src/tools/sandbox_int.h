/* sandbox_int.h - what the sandbox's files share: the manager, sessions and their jobs.
 *
 * sandbox.c is the manager (sessions by key, pool, LRU, idle timers, calls and results),
 * sandbox_proc.c starts and talks to one session's processes, sandbox_files.c looks at a
 * session's /mnt/data. Everything here belongs to the loop's thread. */
#ifndef ASSISTD_SANDBOX_INT_H
#define ASSISTD_SANDBOX_INT_H

#include <sys/types.h>

#include "../base/buf.h"
#include "../base/loop.h"
#include "../base/timer.h"
#include "../json/json.h"
#include "sandbox.h"

/* A queued call (code set) or file placement (name and src_fd set). */
struct sbx_job {
	struct sbx_job *next;
	char *code;         /* owned */
	char *name;         /* owned */
	int src_fd;         /* owned; -1 for a call */
	sbx_done_fn *done;
	void *ctx;          /* borrowed */
};

enum sbx_state { SBX_STARTING, SBX_READY, SBX_BUSY, SBX_DEAD };

/* What /mnt/data held: name, size and change time of each entry, sorted by name. */
struct sbx_entry {
	char *name;         /* owned */
	int64_t size;
	int64_t mtime_ns;
	ino_t ino;
};

struct sbx_snapshot {
	struct sbx_entry *v; /* owned array */
	size_t len;
	size_t entries;      /* files and directories seen (the walk stops past the cap) */
};

struct sbx_sess {
	struct sbx *s;          /* borrowed */
	char *key;              /* owned; NULL while pooled */
	enum sbx_state state;
	pid_t pid;              /* bubblewrap, our child; 0 once reaped */
	int chan;               /* framed socket to the driver (its fd 3) */
	int out;                /* read end of the driver's stdout and stderr */
	int data;               /* O_PATH descriptor of its /mnt/data; -1 until ready */
	struct loop_io chan_io;
	struct loop_io out_io;
	struct timer idle;      /* ends an idle session */
	struct timer watch;     /* wall-time and /mnt/data watchdog during a call */
	struct buf frame;       /* bytes of the frame being read from chan */
	struct buf logs;        /* the running call's output, capped */
	size_t dropped;         /* output bytes past the cap */
	struct buf notes;       /* said at the top of the next call's logs */
	struct sbx_job *head;   /* queued jobs (owned list) */
	struct sbx_job *tail;
	struct sbx_job *cur;    /* the running call (owned) */
	struct sbx_snapshot before;
	enum sbx_limit limit;   /* a limit the watchdog saw during the call */
	int64_t started_ms;     /* the running call's start */
	int64_t last_used;      /* clock_ms() of the last call or placement (for LRU) */
	bool listed;            /* in the manager's bound or pool list */
	bool out_eof;           /* the output pipe is closed */
	struct sbx_sess *prev;  /* in the manager's list: bound (LRU order) or pool */
	struct sbx_sess *next;
};

/* The manager's copy of the configuration with defaults filled in. */
struct sbx_limits {
	char *bwrap;
	char *python;
	int cpu_s;
	int wall_s;
	int64_t memory;
	int nproc;
	int64_t file_size;
	int64_t disk;
	int64_t tmp;
	int max_files;
	size_t output;
	int idle_s;
	int max_sessions;
	int pool;
	unsigned uid;
};

struct sbx {
	struct loop *l;         /* borrowed */
	struct sbx_limits lim;
	char *why;              /* owned; NULL when the sandbox works */
	struct sbx_sess *bound; /* sessions bound to a key (owned list) */
	struct sbx_sess *pool;  /* pre-started sessions (owned list) */
	size_t nbound;
	size_t npool;
	size_t ndying;          /* killed, waiting to be reaped */
	int null;               /* /dev/null, where output past the cap is spliced */
	int start_failures;     /* sessions that died before their hello, in a row */
	bool freeing;
};

#define SBX_START_FAILURES 3 /* in a row, before the pool stops starting sessions */
#define SBX_ENDED "the sandbox's Python process ended (the code killed it, or it crashed)"

/* sandbox.c: what a session's watchers run */
void sbx_on_chan(void *arg, int fd, int ready);
void sbx_on_out(void *arg, int fd, int ready);
void sbx_on_watch(void *arg);
/* sess died or has to be stopped: its running call is answered with what it printed, the
 * limit and why (restarted), its queued jobs move to a new session for its key. */
void sbx_die(struct sbx_sess *sess, enum sbx_limit limit, const char *why);

/* sandbox_sess.c */
void sbx_job_free(struct sbx_job *j);
/* key's session (borrowed), or NULL. */
struct sbx_sess *sbx_sess_find(const struct sbx *s, const char *key);
/* The session for key (borrowed): its own, one from the pool, or a new one, ending the least
 * recently used idle session past the cap. NULL when every session is busy at the cap, or a
 * session cannot start. */
struct sbx_sess *sbx_sess_get(struct sbx *s, const char *key);
/* Takes sess out of its list and kills it; it is freed once reaped (now, if it was). Its
 * running and queued calls are answered with ERR_UNAVAILABLE. */
void sbx_sess_kill(struct sbx_sess *sess);
/* Starts sessions until the pool is full (unless starts keep failing). */
void sbx_pool_fill(struct sbx *s);
/* Starts (or restarts) the timer that ends sess after lim.idle_s. */
void sbx_idle_start(struct sbx_sess *sess);
/* Answers a call that could not run with err and why, in a later loop iteration. */
void sbx_refuse(struct sbx *s, sbx_done_fn *done, void *ctx, int err, const char *why);
/* Answers every call in the list so, and frees the list. */
void sbx_refuse_jobs(struct sbx *s, struct sbx_job *head, const char *why);

/* sandbox_proc.c */
/* Starts bubblewrap with the driver for sess (pid, chan and out set; both descriptors
 * non-blocking). Errors: ERR_INTERNAL (logged). */
int sbx_proc_spawn(const struct sbx_limits *lim, struct sbx_sess *sess) MUST_CHECK;
/* Reads the driver's "ready" frame with its /mnt/data descriptor into sess->data.
 * Errors: ERR_TIMEOUT (not all there yet: call again when chan is readable), ERR_INTERNAL
 * (the driver died or spoke nonsense). */
int sbx_proc_ready(struct sbx_sess *sess) MUST_CHECK;
/* Writes one request frame (blocking briefly if the socket is full). Errors: ERR_INTERNAL. */
int sbx_proc_send(struct sbx_sess *sess, const char *code) MUST_CHECK;
/* Reads what chan has into sess->frame; *done is set when a whole frame is there (its
 * payload then starts at frame.p + 4). Errors: ERR_INTERNAL (closed or oversized). */
int sbx_proc_read_frame(struct sbx_sess *sess, bool *done) MUST_CHECK;
/* Runs the whole sandbox once, synchronously (up to 20 s), to see that it works. Returns
 * NULL when it does, else an owned message (free with free()) saying why not. */
char *sbx_proc_probe(const struct sbx_limits *lim);

/* sandbox_files.c */
/* Walks sess's /mnt/data into snap (replacing its contents); stops counting past the file
 * cap. */
void sbx_files_scan(struct sbx_sess *sess, struct sbx_snapshot *snap);
void sbx_snapshot_cleanup(struct sbx_snapshot *snap);
/* What changed between before and after, as result files; figures (names the driver
 * reported) are marked. *out is an owned array of *n owned entries. */
void sbx_files_diff(const struct sbx_snapshot *before, const struct sbx_snapshot *after,
		    const jv *figures, struct sbx_file **out, size_t *n);
/* True when /mnt/data is full (space or entries). */
bool sbx_files_full(const struct sbx_sess *sess);
/* Files and directories in /mnt/data, from the file system's own count. */
uint64_t sbx_files_entries(const struct sbx_sess *sess);
/* Copies src_fd into sess's /mnt/data as name. Errors: ERR_LIMIT (full), ERR_INTERNAL. */
int sbx_files_put(struct sbx_sess *sess, const char *name, int src_fd) MUST_CHECK;
/* Opens name under dir (no links, regular files only). Errors: ERR_NOT_FOUND. */
int sbx_files_open(int dir, const char *name, int *fd) MUST_CHECK;
/* True for a name sbx_put_file accepts: one path component, not "." or "..", <= 255. */
bool sbx_files_name_ok(const char *name);

/* sandbox_logs.c: the running call's output, capped at lim.output */
/* Starts a call's logs: empty, and the output pipe watched again. */
void sbx_logs_begin(struct sbx_sess *sess);
/* Reads what the pipe has: kept during a call up to the cap; past it, or between calls,
 * spliced to /dev/null without copying. Returns true when the pipe closed. */
bool sbx_logs_read(struct sbx_sess *sess);
/* Reads up to max bytes of output without waiting. */
void sbx_logs_drain(struct sbx_sess *sess, size_t max);
/* A note for the top of the next call's logs. */
void sbx_logs_notef(struct sbx_sess *sess, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The call's logs for res (its limit and restart decided): notes, output as valid UTF-8,
 * then what was cut and why the call ended. why (may be NULL) says why the session ended.
 * Owned; *len is its length. */
char *sbx_logs_finish(struct sbx_sess *sess, struct sbx_result *res, const char *why,
		      size_t *len);

#endif
