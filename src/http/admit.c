/* admit.c - what is checked before a request's body is read: the server is running, the
 * framing is unambiguous, the target can be served, a route takes it, the before hook
 * (authentication) accepts it, and its body fits the size limit and the memory budget.
 *
 * It all runs on the first access call, when the headers are in and no body byte has been
 * read, so a client without a valid key cannot make the server hold its upload. A refused
 * body is read and dropped (body.c, up to HTTP_DISCARD_MAX) before the refusal is answered,
 * since a client still writing it would see a reset connection instead of the answer; a
 * client waiting for 100 Continue, or a body whose framing is unclear, is answered at once
 * and MHD closes the connection unread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "http_int.h"

typedef int admit_step(struct http_req *req);

static int check_running(struct http_req *req)
{
	if (!server_stopping(req->srv))
		return 0;
	/* The SDKs retry a 503; by then a restarted server answers. */
	http_header_add(req, "Retry-After", "1");
	return http_fail(req, ERR_UNAVAILABLE, NULL,
			 "The server is shutting down; retry in a moment.");
}

/* --- Framing: one way to tell where the body ends, or a proxy in front may disagree. --- */

struct framing {
	const char *length; /* the first Content-Length */
	bool lengths_differ;
	bool chunked;       /* a Transfer-Encoding header came */
};

static enum MHD_Result framing_visit(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct framing *f = cls;
	char first = (char)(key[0] | 0x20);

	/* Most headers are neither: their first letter says so without two string compares. */
	if (first != 't' && first != 'c')
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->chunked = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	if (f->length && strcmp(f->length, value) != 0)
		f->lengths_differ = true;
	if (!f->length)
		f->length = value;
	return MHD_YES;
}

static int check_framing(struct http_req *req)
{
	struct framing f = { NULL, false, false };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, framing_visit, &f);
	if (f.lengths_differ)
		return http_fail(req, ERR_INVALID, NULL,
				 "The request has Content-Length headers with different values; "
				 "send exactly one.");
	if (f.length && f.chunked)
		return http_fail(req, ERR_INVALID, NULL,
				 "The request has both Content-Length and Transfer-Encoding; send "
				 "only one of them.");
	return 0;
}

static int check_target(struct http_req *req)
{
	if (req->target_len > HTTP_MAX_TARGET)
		return http_fail(req, ERR_URI_TOO_LONG, NULL,
				 "The request URL is %zu bytes long; the limit is %d bytes. Send "
				 "long values in the request body.",
				 req->target_len, HTTP_MAX_TARGET);
	if (req->target_nul)
		return http_fail(req, ERR_INVALID, NULL,
				 "The request URL contains an encoded NUL character (%%00); remove "
				 "it.");
	return 0;
}

/* --- Routing --- */

/* Copies the path once and cuts it into the NUL-terminated param values. */
static void params_fill(struct http_req *req)
{
	size_t len = strlen(req->path);

	if (req->match.nparams == 0)
		return;
	req->pvals = len < sizeof(req->pinline) ? req->pinline : xmalloc(len + 1);
	memcpy(req->pvals, req->path, len + 1);
	for (size_t i = 0; i < req->match.nparams; i++) {
		const struct router_param *p = &req->match.params[i];

		req->pvals[p->off + p->len] = '\0';
	}
}

static int route_fail(struct http_req *req, int err)
{
	const struct http_config *cfg = &req->srv->cfg;
	struct buf allow;

	if (err == ERR_NOT_FOUND)
		return http_fail(req, err, NULL, "Invalid URL (%s %s)", req->method, req->path);
	buf_init(&allow, 256);
	router_allow(cfg->routes, cfg->nroutes, req->path, &allow);
	http_header_add(req, "Allow", allow.p ? allow.p : "");
	err = http_fail(req, err, NULL, "Method %s is not allowed for %s (allowed: %s)",
			req->method, req->path, allow.p ? allow.p : "");
	buf_cleanup(&allow);
	return err;
}

static int route(struct http_req *req)
{
	const struct http_config *cfg = &req->srv->cfg;
	int err = router_match(cfg->routes, req->srv->depths, cfg->nroutes, req->method,
			       req->path, &req->match);

	if (err)
		return route_fail(req, err);
	req->route = req->match.route;
	params_fill(req);
	return 0;
}

static int authenticate(struct http_req *req)
{
	http_handler *before = req->srv->cfg.before;

	return before ? before(req) : 0;
}

static int check_body(struct http_req *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;

	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, NULL, 10);
	return body_admit(req, errno == ERANGE ? UINT64_MAX : n);
}

/* A client that sent "Expect: 100-continue" waits for a word before sending its body. */
static bool expects_continue(struct http_req *req)
{
	const char *e = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_EXPECT);

	return e && strcasecmp(e, "100-continue") == 0;
}

int admit_request(struct http_req *req, bool *now)
{
	/* unread: the refusal is answered with the body unread, since where it ends is unclear. */
	static const struct {
		admit_step *fn;
		bool unread;
	} steps[] = {
		{ check_running, false }, { check_framing, true }, { check_target, false },
		{ route, false },         { authenticate, false }, { check_body, false },
	};
	int err = 0;

	*now = false;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !err; i++) {
		err = steps[i].fn(req);
		*now = err && (steps[i].unread || expects_continue(req));
	}
	return err;
}
