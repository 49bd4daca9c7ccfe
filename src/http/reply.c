/* reply.c - responses: the handler's reply, error replies (their body made by the config's
 * error_body hook), response headers, and queueing the result on the connection.
 *
 * A reply is built as an MHD response as soon as the handler makes it (bodies are handed
 * over, never copied) and queued once the handler returns, with x-request-id and the headers
 * from http_header_add. Streams are made in stream.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "http_int.h"

#define JSON_TYPE "application/json"

void reply_set(struct http_req *req, int status, struct MHD_Response *resp,
	       const char *content_type)
{
	if (!resp) {
		log_error("http: out of memory making a response");
		abort();
	}
	if (req->resp) {
		log_error("http: %s %s replied twice; the first reply is dropped", req->method,
			  req->path);
		MHD_destroy_response(req->resp);
	}
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	req->resp = resp;
	req->status = status;
}

int http_reply_bytes(struct http_req *req, int status, const char *content_type, char *body,
		     size_t len)
{
	struct MHD_Response *resp;

	if (len == 0) {
		free(body);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	}
	reply_set(req, status, resp, content_type);
	return 0;
}

int http_reply_fd(struct http_req *req, int status, const char *content_type, int fd,
		  uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);

	/* MHD owns fd from here, but not when it refused to make the response. */
	if (!resp)
		close(fd);
	reply_set(req, status, resp, content_type);
	return 0;
}

int http_reply_json(struct http_req *req, int status, char *body)
{
	return http_reply_bytes(req, status, JSON_TYPE, body, strlen(body));
}

void http_header_add(struct http_req *req, const char *name, const char *value)
{
	if (!req->hdrs.p)
		buf_reserve(&req->hdrs, 256);
	/* The buffer has no maximum: it never refuses. */
	if (buf_append(&req->hdrs, name, strlen(name) + 1) ||
	    buf_append(&req->hdrs, value, strlen(value) + 1))
		abort();
	req->nhdrs++;
}

/* --- Errors --- */

int http_fail(struct http_req *req, int err, const char *param, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	free(req->fail_msg);
	free(req->fail_param);
	req->fail_err = err;
	req->fail_msg = NULL;
	req->fail_param = param ? xstrdup(param) : NULL;
	if (!fmt)
		return err;
	buf_init(&b, 0);
	va_start(ap, fmt);
	/* An unlimited buffer cannot refuse. */
	if (buf_vprintf(&b, fmt, ap) == 0)
		req->fail_msg = buf_release(&b);
	va_end(ap);
	buf_cleanup(&b);
	return err;
}

void http_fail_code(struct http_req *req, const char *code)
{
	free(req->fail_code);
	req->fail_code = code ? xstrdup(code) : NULL;
}

/* The message and param apply only to the error http_fail described; the code to any. */
static void reply_error(struct http_req *req, int err)
{
	http_error_body *render = req->srv->cfg.error_body;
	bool mine = req->fail_err == err;
	const char *msg = mine && req->fail_msg ? req->fail_msg : err_message(err);
	const char *param = mine ? req->fail_param : NULL;

	if (req->resp) {
		MHD_destroy_response(req->resp);
		req->resp = NULL;
	}
	if (render)
		(void)http_reply_json(req, err_status(err), render(err, msg, param, req->fail_code));
	else
		(void)http_reply_bytes(req, err_status(err), "text/plain; charset=utf-8",
				       xstrdup(msg), strlen(msg));
}

/* --- Queueing --- */

/* The offset of the pair after the one at off. */
static size_t header_next(const struct http_req *req, size_t off)
{
	off += strlen(req->hdrs.p + off) + 1;
	return off + strlen(req->hdrs.p + off) + 1;
}

static void headers_apply(struct http_req *req)
{
	size_t off = 0;

	MHD_add_response_header(req->resp, "x-request-id", req->id);
	for (size_t i = 0; i < req->nhdrs; i++) {
		const char *name = req->hdrs.p + off;

		if (MHD_add_response_header(req->resp, name, name + strlen(name) + 1) != MHD_YES)
			log_warn("http: %s %s: header %s is not valid; left out", req->method,
				 req->path, name);
		off = header_next(req, off);
	}
	/* Clients should not reuse a connection to a server that is going away. */
	if (server_stopping(req->srv))
		MHD_add_response_header(req->resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

enum MHD_Result reply_queue(struct http_req *req, int err)
{
	enum MHD_Result ret;

	if (err == 0 && !req->resp) {
		log_error("http: %s %s: the handler returned 0 without a reply", req->method,
			  req->path);
		err = ERR_INTERNAL;
	}
	if (err != 0)
		reply_error(req, err);
	headers_apply(req);
	req->stage = REQ_ANSWERED;
	ret = MHD_queue_response(req->conn, (unsigned int)req->status, req->resp);
	if (ret != MHD_YES)
		log_warn("http: %s %s: the response could not be queued", req->method, req->path);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	return ret;
}

static void fail_clear(struct http_req *req)
{
	free(req->fail_msg);
	free(req->fail_param);
	free(req->fail_code);
	req->fail_msg = NULL;
	req->fail_param = NULL;
	req->fail_code = NULL;
	req->fail_err = 0;
}

static void headers_truncate(struct http_req *req, size_t n)
{
	size_t off = 0;

	if (req->nhdrs <= n)
		return;
	for (size_t i = 0; i < n; i++)
		off = header_next(req, off);
	req->hdrs.len = off;
	req->hdrs.p[off] = '\0';
	req->nhdrs = n;
}

void reply_reset(struct http_req *req)
{
	fail_clear(req);
	headers_truncate(req, req->hdr_mark);
	if (req->resp) {
		MHD_destroy_response(req->resp);
		req->resp = NULL;
	}
}

void reply_cleanup(struct http_req *req)
{
	fail_clear(req);
	buf_cleanup(&req->hdrs);
	req->nhdrs = 0;
	if (req->resp) {
		MHD_destroy_response(req->resp);
		req->resp = NULL;
	}
}
