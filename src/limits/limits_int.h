/* limits_int.h - what limits.c (the checks) and limits_sync.c (the thread that shares the
 * counts and reloads the limits) share. Private to src/limits. */
#ifndef ASSISTD_LIMITS_INT_H
#define ASSISTD_LIMITS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "limits.h"

/* One kind of one limit, counted in the window [win_ms, end_ms). What the subject used
 * there is base + pending + delta: base is every node's total as last read from the store,
 * pending what this node sent with the sync in flight, delta what it counted since. */
struct lim_counter {
	int64_t win_ms;
	int64_t end_ms;
	int64_t base;
	int64_t pending;
	int64_t delta;
};

struct lim_rule {
	struct store_limit l;              /* owned strings */
	int64_t max[LIMITS_KINDS];         /* per kind, 0: none */
	struct lim_counter c[LIMITS_KINDS];
};

struct limits {
	struct store *st;
	int64_t window_ms;
	int sync_ms;
	pthread_mutex_t mu;      /* guards everything below, and the counters */
	struct lim_rule *rules;  /* sorted by (scope, subject); replaced by the sync thread only */
	size_t nrules;
	struct lim_rule **by_hash; /* the keys' rules with a hash, sorted by it */
	size_t nhash;
	atomic_bool any;         /* nrules > 0: without limits a check takes no lock */
	pthread_cond_t cv;       /* wakes the sync thread early, to stop */
	bool stop;
	bool failing;            /* the last sync failed (logged once) */
	pthread_t thread;
};

/* The window of kind for rule r at now_ms: sets *start and *end (Unix milliseconds). */
void lim_window(const struct limits *lim, const struct lim_rule *r, int kind, int64_t now_ms,
		int64_t *start, int64_t *end);
/* Moves counter kind of r to the window of now_ms, starting from zero when it changed (the
 * window is computed only then: a budget's month takes two calendar conversions). */
void lim_roll(const struct limits *lim, struct lim_rule *r, int kind, int64_t now_ms);
/* The rule of (scope, subject) in rules[0..n), or NULL. */
struct lim_rule *lim_find(struct lim_rule *rules, size_t n, enum store_limit_scope scope,
			  const char *subject);

/* The sync thread (limits_sync.c): lim_sync_once reloads the limits and shares the counts
 * once (the thread calls it every sync_ms, limits_stop once more); it returns 0 or ERR_DB,
 * already logged. */
int lim_sync_once(struct limits *lim);
void *lim_sync_main(void *arg);

#endif
