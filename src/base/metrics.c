/* metrics.c - the process-wide metrics and the Prometheus text format writer (see metrics.h).
 *
 * Every counter is a relaxed C11 atomic: a scrape may see one counter a little ahead of
 * another, which the format allows. Histograms keep per-bucket counts and make them
 * cumulative only when written, so an observation is two adds. */
#include "metrics.h"

#include <stdbool.h>
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

/* Upper bounds: 1 ms to 60 s, in microseconds and as the le label writes them (seconds). */
static const struct {
	int64_t us;
	const char *le;
} bounds[METRICS_NBUCKETS] = {
	{ 1000, "0.001" },   { 2500, "0.0025" },   { 5000, "0.005" },   { 10000, "0.01" },
	{ 25000, "0.025" },  { 50000, "0.05" },    { 100000, "0.1" },   { 250000, "0.25" },
	{ 500000, "0.5" },   { 1000000, "1" },     { 2500000, "2.5" },  { 5000000, "5" },
	{ 10000000, "10" },  { 60000000, "60" },
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

	while (i < METRICS_NBUCKETS && us > bounds[i].us)
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

/* The writers append without printf, which cost a scrape more than everything else. An
 * unbounded buffer never refuses; a bounded one just ends shorter. */
static void put(struct buf *b, const char *s)
{
	int err = buf_puts(b, s);

	(void)err;
}

static void put_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);
	int err;

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	err = buf_append(b, tmp + n, sizeof(tmp) - n);
	(void)err;
}

static void put_i64(struct buf *b, int64_t v)
{
	if (v < 0)
		put(b, "-");
	put_u64(b, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

/* Microseconds as seconds with six decimals ("%.6f"). */
static void put_seconds(struct buf *b, uint64_t us)
{
	char frac[8] = ".000000";

	put_u64(b, us / 1000000);
	for (int i = 6, f = (int)(us % 1000000); f; i--, f /= 10)
		frac[i] = (char)('0' + f % 10);
	put(b, frac);
}

/* "name{labels,le="le"} " with the braces only when there is a label. */
static void put_series(struct buf *b, const char *name, const char *suffix, const char *labels,
		       const char *le)
{
	bool any = labels && *labels;

	put(b, name);
	put(b, suffix);
	if (any || le)
		put(b, "{");
	if (any)
		put(b, labels);
	if (any && le)
		put(b, ",");
	if (le) {
		put(b, "le=\"");
		put(b, le);
		put(b, "\"");
	}
	put(b, any || le ? "} " : " ");
}

void metrics_family(struct buf *b, const char *name, const char *type, const char *help)
{
	const char *parts[] = { "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		put(b, parts[i]);
}

void metrics_sample(struct buf *b, const char *name, const char *labels, int64_t value)
{
	put_series(b, name, "", labels, NULL);
	put_i64(b, value);
	put(b, "\n");
}

void metrics_hist_write(struct buf *b, const char *name, const char *labels,
			const struct metrics_hist *h)
{
	uint64_t total = 0;

	for (size_t i = 0; i <= METRICS_NBUCKETS; i++) {
		total += atomic_load_explicit(&h->n[i], memory_order_relaxed);
		put_series(b, name, "_bucket", labels, i < METRICS_NBUCKETS ? bounds[i].le : "+Inf");
		put_u64(b, total);
		put(b, "\n");
	}
	put_series(b, name, "_sum", labels, NULL);
	put_seconds(b, atomic_load_explicit(&h->sum_us, memory_order_relaxed));
	put(b, "\n");
	put_series(b, name, "_count", labels, NULL);
	put_u64(b, total);
	put(b, "\n");
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
