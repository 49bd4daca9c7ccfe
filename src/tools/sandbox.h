/* sandbox.h - code_interpreter's sandbox: persistent Python sessions in bubblewrap.
 *
 * A manager (struct sbx) runs on one event loop and keeps one session per key (a thread id).
 * A session is bubblewrap (no network, read-only system directories, private /tmp, /proc and
 * /dev, no user namespaces inside, a new session id, dies with its parent) with one Python 3
 * process inside that keeps its variables between calls; its /mnt/data is a tmpfs of a fixed
 * size that nothing else sees. Sessions are child processes watched by the loop (pidfd and
 * pipes), started on first use from a small pool of pre-started ones, ended after an idle
 * time, and evicted least recently used past a cap. Code never runs without the sandbox:
 * when bubblewrap or user namespaces are missing, sbx_check says why and sbx_exec refuses.
 *
 * Threads: every function runs on the loop's thread (or, before loop_run, on the thread
 * that owns the loop); every callback runs there too. It does not know about runs, steps or
 * file objects: the engine turns results into those. */
#ifndef ASSISTD_SANDBOX_H
#define ASSISTD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/loop.h"

struct sbx;

struct sbx_config {
	const char *bwrap;       /* bubblewrap binary (NULL: /usr/bin/bwrap); borrowed */
	const char *python;      /* Python 3 inside the sandbox (NULL: /usr/bin/python3) */
	int cpu_s;               /* CPU seconds per call (0: 60) */
	int wall_s;              /* wall seconds per call (0: 60) */
	int64_t memory;          /* bytes of address space per process (0: 1 GiB) */
	int nproc;               /* processes per session (0: 64) */
	int64_t file_size;       /* largest file the code may write, bytes (0: 256 MiB) */
	int64_t disk;            /* size of /mnt/data, bytes (0: 512 MiB) */
	int64_t tmp;             /* size of /tmp, bytes (0: 64 MiB) */
	int max_files;           /* files and directories in /mnt/data (0: 10000) */
	size_t output;           /* bytes of logs kept per call (0: 64 KiB) */
	int idle_s;              /* an idle session ends after this (0: 1800) */
	int max_sessions;        /* live sessions; past it the least recently used ends (0: 16) */
	int pool;                /* pre-started sessions (0: 1; -1: none) */
	unsigned sandbox_uid;    /* when the server runs as root, the uid sessions run as
				  * (0: 65534, nobody): root is exempt from RLIMIT_NPROC */
};

/* Which limit a call hit (SBX_LIMIT_NONE when none). */
enum sbx_limit {
	SBX_LIMIT_NONE,
	SBX_LIMIT_CPU,
	SBX_LIMIT_WALL,
	SBX_LIMIT_MEMORY,
	SBX_LIMIT_OUTPUT,
	SBX_LIMIT_DISK,
};

/* A file under /mnt/data that the call created or changed. */
struct sbx_file {
	char *name;     /* owned; relative to /mnt/data ("plot.png", "out/a.csv") */
	int64_t size;
	bool figure;    /* a matplotlib figure the sandbox saved (plt.show() or left open) */
};

struct sbx_result {
	int err;            /* 0: the code ran (it may have raised); else why it could not run:
			     * ERR_UNAVAILABLE (no sandbox), ERR_INTERNAL (the session failed to
			     * start or died; logs say so) */
	char *logs;         /* owned, NUL-terminated: stdout and stderr as printed, the
			     * traceback, then notes on truncation, limits and restarts */
	size_t logs_len;
	bool raised;        /* the code ended with an exception (its traceback is in logs) */
	enum sbx_limit limit;
	bool restarted;     /* the session ended: variables and /mnt/data are gone */
	struct sbx_file *files; /* owned array */
	size_t nfiles;
	int64_t wall_ms;    /* time from the call's start to its result */
	int64_t cpu_ms;     /* CPU time of the call as the driver measured it (for usage
			     * figures only: the code could change it); 0 when it died */
};

/* done(ctx, res): res is owned by the callee (free with sbx_result_free). */
typedef void sbx_done_fn(void *ctx, struct sbx_result *res);

/* Creates a manager on loop l (borrowed; it must outlive the manager). cfg is copied (its
 * strings too). Checks the sandbox at once (runs bubblewrap, blocking up to a few seconds)
 * and, when it works, starts the pool. *out is owned: free with sbx_free. Never fails for a
 * missing sandbox (sbx_check reports that). Errors: ERR_INTERNAL (data could not be set up). */
int sbx_new(const struct sbx_config *cfg, struct loop *l, struct sbx **out) MUST_CHECK;
/* Kills every session and frees the manager; NULL is a no-op. Pending calls get done with
 * ERR_UNAVAILABLE through the loop (at the latest in loop_free), so their callbacks must not
 * use s. Not from a callback. */
void sbx_free(struct sbx *s);


/* True when code can run. Otherwise *why (borrowed, valid while s lives) says what is
 * missing, in words for a user (bubblewrap not installed, user namespaces disabled...). */
bool sbx_check(const struct sbx *s, const char **why);

/* Runs code (UTF-8 Python source, copied) in key's session, starting one on first use.
 * done runs later on the loop's thread, exactly once, even when the call could not run;
 * calls for one key run one at a time in order. Never fails. */
void sbx_exec(struct sbx *s, const char *key, const char *code, sbx_done_fn *done, void *ctx);

/* Places the file at src_path (readable by the server) in key's /mnt/data as name (one
 * path component), replacing any file of that name, before the next sbx_exec for key runs;
 * starts the session if needed. src_path is opened now, copied when the session is ready
 * (on the loop thread; tmpfs to tmpfs or disk to tmpfs, so keep inputs reasonably small).
 * A copy that fails later (/mnt/data full) is noted at the top of the next call's logs.
 * Errors: ERR_UNAVAILABLE (no sandbox), ERR_INVALID (bad name), ERR_NOT_FOUND (no
 * src_path). */
int sbx_put_file(struct sbx *s, const char *key, const char *name, const char *src_path)
	MUST_CHECK;

/* Opens name (as listed in a result) in key's /mnt/data for reading, never following a
 * link, and only if it is a regular file. *fd is owned (close it). The file stays readable
 * through *fd even if the session ends. Errors: ERR_NOT_FOUND (no such session or file, or
 * not a regular file), ERR_INVALID (bad name). */
int sbx_open_file(struct sbx *s, const char *key, const char *name, int *fd) MUST_CHECK;

/* Ends key's session now, if it has one (the thread was deleted). Its pending calls,
 * the running one too, get done with ERR_UNAVAILABLE in a later iteration. */
void sbx_end(struct sbx *s, const char *key);

/* Sessions alive and bound to a key, and pre-started ones waiting in the pool. */
size_t sbx_sessions(const struct sbx *s);
size_t sbx_pooled(const struct sbx *s);

/* The name of a limit ("cpu", "wall", "memory", "output", "disk"; "" for none). */
const char *sbx_limit_name(enum sbx_limit limit);

void sbx_result_free(struct sbx_result *res);

#endif
