/* body.c - request bodies: the memory budget all buffered bodies share, and taking each
 * piece of a body (buffered, handed to the route's sink, or dropped after an error).
 *
 * A buffered body reserves its memory from srv->body_mem before it is allocated: all of an
 * announced Content-Length at once, on the first access call (a body that does not fit is
 * refused there and never kept), or, for a chunked body, each growth of its buffer as it
 * comes. A chunked body that outgrows the limit or the budget midway is dropped and answered
 * once it has been read: MHD cannot answer in the middle of a body. A body refused at
 * admission is dropped the same way (body_refuse), up to HTTP_DISCARD_MAX bytes and
 * HTTP_DISCARD_MS after the refusal; past them the connection is closed unanswered. What a
 * request reserved is given back when it ends. Bodies a route sinks are not buffered and reserve nothing; max_sink_body
 * bounds them instead (by announced length at admission, then as they come). */
#include "../base/clock.h"
#include "../base/log.h"
#include "http_int.h"

/* Takes n bytes from the budget, or returns false when they do not fit. */
static bool budget_take(struct http_server *srv, size_t n)
{
	size_t max = srv->cfg.max_body_memory;
	size_t cur = atomic_load(&srv->body_mem);

	do {
		if (cur > max || n > max - cur)
			return false;
	} while (!atomic_compare_exchange_weak(&srv->body_mem, &cur, cur + n));
	return true;
}

static int busy(struct http_req *req)
{
	/* The SDKs retry a 503 after Retry-After; by then other bodies are done. */
	http_header_add(req, "Retry-After", "1");
	return http_fail(req, ERR_UNAVAILABLE, NULL,
			 "The server is busy receiving other requests (their bodies use the %zu "
			 "bytes it may hold); retry in a moment.",
			 req->srv->cfg.max_body_memory);
}

static int too_large(struct http_req *req)
{
	return http_fail(req, ERR_TOO_LARGE, NULL,
			 "The request body is larger than the limit of %zu bytes.",
			 req->srv->cfg.max_body);
}

/* Makes the body's buffer hold cap bytes in all, reserving the difference first. */
static int body_grow(struct http_req *req, size_t cap)
{
	if (cap <= req->reserved)
		return 0;
	if (!budget_take(req->srv, cap - req->reserved))
		return busy(req);
	buf_reserve(&req->body, cap);
	req->reserved = cap;
	return 0;
}

static int sink_too_large(struct http_req *req)
{
	return http_fail(req, ERR_TOO_LARGE, NULL,
			 "The request body is larger than the limit of %llu bytes.",
			 (unsigned long long)req->srv->cfg.max_sink_body);
}

/* Whether n bytes are past the limit of a sunk body. */
static bool sink_past(const struct http_req *req, uint64_t n)
{
	return req->srv->cfg.max_sink_body && n > req->srv->cfg.max_sink_body;
}

int body_admit(struct http_req *req, uint64_t len)
{
	if (req->route->sink)
		return sink_past(req, len) ? sink_too_large(req) : 0;
	if (len == 0)
		return 0;
	if (len > req->srv->cfg.max_body)
		return too_large(req);
	return body_grow(req, (size_t)len + 1);
}

/* A chunked body's buffer doubles (at least HTTP_BODY_STEP, at most the limit). */
static int body_buffer(struct http_req *req, const char *data, size_t len)
{
	struct buf *b = &req->body;
	size_t max = req->srv->cfg.max_body + 1;
	size_t need = b->len + len + 1;
	size_t cap = req->reserved * 2;
	int err;

	if (need > max)
		return too_large(req);
	if (need > req->reserved) {
		cap = cap < need ? need : cap;
		cap = cap < HTTP_BODY_STEP ? HTTP_BODY_STEP : cap;
		err = body_grow(req, cap < max ? cap : max);
		if (err)
			return err;
	}
	/* The room is there and within the limit: this cannot fail. */
	return buf_append(b, data, len);
}

/* Hands a piece to the route's sink, once it is counted against max_sink_body. */
static int sink_piece(struct http_req *req, const char *data, size_t len)
{
	req->sunk += len;
	if (sink_past(req, req->sunk))
		return sink_too_large(req);
	return req->route->sink(req, data, len);
}

void body_refuse(struct http_req *req, int err)
{
	req->body_err = err;
	req->refused_ms = clock_ms();
	body_release(req);
}

bool body_take(struct http_req *req, const char *data, size_t len)
{
	int err;

	if (!req->body_err) {
		err = req->route->sink ? sink_piece(req, data, len) : body_buffer(req, data, len);
		if (!err)
			return true;
		body_refuse(req, err);
	}
	req->discarded += len;
	if (req->discarded <= HTTP_DISCARD_MAX &&
	    clock_ms() - req->refused_ms <= HTTP_DISCARD_MS)
		return true;
	log_warn("http: %s %s: body sent on far past its refusal; connection dropped",
		 req->method, req->path);
	return false;
}

void body_release(struct http_req *req)
{
	buf_cleanup(&req->body);
	atomic_fetch_sub(&req->srv->body_mem, req->reserved);
	req->reserved = 0;
}
