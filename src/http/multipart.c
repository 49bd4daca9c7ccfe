/* multipart.c - multipart/form-data bodies parsed as they stream through a route's sink
 * (http_multipart_take / http_multipart_end in http.h), with libmicrohttpd's post processor,
 * and handed on part by part, piece by piece: an upload is never held in memory.
 *
 * The parser lives on the request from the first piece (or from http_multipart_end, for a
 * body with no bytes) until the request ends. Plain fields and files alike come out as parts;
 * what to keep of them is the caller's business. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "http_int.h"

#define MULTIPART "multipart/form-data"

struct multipart {
	struct MHD_PostProcessor *pp; /* owned; NULL once the body ended */
	const struct http_parts *parts; /* borrowed from the caller */
	int err;                      /* the first error; the parser is told to stop */
	bool in_part;                 /* a part began and has not ended */
	uint64_t part_len;            /* bytes of the current part so far */
	char *name;                   /* owned: the current part's field name */
};

static int malformed(struct http_req *req)
{
	return http_fail(req, ERR_INVALID, NULL,
			 "The multipart/form-data body is malformed or cut short; send it again.");
}

/* --- Parts --- */

static int part_close(struct http_req *req, struct multipart *mp)
{
	if (!mp->in_part)
		return 0;
	mp->in_part = false;
	return mp->parts->end(req);
}

static int part_open(struct http_req *req, struct multipart *mp, const char *name,
		     const char *filename, const char *content_type)
{
	int err = part_close(req, mp);

	if (err)
		return err;
	free(mp->name);
	mp->name = xstrdup(name);
	mp->part_len = 0;
	mp->in_part = true;
	return mp->parts->begin(req, name, filename, content_type);
}

/* Whether a call of the iterator starts a new part. A part whose first call brought no bytes
 * may be reported again at offset 0. */
static bool part_starts(const struct multipart *mp, const char *name, uint64_t off)
{
	if (!mp->in_part)
		return true;
	if (off != 0)
		return false;
	return mp->part_len > 0 || strcmp(mp->name, name) != 0;
}

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct http_req *req = cls;
	struct multipart *mp = req->mp;
	const char *name = key ? key : "";
	int err = 0;

	if (mp->err)
		return MHD_NO;
	if (part_starts(mp, name, off))
		err = part_open(req, mp, name, filename, content_type);
	if (!err && size > 0) {
		mp->part_len += size;
		err = mp->parts->data(req, data, size);
	}
	mp->err = err;
	return err ? MHD_NO : MHD_YES;
}

/* --- The body --- */

static bool is_multipart(const char *content_type)
{
	return content_type && strncasecmp(content_type, MULTIPART, strlen(MULTIPART)) == 0;
}

/* Sets up the request's parser on first use. */
static int parser_get(struct http_req *req, const struct http_parts *parts)
{
	const char *ct = http_header(req, "Content-Type");

	if (req->mp)
		return req->mp->err;
	req->mp = xcalloc(1, sizeof(*req->mp));
	req->mp->parts = parts;
	if (!is_multipart(ct))
		req->mp->err = http_fail(req, ERR_INVALID, NULL,
					 "This endpoint takes a multipart/form-data body, but the "
					 "request's Content-Type is '%.80s'.", ct ? ct : "(none)");
	else
		req->mp->pp = MHD_create_post_processor(req->conn, HTTP_MULTIPART_BUFFER, iterate,
							req);
	if (!req->mp->err && !req->mp->pp)
		req->mp->err = http_fail(req, ERR_INVALID, NULL,
					 "The multipart/form-data Content-Type has no usable "
					 "boundary.");
	return req->mp->err;
}

int http_multipart_take(struct http_req *req, const struct http_parts *parts, const char *data,
			size_t len)
{
	int err = parser_get(req, parts);

	if (err)
		return err;
	if (MHD_post_process(req->mp->pp, data, len) != MHD_YES && !req->mp->err)
		req->mp->err = malformed(req);
	return req->mp->err;
}

int http_multipart_end(struct http_req *req, const struct http_parts *parts)
{
	struct multipart *mp;
	enum MHD_Result ok;
	int err = parser_get(req, parts);

	if (err)
		return err;
	mp = req->mp;
	if (!mp->pp)
		return mp->err;
	/* Flushing may still hand over a last piece. */
	ok = MHD_destroy_post_processor(mp->pp);
	mp->pp = NULL;
	if (!mp->err && ok != MHD_YES)
		mp->err = malformed(req);
	if (!mp->err)
		mp->err = part_close(req, mp);
	return mp->err;
}

void multipart_free(struct http_req *req)
{
	struct multipart *mp = req->mp;

	if (!mp)
		return;
	if (mp->pp) {
		/* The request ends mid-body: the parser must not call back any more. */
		mp->err = ERR_INTERNAL;
		MHD_destroy_post_processor(mp->pp);
	}
	free(mp->name);
	free(mp);
	req->mp = NULL;
}
