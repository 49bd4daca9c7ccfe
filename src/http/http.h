/* http.h - the HTTP server: routing, request access, JSON responses, errors, streams.
 *
 * A generic layer over libmicrohttpd (the only code that includes <microhttpd.h>): it knows
 * routes and handlers, not Assistants. A handler returns 0 after setting a reply, or an error
 * code from base/err.h, which is answered with the code's HTTP status and a body made by the
 * config's error_body hook (the API layer's OpenAI error envelope).
 *
 * Before any body byte is kept, a request is checked (framing, target, route, the before
 * hook, body size and memory); a refusal is answered at once and the connection closed.
 *
 * Threads: handlers run on the server's worker threads, straight through. Work that waits
 * (a long poll, a server-sent event stream) never blocks a thread: the connection is
 * suspended and resumed by http_waiter_wake / http_stream_wake from any thread. */
#ifndef ASSISTD_HTTP_H
#define ASSISTD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"

struct http_server;
struct http_req;

/* Returned by a handler that called http_defer. */
#define HTTP_DEFERRED (-1)

typedef int http_handler(struct http_req *req);
/* Takes one piece of a streamed request body; a non-zero return is the request's error
 * (the rest of the body is read and dropped, then the error is the reply). */
typedef int http_body_sink(struct http_req *req, const char *data, size_t len);
/* Renders an error reply's body: owned (free with free()), NUL-terminated JSON. message is
 * never NULL; param and code may be. */
typedef char *http_error_body(int err, const char *message, const char *param,
			      const char *code);

struct http_route {
	const char *method;  /* "GET", "POST", "DELETE"; a GET route also answers HEAD */
	const char *pattern; /* "/v1/threads/{thread_id}/messages"; {name} matches one segment */
	http_handler *fn;
	/* NULL: the body is buffered (up to max_body, within max_body_memory) and read with
	 * http_body. Set: each piece goes to sink as it arrives, once the before hook accepted
	 * the request, and fn runs after the last one. Sunk bytes are not buffered here and do
	 * not count against max_body_memory; the sink bounds what it keeps. */
	http_body_sink *sink;
};

struct http_config {
	const char *host;               /* numeric address to listen on, "127.0.0.1" or "::1" */
	int port;                       /* 0 picks a free port: see http_port */
	unsigned threads;               /* worker threads; 0 means 2 */
	size_t max_body;                /* larger buffered request bodies get 413 */
	/* Bytes all buffered request bodies may hold together; a body that does not fit gets
	 * 503 with Retry-After. 0 means 64 MiB, or max_body if that is larger. */
	size_t max_body_memory;
	/* The limit for the bodies of routes with a sink, which are not buffered; announced
	 * larger, they are answered 413 before a byte is read. 0 means no limit. */
	uint64_t max_sink_body;
	const struct http_route *routes; /* borrowed for the server's lifetime */
	size_t nroutes;
	/* Runs after routing, as soon as the headers are in and before any body byte is kept,
	 * for authentication; a non-zero return ends the request with that error at once (the
	 * connection is then closed, with the body unread). May be NULL. */
	http_handler *before;
	/* Renders error bodies (the API's JSON envelope). NULL: the message as text/plain. */
	http_error_body *error_body;
	void *app; /* handed to handlers through http_app */
};

/* Starts listening. *out is owned: stop with http_stop. Errors: ERR_INTERNAL (the reason,
 * such as "address in use", is logged). */
int http_start(const struct http_config *cfg, struct http_server **out) MUST_CHECK;
/* The port actually bound. */
int http_port(const struct http_server *srv);
/* Stops accepting, lets requests in flight finish for up to grace_ms, ends open streams,
 * and frees the server. NULL is a no-op. */
void http_stop(struct http_server *srv, int grace_ms);

/* --- The request. All returned strings are borrowed until the request ends. --- */
void *http_app(const struct http_req *req);
const char *http_method(const struct http_req *req);
const char *http_path(const struct http_req *req);
const char *http_request_id(const struct http_req *req);
/* A {name} segment of the matched route, URL-decoded; NULL if the route has none. */
const char *http_param(const struct http_req *req, const char *name);
/* The first value of a query key (key and value URL-decoded), or NULL when absent. */
const char *http_query(const struct http_req *req, const char *key);
/* Every value of a repeated key such as "include[]": stores up to max borrowed pointers in
 * vals and returns how many values there are in all. */
size_t http_query_all(const struct http_req *req, const char *key, const char **vals,
		      size_t max);
/* Calls fn for every query key (for rejecting unknown ones); stops at fn's first non-zero
 * return and returns it. */
int http_query_each(const struct http_req *req, int (*fn)(void *ctx, const char *key), void *ctx);
/* The route the request matched (borrowed from the config), or NULL before routing. */
const struct http_route *http_route_of(const struct http_req *req);
/* A request header, matched case-insensitively, or NULL. */
const char *http_header(const struct http_req *req, const char *name);
/* The request body (NUL-terminated for convenience); *len 0 when there is none. */
const char *http_body(const struct http_req *req, size_t *len);

