/* upload.c - request bodies streamed through a route's sink (struct http_sink in http.h): a
 * multipart/form-data body parsed by libmicrohttpd's post processor as the bytes arrive, and
 * handed on part by part, piece by piece, so that an upload is never held in memory.
 *
 * The request is routed and authenticated on the first access call, before any body byte is
 * taken. After an error (refused key, wrong content type, over the limit, a sink's own
 * error) the rest of the body is read and dropped, up to HTTP_DISCARD_MAX, so the error reply
 * goes out on a connection still in step; a body announced larger than that is answered at
 * once and the connection closed. Buffered bodies are server.c's. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "http_int.h"

#define MULTIPART "multipart/form-data"

bool upload_wanted(struct http_req *req)
{
	const struct http_config *cfg = &req->srv->cfg;
	struct router_match m;

	if (router_match(cfg->routes, req->srv->depths, cfg->nroutes, req->method, req->path,
			 &m) != 0)
		return false;
	return m.route->sink != NULL;
}

/* The announced Content-Length, or -1 when there is none (a chunked body). */
static int64_t announced(const struct http_req *req)
{
	const char *cl = http_header(req, "Content-Length");
	char *end;
	unsigned long long n;

	if (!cl)
		return -1;
	n = strtoull(cl, &end, 10);
	return end == cl || n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

static int too_large(struct http_req *req)
{
	return http_fail(req, ERR_TOO_LARGE, NULL,
			 "The request body is larger than the limit of %" PRIu64 " bytes.",
			 req->srv->cfg.max_stream);
}

static int malformed(struct http_req *req)
{
	return http_fail(req, ERR_INVALID, NULL,
			 "The multipart/form-data body is malformed or cut short; send it again.");
}

/* --- Parts --- */

static int part_close(struct http_req *req)
{
	if (!req->in_part)
		return 0;
	req->in_part = false;
	return req->route->sink->part_end(req);
}

static int part_open(struct http_req *req, const char *name, const char *filename,
		     const char *content_type)
{
	int err = part_close(req);

	if (err)
		return err;
	free(req->part_name);
	req->part_name = xstrdup(name);
	req->part_len = 0;
	req->in_part = true;
	return req->route->sink->part_begin(req, name, filename, content_type);
}

/* Whether a call of the iterator starts a new part. A part whose first call brought no bytes
 * may be reported again at offset 0. */
static bool part_starts(const struct http_req *req, const char *name, uint64_t off)
{
	if (!req->in_part)
		return true;
	if (off != 0)
		return false;
	return req->part_len > 0 || strcmp(req->part_name, name) != 0;
}

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct http_req *req = cls;
	const char *name = key ? key : "";
	int err = 0;

	if (req->upload_err)
		return MHD_NO;
	if (part_starts(req, name, off))
		err = part_open(req, name, filename, content_type);
	if (!err && size > 0) {
		req->part_len += size;
		err = req->route->sink->part_data(req, data, size);
	}
	req->upload_err = err;
	return err ? MHD_NO : MHD_YES;
}

/* --- The request --- */

static bool is_multipart(const char *content_type)
{
	return content_type && strncasecmp(content_type, MULTIPART, strlen(MULTIPART)) == 0;
}

/* Checks the announced body and sets up the parser. */
static int parser_start(struct http_req *req)
{
	const char *ct = http_header(req, "Content-Type");
	int64_t len = announced(req);

	if (len > 0 && (uint64_t)len > req->srv->cfg.max_stream)
		return too_large(req);
	if (!is_multipart(ct))
		return http_fail(req, ERR_INVALID, NULL,
				 "This endpoint takes a multipart/form-data body, but the "
				 "request's Content-Type is '%.80s'.", ct ? ct : "(none)");
	req->pp = MHD_create_post_processor(req->conn, HTTP_UPLOAD_BUFFER, iterate, req);
	if (!req->pp)
		return http_fail(req, ERR_INVALID, NULL,
				 "The multipart/form-data Content-Type has no usable boundary.");
	return 0;
}

enum MHD_Result upload_begin(struct http_req *req)
{
	int64_t len = announced(req);
	int err;

	req->streamed = true;
	err = server_route(req);
	if (!err)
		err = parser_start(req);
	if (!err)
		return MHD_YES;
	req->upload_err = err;
	if (len >= 0 && len <= HTTP_DISCARD_MAX)
		return MHD_YES;
	/* Answered before the body is read: MHD then closes the connection. */
	return server_run(req, err);
}

bool upload_take(struct http_req *req, const char *data, size_t len)
{
	if (req->stage != REQ_RECEIVING)
		return true;
	if (req->upload_err) {
		req->discarded += len;
		return req->discarded <= HTTP_DISCARD_MAX;
	}
	req->upload_len += len;
	if (req->upload_len > req->srv->cfg.max_stream) {
		req->upload_err = too_large(req);
		req->discarded = len;
		return true;
	}
	if (MHD_post_process(req->pp, data, len) != MHD_YES && !req->upload_err)
		req->upload_err = malformed(req);
	return true;
}

/* Flushes the parser (which may still hand over a last piece) and ends the last part. */
static int parser_end(struct http_req *req)
{
	enum MHD_Result ok = MHD_destroy_post_processor(req->pp);

	req->pp = NULL;
	if (req->upload_err)
		return req->upload_err;
	if (ok != MHD_YES)
		return malformed(req);
	return part_close(req);
}

enum MHD_Result upload_finish(struct http_req *req)
{
	int err = req->upload_err;

	if (!err)
		err = parser_end(req);
	return server_run(req, err);
}

void upload_cleanup(struct http_req *req)
{
	if (req->pp) {
		/* The request ends mid-body: the parser must not call the sink any more. */
		req->upload_err = ERR_INTERNAL;
		MHD_destroy_post_processor(req->pp);
		req->pp = NULL;
	}
	free(req->part_name);
	req->part_name = NULL;
}
