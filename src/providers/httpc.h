/* httpc.h - a small HTTP client for the provider loop, over libcurl's multi interface.
 *
 * Any number of concurrent requests (POSTs, and GETs) run on one event loop (base/loop.h), the engine's; every
 * handler runs on the loop's thread, and every function here is for that thread. Responses
 * stream to a body handler as bytes arrive; up to 64 connections are kept and reused. It
 * does not follow redirects, retry, or understand the bodies: that is the caller's business
 * (see openai.c). This is the only file pair in assistd that uses libcurl. */
#ifndef ASSISTD_HTTPC_H
#define ASSISTD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/loop.h"

struct httpc;     /* a multi handle: the connection pool and its transfers */
struct httpc_req; /* one transfer */

struct httpc_config {
	int connect_timeout_ms; /* > 0 */
	int idle_timeout_ms;    /* > 0: fail when no byte arrives for this long (whole seconds) */
};

enum httpc_fail {
	HTTPC_OK,        /* a complete response arrived (any status) */
	HTTPC_CONNECT,   /* the host could not be resolved or connected to */
	HTTPC_TIMEOUT,   /* the connect or idle timeout ran out */
	HTTPC_ABORTED,   /* the body handler returned false */
	HTTPC_TRANSPORT, /* the connection broke, or another transfer error */
};

struct httpc_result {
	enum httpc_fail fail;
	int status;             /* final HTTP status; 0 when no response head arrived */
	int64_t retry_after_ms; /* from retry-after-ms or Retry-After; -1 when absent */
	const char *error;      /* borrowed; what went wrong in general words (never the URL or
				 * host), "" for HTTPC_OK */
	const char *detail;     /* borrowed; curl's own words, which may name the host: for logs */
	const char *os_error;   /* borrowed; strerror() of the socket error, or NULL */
};

struct httpc_handlers {
	/* A piece of the body of a response with this status and Content-Type (NULL when
	 * absent). Return false to abort the transfer: done follows with HTTPC_ABORTED. */
	bool (*body)(void *ctx, int status, const char *content_type, const char *p, size_t len);
	/* The transfer is over. Runs exactly once per request, unless httpc_cancel was
	 * called; the request handle is freed right after it returns. */
	void (*done)(void *ctx, const struct httpc_result *res);
};

/* Creates a client whose sockets and timers run on l (borrowed; it must outlive the
 * client). *out is owned: free with httpc_free. Errors: ERR_INTERNAL. */
int httpc_new(const struct httpc_config *cfg, struct loop *l, struct httpc **out) MUST_CHECK;
/* Aborts every transfer without calling handlers and frees the client. NULL is a no-op. */
void httpc_free(struct httpc *h);

/* Queues a POST of body (len bytes, copied) to url with extra headers (a NULL-terminated
 * array of "Name: value" strings, copied; may be NULL). The transfer starts in the loop's
 * next iteration, so no handler runs inside this call and it may be called from a handler.
 * hd is copied; ctx is handed to the handlers. Returns a handle borrowed until done runs
 * or httpc_cancel is called. Never fails (out of memory aborts). */
struct httpc_req *httpc_post(struct httpc *h, const char *url, const char *const *headers,
			     const char *body, size_t len, const struct httpc_handlers *hd,
			     void *ctx);
/* Queues a GET of url, as httpc_post does a POST. */
struct httpc_req *httpc_get(struct httpc *h, const char *url, const char *const *headers,
			    const struct httpc_handlers *hd, void *ctx);
/* Stops a transfer: no handler runs for it afterwards, and its connection is closed in the
 * loop's next iteration. The handle must not be used again. May be called from a handler. */
void httpc_cancel(struct httpc_req *r);

/* Transfers started or queued and not yet done or cancelled. */
size_t httpc_count(const struct httpc *h);

#endif
