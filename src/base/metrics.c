/* metrics.c - the process-wide metrics and the Prometheus text format writer (see metrics.h).
 *
 * Every counter is a relaxed C11 atomic: a scrape may see one counter a little ahead of
 * another, which the format allows. Histograms keep per-bucket counts and make them
 * cumulative only when written, so an observation is two adds. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>

struct metrics_def {
	const char *name;
	const char *type;
	const char *help;
};

static const struct metrics_def defs[METRICS_ID_COUNT] = {
	[METRICS_UPSTREAM_CALLS] = { "assistd_upstream_calls_total", "counter",
				     "Model calls that ended, successfully or not." },
	[METRICS_UPSTREAM_ERRORS] = { "assistd_upstream_errors_total", "counter",
				      "Model calls that failed." },
	[METRICS_TOKENS_IN] = { "assistd_tokens_in_total", "counter",
				"Prompt tokens sent to the model." },
	[METRICS_TOKENS_OUT] = { "assistd_tokens_out_total", "counter",
				 "Completion tokens received from the model." },
	[METRICS_STREAMS] = { "assistd_streams_active", "gauge",
			      "Server-sent event streams open now." },
	[METRICS_POLLS] = { "assistd_polls_held", "gauge",
			    "Requests held open by a long poll now." },
	[METRICS_SANDBOXES] = { "assistd_sandboxes_active", "gauge",
				"code_interpreter sandbox sessions bound to a thread now." },
	[METRICS_SANDBOXES_POOLED] = { "assistd_sandboxes_pooled", "gauge",
				       "Sandbox sessions started ahead and not yet bound." },
	[METRICS_LEASES] = { "assistd_leases_held", "gauge",
			     "Run leases this node holds: the runs it drives or keeps waiting." },
};

/* Upper bounds in microseconds: 1 ms to 60 s. */
static const int64_t bounds_us[METRICS_NBUCKETS] = {
	1000,    2500,    5000,    10000,   25000,    50000,    100000,
	250000,  500000,  1000000, 2500000, 5000000, 10000000, 60000000,
};

static atomic_int_least64_t values[METRICS_ID_COUNT];
static atomic_uint_least64_t runs_entered[RUN_STATUS_COUNT];
static struct metrics_hist upstream;
static atomic_uint_least64_t limited[METRICS_LIMIT_COUNT];
static const char *const limit_names[METRICS_LIMIT_COUNT] = { "requests", "runs", "tokens" };

void metrics_add(enum metrics_id id, int64_t n)
{
	atomic_fetch_add_explicit(&values[id], n, memory_order_relaxed);
}

void metrics_run_entered(enum run_status s)
{
	if ((unsigned)s < RUN_STATUS_COUNT)
		atomic_fetch_add_explicit(&runs_entered[s], 1, memory_order_relaxed);
}

void metrics_limited(int limit)
{
	if (limit >= 0 && limit < METRICS_LIMIT_COUNT)
		atomic_fetch_add_explicit(&limited[limit], 1, memory_order_relaxed);
}

void metrics_upstream_time(int64_t us)
{
	metrics_observe(&upstream, us);
}

void metrics_observe(struct metrics_hist *h, int64_t us)
{
	size_t i = 0;

	while (i < METRICS_NBUCKETS && us > bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us > 0 ? (uint64_t)us : 0, memory_order_relaxed);
}

uint64_t metrics_hist_count(const struct metrics_hist *h)
{
	uint64_t n = 0;

	for (size_t i = 0; i <= METRICS_NBUCKETS; i++)
		n += atomic_load_explicit(&h->n[i], memory_order_relaxed);
	return n;
}

/* --- The text format --- */

/* Appends to b; an unbounded buffer never refuses, a bounded one just ends shorter. */
__attribute__((format(printf, 2, 3))) static void emit(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = buf_vprintf(b, fmt, ap);
	va_end(ap);
	(void)err;
}

void metrics_family(struct buf *b, const char *name, const char *type, const char *help)
{
	emit(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(struct buf *b, const char *name, const char *labels, int64_t value)
{
	if (labels && *labels)
		emit(b, "%s{%s} %lld\n", name, labels, (long long)value);
	else
		emit(b, "%s %lld\n", name, (long long)value);
}

void metrics_hist_write(struct buf *b, const char *name, const char *labels,
			const struct metrics_hist *h)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t total = 0;

	labels = labels ? labels : "";
	for (size_t i = 0; i <= METRICS_NBUCKETS; i++) {
		total += atomic_load_explicit(&h->n[i], memory_order_relaxed);
		if (i < METRICS_NBUCKETS)
			emit(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			     (double)bounds_us[i] / 1e6, (unsigned long long)total);
		else
			emit(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
			     (unsigned long long)total);
	}
	emit(b, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
	     (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
	emit(b, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
	     (unsigned long long)total);
}

static void write_runs(struct buf *b)
{
	char labels[64];

	metrics_family(b, "assistd_runs_total", "counter",
		       "Runs that entered each status since the process started.");
	for (int s = 0; s < RUN_STATUS_COUNT; s++) {
		snprintf(labels, sizeof(labels), "status=\"%s\"", status_run_name(s));
		metrics_sample(b, "assistd_runs_total", labels,
			       (int64_t)atomic_load_explicit(&runs_entered[s],
							     memory_order_relaxed));
	}
}

static void write_limited(struct buf *b)
{
	char labels[32];

	metrics_family(b, "assistd_rate_limited_total", "counter",
		       "Requests refused with 429 by a rate limit or token budget, by limit.");
	for (int i = 0; i < METRICS_LIMIT_COUNT; i++) {
		snprintf(labels, sizeof(labels), "limit=\"%s\"", limit_names[i]);
		metrics_sample(b, "assistd_rate_limited_total", labels,
			       (int64_t)atomic_load_explicit(&limited[i], memory_order_relaxed));
	}
}

void metrics_write(struct buf *b)
{
	for (int i = 0; i < METRICS_ID_COUNT; i++) {
		metrics_family(b, defs[i].name, defs[i].type, defs[i].help);
		metrics_sample(b, defs[i].name, NULL,
			       atomic_load_explicit(&values[i], memory_order_relaxed));
	}
	write_runs(b);
	write_limited(b);
	metrics_family(b, "assistd_upstream_seconds", "histogram",
		       "Model call latency, from the request to its end.");
	metrics_hist_write(b, "assistd_upstream_seconds", NULL, &upstream);
}
