/* follow_bench.c - benchmark 3 of issue 10: how long a run's event takes from the node that
 * drives the run to a stream of it on another node.
 *
 *   bench/out/follow_bench DIR PROJECT
 *
 * This process is the other node: it opens the store in DIR, the data directory of a running
 * assistd (the driving node), or the PostgreSQL database ASSISTD_DATABASE_URL names when it
 * is set (as assistd does), and an engine of its own on it, exactly as a second server
 * would. For each run id read from stdin (one a line) it streams the run from the event log
 * with engine_follow from its start, reading the channel as an SSE reply does (woken by the
 * channel), and for every stamp in a thread.message.delta's text (tools/fake.js --stamp: the
 * CLOCK_MONOTONIC nanoseconds at which the fake upstream wrote the token) takes
 * arrival - stamp. The first run warms up and is not counted. It prints "ready" once its
 * engine runs, "ok" after each run, and at end of input one JSON line with the percentiles (milliseconds). No HTTP: the SSE framing is the channel's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/base/alloc.h"
#include "../src/engine/engine.h"

#define MAX_SAMPLES 1000000

struct reader {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int woken;
};

static double *samples;
static size_t nsamples;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void wake(void *ctx)
{
	struct reader *r = ctx;

	pthread_mutex_lock(&r->mu);
	r->woken = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Takes arrival - stamp for each number of 6 digits or more in the deltas of sse. */
static void take_stamps(const char *sse, int64_t arrival)
{
	const char *p = sse;

	while ((p = strstr(p, "event: thread.message.delta\n")) != NULL) {
		const char *end = strstr(p, "\n\n");

		for (p += 28; p < end; p++) {
			char *after;
			long long stamp;

			if (*p < '0' || *p > '9')
				continue;
			stamp = strtoll(p, &after, 10);
			if (after - p >= 6 && nsamples < MAX_SAMPLES)
				samples[nsamples++] = (double)(arrival - stamp) / 1e6;
			p = after;
		}
	}
}

/* Streams run from the log to its end; returns 0 when it ended with a completed run. */
static int follow(struct engine *e, const char *project, const char *run)
{
	struct reader r = { .woken = 0 };
	struct events_waker w = { wake, &r };
	struct events *ch = engine_follow(e, project, run, 0);
	struct buf out;
	enum events_read got;
	int completed = 0;

	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	buf_init(&out, 0);
	events_attach(ch, &r);
	do {
		buf_reset(&out);
		got = events_read(ch, &r, &out, 1 << 20, &w);
		if (got == EVENTS_MORE) {
			take_stamps(out.p, now_ns());
			completed |= strstr(out.p, "event: thread.run.completed\n") != NULL;
		} else if (got == EVENTS_WAIT) {
			pthread_mutex_lock(&r.mu);
			while (!r.woken)
				pthread_cond_wait(&r.cv, &r.mu);
			r.woken = 0;
			pthread_mutex_unlock(&r.mu);
		}
	} while (got != EVENTS_END);
	events_detach(ch, &r);
	events_unref(ch);
	buf_cleanup(&out);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	return completed ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	size_t i = (size_t)(p * (double)(nsamples - 1) + 0.5);

	return nsamples ? samples[i] : 0;
}

int main(int argc, char **argv)
{
	/* A node name of its own: a node takes the runs of a former process of its name. */
	struct engine_config ec = { .run_expiry_s = 600, .node = "follow-bench" };
	struct store *st = NULL;
	struct engine *e = NULL;
	char line[256];
	int runs = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: follow_bench DIR PROJECT\n");
		return 2;
	}
	samples = xcalloc(MAX_SAMPLES, sizeof(*samples));
	if (store_open_url(getenv("ASSISTD_DATABASE_URL"), argv[1], &st))
		return 1;
	ec.st = st;
	if (engine_start(&ec, &e))
		return 1;
	/* Started before any run exists: without leases (nodes), an engine starting takes up
	 * the store's unfinished runs as its own. */
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (follow(e, argv[2], line)) {
			fprintf(stderr, "follow_bench: run %s did not end completed\n", line);
			return 1;
		}
		if (runs++ == 0)
			nsamples = 0; /* the warm-up */
		printf("ok\n");
		fflush(stdout);
	}
	qsort(samples, nsamples, sizeof(double), cmp_double);
	printf("{\"runs\": %d, \"samples\": %zu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
	       "\"max\": %.3f}\n", runs, nsamples, pct(0.5), pct(0.9), pct(0.99),
	       nsamples ? samples[nsamples - 1] : 0);
	engine_stop(e);
	store_close(st);
	free(samples);
	return 0;
}