/* Attaches data to the request for later stages (the authenticated project, say). free_fn,
 * when not NULL, is called on it when the request ends. */
void http_set_user(struct http_req *req, void *user, void (*free_fn)(void *));
void *http_user(const struct http_req *req);
/* A handler's own state, kept across the reruns of a deferred request (see http_defer);
 * free_fn, when not NULL, is called on it when it is replaced or the request ends. */
void http_set_state(struct http_req *req, void *state, void (*free_fn)(void *));
void *http_state(const struct http_req *req);
/* Frees p (with free()) when the request ends and returns it: for strings a handler hands
 * out as borrowed. */
void *http_keep(struct http_req *req, void *p);

/* --- Replies. A handler makes exactly one, or returns an error. --- */
/* Sends status with body as application/json. Takes ownership of body (a malloc'd,
 * NUL-terminated string). Returns 0. */
int http_reply_json(struct http_req *req, int status, char *body);
/* Sends len bytes of body (owned, malloc'd) with the given content type. Returns 0. */
int http_reply_bytes(struct http_req *req, int status, const char *content_type, char *body,
		     size_t len);
/* Sends size bytes read from fd, without loading them into memory; takes ownership of fd
 * (closed when the response is done with it, or at once on failure). Returns 0. */
int http_reply_fd(struct http_req *req, int status, const char *content_type, int fd,
		  uint64_t size);
/* Adds a response header, to the success reply or the error alike (copied). */
void http_header_add(struct http_req *req, const char *name, const char *value);

/* Records the detail of an error and returns err, so a handler can write
 * `return http_fail(req, ERR_INVALID, "model", "model is required");`. param may be NULL;
 * fmt NULL keeps the table's default message. */
int http_fail(struct http_req *req, int err, const char *param, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sets the error envelope's "code" (e.g. "invalid_api_key"); copied. */
void http_fail_code(struct http_req *req, const char *code);

/* Appends the server's per-route request counts and latency histograms to b, in the
 * Prometheus text format (see base/metrics.h). */
void http_metrics_write(const struct http_req *req, struct buf *b);

/* --- multipart/form-data bodies, parsed as they stream through a route's sink --- */

/* What a multipart body is handed to, part by part. name is the form field, filename the
 * file's name (NULL for a plain field), content_type the part's (NULL when not given); all
 * are borrowed for the call. Each returns 0 or an error it recorded with http_fail. */
struct http_parts {
	int (*begin)(struct http_req *req, const char *name, const char *filename,
		     const char *content_type);
	int (*data)(struct http_req *req, const char *data, size_t len);
	int (*end)(struct http_req *req);
};

/* Parses the next piece of the request's multipart/form-data body (call it from the route's
 * sink with what the sink got), calling parts as parts begin, bring bytes and end. Returns 0
 * or the first error: a callback's, or ERR_INVALID (recorded) when the body is not
 * multipart/form-data or is malformed. */
int http_multipart_take(struct http_req *req, const struct http_parts *parts, const char *data,
			size_t len) MUST_CHECK;
/* The body is complete (call it first in the route's handler): ends the last part. Errors:
 * ERR_INVALID (recorded) when the body is not multipart/form-data or was cut short, or the
 * end callback's. */
int http_multipart_end(struct http_req *req, const struct http_parts *parts) MUST_CHECK;

/* --- Waiting without holding a thread. --- */
struct http_waiter;

/* Parks the request: the handler must return HTTP_DEFERRED right after. It is called again,
 * from the start, once http_waiter_wake(*w) is called or timeout_ms passes, whichever comes
 * first; http_reruns(req) then counts how often it ran before. *w is a reference owned by
 * the caller, valid on any thread until http_waiter_unref. */
int http_defer(struct http_req *req, int timeout_ms, struct http_waiter **w);
int http_reruns(const struct http_req *req);
/* Wakes the parked request (any thread, any number of times, also after it ended). */
void http_waiter_wake(struct http_waiter *w);
void http_waiter_unref(struct http_waiter *w);

/* --- Streams (server-sent events). --- */
struct http_stream;

enum http_pull {
	HTTP_PULL_MORE, /* bytes were appended to out; call again when they are sent */
	HTTP_PULL_WAIT, /* nothing ready: suspend until http_stream_wake */
	HTTP_PULL_END,  /* the stream is complete after what was appended */
};

/* Called on a worker thread when the connection can take more bytes. */
typedef enum http_pull http_stream_pull(void *ctx, struct buf *out);

/* Replies with a chunked body produced by pull(ctx, ...). ctx_free(ctx) is called exactly
 * once, when the connection is done with the stream (sent, closed by the client, or the
 * server stopping). *handle, when not NULL, receives a reference for the producer side:
 * wake the stream with it, release it with http_stream_unref. Returns 0. */
int http_reply_stream(struct http_req *req, int status, const char *content_type,
		      http_stream_pull *pull, void *ctx, void (*ctx_free)(void *ctx),
		      struct http_stream **handle);
/* Tells the stream new data may be ready (any thread; harmless after the stream ended). */
void http_stream_wake(struct http_stream *s);
void http_stream_unref(struct http_stream *s);

#endif
