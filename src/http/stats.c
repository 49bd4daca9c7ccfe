/* stats.c - per-route request counts and latencies, and their Prometheus text.
 *
 * Every completed request is counted under its route's pattern (not its path, so ids do not
 * make new series) and its status, and its time from the request line to the end of the
 * response goes into the route's histogram. Requests that matched no route count under
 * route="unmatched". Statuses outside the table count as status="other". Counting is three
 * relaxed atomic adds and a short scan of the status table: no lock, no allocation. */
#include <stdio.h>
#include <stdlib.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "http_int.h"

/* The statuses assistd answers with; anything else counts as "other". */
static const int statuses[] = { 200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409,
				411, 413, 414, 415, 429, 431, 500, 502, 503, 504 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

struct http_route_stats {
	atomic_uint_least64_t by_status[NSTATUS + 1];
	struct metrics_hist latency;
};

void stats_init(struct http_server *srv)
{
	srv->stats = xcalloc(srv->cfg.nroutes + 1, sizeof(*srv->stats));
}

void stats_free(struct http_server *srv)
{
	free(srv->stats);
}

static size_t status_slot(int status)
{
	size_t i = 0;

	while (i < NSTATUS && statuses[i] != status)
		i++;
	return i;
}

void stats_count(const struct http_req *req)
{
	struct http_server *srv = req->srv;
	size_t r = req->route ? (size_t)(req->route - srv->cfg.routes) : srv->cfg.nroutes;
	struct http_route_stats *st = &srv->stats[r];

	if (!req->method)
		return; /* the connection closed before a request was read */
	atomic_fetch_add_explicit(&st->by_status[status_slot(req->status)], 1,
				  memory_order_relaxed);
	metrics_observe(&st->latency, clock_us() - req->start_us);
}

/* The labels of route r: its method and pattern, or "unmatched". */
static void route_labels(const struct http_server *srv, size_t r, char *out, size_t size)
{
	if (r == srv->cfg.nroutes)
		snprintf(out, size, "method=\"\",route=\"unmatched\"");
	else
		snprintf(out, size, "method=\"%s\",route=\"%s\"", srv->cfg.routes[r].method,
			 srv->cfg.routes[r].pattern);
}

static void write_counts(const struct http_server *srv, struct buf *b)
{
	char labels[256];
	char all[300];

	metrics_family(b, "assistd_http_requests_total", "counter",
		       "HTTP requests answered, by route pattern and status.");
	for (size_t r = 0; r <= srv->cfg.nroutes; r++) {
		labels[0] = '\0'; /* made for the routes that were called only */
		for (size_t s = 0; s <= NSTATUS; s++) {
			uint64_t n = atomic_load_explicit(&srv->stats[r].by_status[s],
							  memory_order_relaxed);
			if (n == 0)
				continue;
			if (!labels[0])
				route_labels(srv, r, labels, sizeof(labels));
			if (s < NSTATUS)
				snprintf(all, sizeof(all), "%s,status=\"%d\"", labels, statuses[s]);
			else
				snprintf(all, sizeof(all), "%s,status=\"other\"", labels);
			metrics_sample(b, "assistd_http_requests_total", all, (int64_t)n);
		}
	}
}

void http_metrics_write(const struct http_req *req, struct buf *b)
{
	const struct http_server *srv = req->srv;
	char labels[256];

	write_counts(srv, b);
	metrics_family(b, "assistd_http_request_seconds", "histogram",
		       "HTTP request latency by route pattern, to the end of the response.");
	for (size_t r = 0; r <= srv->cfg.nroutes; r++) {
		if (metrics_hist_count(&srv->stats[r].latency) == 0)
			continue; /* routes never called add no series */
		route_labels(srv, r, labels, sizeof(labels));
		metrics_hist_write(b, "assistd_http_request_seconds", labels,
				   &srv->stats[r].latency);
	}
}
