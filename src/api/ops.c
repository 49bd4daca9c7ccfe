/* ops.c - what operators and orchestrators call, outside /v1: the probes and the metrics.
 *
 *   GET /healthz  200 {"status":"ok"} while the process serves HTTP (liveness); no key.
 *   GET /readyz   200 {"status":"ready"} when the store answers a trivial query and the node
 *                 is not draining; otherwise 503 {"status":"not_ready","reason":...}; no key.
 *   GET /metrics  the Prometheus text format (0.0.4). It needs a valid API key of any project
 *                 (Authorization: Bearer KEY, which Prometheus sends with `authorization:`),
 *                 like /v1, because the counts describe every project's traffic; in open mode
 *                 (loopback, no key ever created) it is open like the rest, and counts
 *                 against the key's rate limits like any request.
 * The probes are cheap: no allocation beyond the reply, one read on a pooled connection. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/metrics.h"
#include "../json/json.h"
#include "../store/vstore.h"
#include "api.h"
#include "common.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char *const public_paths[] = { "/healthz", "/readyz" };

bool ops_public(const struct http_req *req)
{
	const char *path = http_path(req);

	for (size_t i = 0; i < sizeof(public_paths) / sizeof(public_paths[0]); i++) {
		if (strcmp(path, public_paths[i]) == 0)
			return true;
	}
	return false;
}

/* Replies {"status": status} plus "reason" when not NULL. */
static int reply_status(struct http_req *req, int code, const char *status, const char *reason)
{
	jv *o = jv_object();
	char *text;

	jv_set_str(o, "status", status);
	if (reason)
		jv_set_str(o, "reason", reason);
	text = jv_dump(o);
	jv_free(o);
	http_header_add(req, "Cache-Control", "no-store");
	return http_reply_json(req, code, text);
}

int ops_healthz(struct http_req *req)
{
	return reply_status(req, 200, "ok", NULL);
}

int ops_readyz(struct http_req *req)
{
	struct api *api = api_ctx(req);

	if (atomic_load(&api->draining))
		return reply_status(req, 503, "not_ready",
				    "the node is draining (stopping): send new requests elsewhere");
	if (store_ping(api->st) != 0)
		return reply_status(req, 503, "not_ready",
				    "the store does not answer; see the server's log");
	return reply_status(req, 200, "ready", NULL);
}

/* The ingestion queue is the store's, the same on every node: asked at each scrape. */
static void write_queue(struct http_req *req, struct buf *b)
{
	int64_t n = 0;

	if (store_jobs_count(api_ctx(req)->st, &n) != 0)
		return; /* logged; the other metrics still go out */
	metrics_family(b, "assistd_ingest_queue", "gauge",
		       "Files attached to vector stores waiting for or in ingestion, all nodes'.");
	metrics_sample(b, "assistd_ingest_queue", NULL, n);
}

int ops_metrics(struct http_req *req)
{
	struct buf b;
	size_t len;

	buf_init(&b, 0);
	buf_reserve(&b, 32 * 1024);
	http_metrics_write(req, &b);
	metrics_write(&b);
	write_queue(req, &b);
	http_header_add(req, "Cache-Control", "no-store");
	len = b.len;
	return http_reply_bytes(req, 200, METRICS_TYPE, buf_release(&b), len);
}
