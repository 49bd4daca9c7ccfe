/* sink.c - request bodies a route takes piece by piece through its sink (http_body_sink),
 * never buffered here and bounded by max_sink_body instead of max_body.
 *
 * The request is routed and authenticated on the first access call, before any body byte is
 * taken. After an error (a refused key, the sink's own) the rest of the body is read and
 * dropped, up to HTTP_DISCARD_MAX, so the error reply goes out on a connection still in step;
 * a body announced larger than that is answered at once and the connection closed. Buffered
 * bodies are server.c's; parsing multipart bodies for a sink is multipart.c's. */
#include <stdlib.h>

#include "../base/log.h"
#include "http_int.h"

bool sink_wanted(struct http_req *req)
{
	const struct http_config *cfg = &req->srv->cfg;
	struct router_match m;

	if (router_match(cfg->routes, req->srv->depths, cfg->nroutes, req->method, req->path,
			 &m) != 0)
		return false;
	return m.route->sink != NULL;
}

/* The announced Content-Length, or UINT64_MAX when there is none (a chunked body). */
static uint64_t announced(const struct http_req *req)
{
	const char *cl = http_header(req, "Content-Length");
	char *end;
	unsigned long long n;

	if (!cl)
		return UINT64_MAX;
	n = strtoull(cl, &end, 10);
	return end == cl ? UINT64_MAX : (uint64_t)n;
}

static int too_large(struct http_req *req)
{
	return http_fail(req, ERR_TOO_LARGE, NULL,
			 "The request body is larger than the limit of %llu bytes.",
			 (unsigned long long)req->srv->cfg.max_sink_body);
}

/* Whether n body bytes are past max_sink_body. */
static bool past_limit(const struct http_req *req, uint64_t n)
{
	uint64_t max = req->srv->cfg.max_sink_body;

	return max && n != UINT64_MAX && n > max;
}

enum MHD_Result sink_begin(struct http_req *req)
{
	uint64_t len = announced(req);
	int err;

	req->streamed = true;
	err = server_route(req);
	if (!err && past_limit(req, len))
		err = too_large(req);
	if (!err)
		return MHD_YES;
	req->sink_err = err;
	if (len <= HTTP_DISCARD_MAX)
		return MHD_YES;
	/* Answered before the body is read: MHD then closes the connection. */
	return server_run(req, err);
}

bool sink_take(struct http_req *req, const char *data, size_t len)
{
	if (req->stage != REQ_RECEIVING)
		return true;
	req->sunk += len;
	if (!req->sink_err && past_limit(req, req->sunk))
		req->sink_err = too_large(req);
	if (!req->sink_err) {
		req->sink_err = req->route->sink(req, data, len);
		if (!req->sink_err)
			return true;
	}
	req->discarded += len;
	if (req->discarded <= HTTP_DISCARD_MAX)
		return true;
	log_warn("http: %s %s: body sent on far past its refusal; connection dropped",
		 req->method, req->path);
	return false;
}

enum MHD_Result sink_finish(struct http_req *req)
{
	return server_run(req, req->sink_err);
}
