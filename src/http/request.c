/* request.c - what a handler reads from its request: method, path, params, query, headers,
 * body, and the data it attaches to the request.
 *
 * Strings come from libmicrohttpd's per-connection memory (already URL-decoded) or from the
 * request itself, and are borrowed until the request ends. Nothing here allocates, except
 * to remember what http_keep and http_set_user hand over. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "http_int.h"

void *http_app(const struct http_req *req)
{
	return req->srv->cfg.app;
}

const char *http_method(const struct http_req *req)
{
	return req->method;
}

const char *http_path(const struct http_req *req)
{
	return req->path;
}

const char *http_request_id(const struct http_req *req)
{
	return req->id;
}

const char *http_param(const struct http_req *req, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < req->match.nparams; i++) {
		const struct router_param *p = &req->match.params[i];

		if (p->nlen == len && memcmp(p->name, name, len) == 0)
			return req->pvals + p->off;
	}
	return NULL;
}

/* --- Query: keys compare exactly (MHD's own lookup ignores case). --- */

struct query_scan {
	const char *key;
	size_t klen;
	const char **vals; /* up to max borrowed values */
	size_t max;
	size_t n;     /* values seen */
	bool first;   /* stop at the first value */
};

static enum MHD_Result query_collect(void *cls, enum MHD_ValueKind kind, const char *key,
				     size_t klen, const char *value, size_t vlen)
{
	struct query_scan *q = cls;

	if (klen != q->klen || memcmp(key, q->key, klen) != 0)
		return MHD_YES;
	/* "?flag" has no value: report it as present and empty. */
	if (q->n < q->max)
		q->vals[q->n] = value ? value : "";
	q->n++;
	return q->first ? MHD_NO : MHD_YES;
}

static size_t query_scan(const struct http_req *req, const char *key, const char **vals,
			 size_t max, bool first)
{
	struct query_scan q = { key, strlen(key), vals, max, 0, first };

	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_collect, &q);
	return q.n;
}

const char *http_query(const struct http_req *req, const char *key)
{
	const char *val = NULL;

	if (query_scan(req, key, &val, 1, true) == 0)
		return NULL;
	return val;
}

size_t http_query_all(const struct http_req *req, const char *key, const char **vals,
		      size_t max)
{
	return query_scan(req, key, vals, max, false);
}

struct query_each {
	int (*fn)(void *ctx, const char *key);
	void *ctx;
	int ret;
};

static enum MHD_Result query_visit(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t klen, const char *value, size_t vlen)
{
	struct query_each *e = cls;

	e->ret = e->fn(e->ctx, key);
	return e->ret == 0 ? MHD_YES : MHD_NO;
}

int http_query_each(const struct http_req *req, int (*fn)(void *ctx, const char *key), void *ctx)
{
	struct query_each e = { fn, ctx, 0 };

	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_visit, &e);
	return e.ret;
}

/* --- Headers and body --- */

const struct http_route *http_route_of(const struct http_req *req)
{
	return req->route;
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_body(const struct http_req *req, size_t *len)
{
	*len = req->body.len;
	return req->body.p ? req->body.p : "";
}

/* --- Data attached to the request --- */

void http_set_user(struct http_req *req, void *user, void (*free_fn)(void *))
{
	if (req->user_free && req->user != user)
		req->user_free(req->user);
	req->user = user;
	req->user_free = free_fn;
}

void *http_user(const struct http_req *req)
{
	return req->user;
}

void http_set_state(struct http_req *req, void *state, void (*free_fn)(void *))
{
	if (req->state_free && req->state != state)
		req->state_free(req->state);
	req->state = state;
	req->state_free = free_fn;
}

void *http_state(const struct http_req *req)
{
	return req->state;
}

void *http_keep(struct http_req *req, void *p)
{
	if (!p)
		return NULL;
	if (req->nkeep == req->capkeep) {
		req->capkeep = req->capkeep ? req->capkeep * 2 : 4;
		req->keep = xrealloc(req->keep, req->capkeep * sizeof(*req->keep));
	}
	req->keep[req->nkeep++] = p;
	return p;
}
