/* limits.h - rate limits and token budgets per API key and per project.
 *
 * The operator sets them in the store (`assistd limits`, store_limit_set): requests per
 * window and runs created per window (the window is a minute unless --limit-window-ms says
 * otherwise), and a budget of run tokens (prompt + completion) per UTC day or calendar month.
 * A request of a key is checked against the key's limits and its project's.
 *
 * Counting costs no database write: each node counts in memory, and a thread of its own adds
 * the local counts to the store's shared counters and reads every node's totals back every
 * sync_ms (store_count_sync). A node therefore sees the other nodes' uses up to about two
 * syncs late, and all nodes together may admit that much past a limit: with N nodes, at most
 * what N - 1 nodes admit in 2 * sync_ms. Tokens are counted when a model turn ends, so a
 * budget is also passed by at most the turns in flight when it ran out.
 *
 * Thread-safe: every function may be called from any thread. */
#ifndef ASSISTD_LIMITS_H
#define ASSISTD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../store/store.h"

#define LIMITS_KINDS 3 /* enum store_count_kind: requests, runs, tokens */
#define LIMITS_WINDOW_MS 60000
#define LIMITS_SYNC_MS 200

struct limits;

struct limits_config {
	struct store *st;  /* borrowed for the limits' lifetime */
	int64_t window_ms; /* the window of the request and run limits; 0: LIMITS_WINDOW_MS */
	int sync_ms;       /* how often counts are shared through the store; 0: LIMITS_SYNC_MS */
};

/* What applies to a caller after a check: per kind, of the key's and the project's limits,
 * the one with the least left (for the x-ratelimit-* headers). When a check refuses, the
 * refusal fields say which limit and for how long. */
struct limits_state {
	bool set[LIMITS_KINDS];          /* a limit of that kind applies */
	int64_t limit[LIMITS_KINDS];
	int64_t remaining[LIMITS_KINDS]; /* never below 0 */
	int64_t reset_ms[LIMITS_KINDS];  /* until its window or period ends */
	enum store_count_kind refused;   /* the limit that refused */
	enum store_limit_scope scope;    /* whose limit it is: the key's or the project's */
	char subject[72];                /* the key's id or the project's name */
	bool monthly;                    /* a refused budget's period is a month, else a day */
	int64_t max;                     /* the refusing limit */
	int64_t used;                    /* what was used of it */
	int64_t retry_ms;                /* until its window or period ends */
};

/* Reads the limits from the store and starts the thread that shares the counts. *out is
 * owned: limits_stop. Errors: ERR_DB, ERR_INTERNAL (the thread). */
int limits_start(const struct limits_config *cfg, struct limits **out) MUST_CHECK;
/* Shares what is still counted, stops the thread and frees lim. NULL is a no-op. */
void limits_stop(struct limits *lim);

/* Counts a request of the key with hash key_hash (NULL when there is none: open mode) in
 * project, and a new run too when run is set, unless a limit refuses it. A run is also
 * refused while a token budget that applies is spent. Fills *s. Errors: ERR_REQUESTS (a rate
 * limit: retry after s->retry_ms), ERR_QUOTA (a spent budget). */
int limits_admit(struct limits *lim, const char *key_hash, const char *project, bool run,
		 struct limits_state *s) MUST_CHECK;
/* Counts n tokens a run used against the budgets of the key (key_hash may be NULL) and the
 * project. */
void limits_tokens(struct limits *lim, const char *key_hash, const char *project, int64_t n);
/* Whether a run of the key and project may start another model turn: ERR_QUOTA when a
 * budget that applies is spent, with a sentence saying which in why; else 0. */
int limits_budget(struct limits *lim, const char *key_hash, const char *project, char *why,
		  size_t len) MUST_CHECK;

/* The window of the request and run limits, in milliseconds (for messages). */
int64_t limits_window_ms(const struct limits *lim);
/* The longest text limits_decimal and limits_duration write, with its NUL. */
#define LIMITS_TEXT_LEN 40

/* Writes v (0 for a negative v) in decimal into out (LIMITS_TEXT_LEN bytes): the header
 * values, written without printf, which costs more than the rest of a check. */
void limits_decimal(int64_t v, char *out);
/* Writes the time d (milliseconds) as the x-ratelimit-reset-* headers do into out
 * (LIMITS_TEXT_LEN bytes): "20ms", "1.5s", "6m0s", "26h3m0s". */
void limits_duration(int64_t d, char *out);
/* Writes a sentence for a spent budget (for a 429 and for a run's last_error). */
void limits_quota_message(const struct limits_state *s, char *out, size_t len);

#endif
