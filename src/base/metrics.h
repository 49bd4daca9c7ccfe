/* metrics.h - the process's metrics: lock-free counters, gauges and latency histograms, and
 * a writer for the Prometheus text exposition format (version 0.0.4).
 *
 * Counting is a relaxed atomic add, cheap enough for every request; nothing is locked and
 * nothing allocates. The values that are not per route (runs, upstream calls, tokens, open
 * streams and held polls) live here, one process-wide set; the HTTP layer keeps its own
 * per-route counters with struct metrics_hist and writes them with the helpers below.
 * Label values given to the writers are written as they are: pass only static names (route
 * patterns, status names), never client input. */
#ifndef ASSISTD_METRICS_H
#define ASSISTD_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* The process-wide scalar metrics, named in the table of metrics.c. */
enum metrics_id {
	METRICS_UPSTREAM_CALLS,  /* model calls that ended (counter) */
	METRICS_UPSTREAM_ERRORS, /* of those, failed ones (counter) */
	METRICS_TOKENS_IN,       /* prompt tokens of ended calls (counter) */
	METRICS_TOKENS_OUT,      /* completion tokens of ended calls (counter) */
	METRICS_STREAMS,         /* server-sent event streams open now (gauge) */
	METRICS_POLLS,           /* requests parked by a long poll now (gauge) */
	METRICS_SANDBOXES,       /* code_interpreter sessions bound to a thread now (gauge) */
	METRICS_SANDBOXES_POOLED, /* sessions started ahead, not yet bound (gauge) */
	METRICS_LEASES,          /* run leases this node holds now (gauge) */
	METRICS_ID_COUNT
};

/* The limits that refuse requests (src/limits), as metrics_limited counts them; the same
 * order as the store's counters (enum store_count_kind). */
enum metrics_limit { METRICS_LIMIT_REQUESTS, METRICS_LIMIT_RUNS, METRICS_LIMIT_TOKENS,
		     METRICS_LIMIT_COUNT };

/* Latency histogram buckets, upper bounds in microseconds; a last +Inf bucket follows. */
#define METRICS_NBUCKETS 14

struct metrics_hist {
	atomic_uint_least64_t n[METRICS_NBUCKETS + 1]; /* per bucket, not cumulative */
	atomic_uint_least64_t sum_us;
};

/* Adds n (which may be negative for a gauge) to metric id. */
void metrics_add(enum metrics_id id, int64_t n);
/* Counts a run entering status s (called by status_run_move, and for new runs). */
void metrics_run_entered(enum run_status s);
/* Counts a request refused with 429 by a limit (enum metrics_limit). */
void metrics_limited(int limit);
/* Records one model call's latency. */
void metrics_upstream_time(int64_t us);
/* Records one observation of us microseconds in h. */
void metrics_observe(struct metrics_hist *h, int64_t us);

/* The number of observations in h. */
uint64_t metrics_hist_count(const struct metrics_hist *h);

/* Appends every process-wide metric to b in the text format. */
void metrics_write(struct buf *b);
/* Appends "# HELP name help" and "# TYPE name type" lines. */
void metrics_family(struct buf *b, const char *name, const char *type, const char *help);
/* Appends one sample "name{labels} value"; labels ("k=\"v\",...") may be NULL. */
void metrics_sample(struct buf *b, const char *name, const char *labels, int64_t value);
/* Appends h as the _bucket, _sum (seconds) and _count samples of name, with labels (may be
 * NULL) before the le label. */
void metrics_hist_write(struct buf *b, const char *name, const char *labels,
			const struct metrics_hist *h);

#endif
