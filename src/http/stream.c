/* stream.c - chunked responses produced by a pull callback (server-sent events).
 *
 * MHD's content reader hands out what pull() appended; when pull() has nothing (WAIT) the
 * reader suspends the connection from inside the callback and returns 0, and
 * http_stream_wake resumes it. A wake that comes while pull() runs sets req->woken (under
 * srv->mu), so the reader pulls again instead of suspending: no wake is lost. The stream is
 * refcounted: one reference for the MHD response (dropped in its free callback, which also
 * calls ctx_free, exactly once), one for the request, one for the producer's handle. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "http_int.h"

/* MHD allocates this much with each callback response but fills chunked bodies straight into
 * the connection's own buffer, so it is kept small. */
#define STREAM_BLOCK 1024

enum park { PARK_SUSPENDED, PARK_AGAIN, PARK_STOP };

static enum park stream_park(struct http_stream *s)
{
	struct http_req *req = s->req;
	struct http_server *srv = req->srv;
	enum park r = PARK_SUSPENDED;

	pthread_mutex_lock(&srv->mu);
	if (req->woken) {
		req->woken = false;
		r = PARK_AGAIN;
	} else if (server_stopping(srv)) {
		r = PARK_STOP;
	} else {
		suspend_locked(req, false);
	}
	pthread_mutex_unlock(&srv->mu);
	return r;
}

static ssize_t copy_out(struct http_stream *s, char *out, size_t max)
{
	size_t n = s->pending.len - s->off;

	if (n > max)
		n = max;
	memcpy(out, s->pending.p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Runs pull() once into the empty pending buffer. Returns true when the connection was
 * suspended (the reader then returns 0). */
static bool pull_once(struct http_stream *s)
{
	buf_reset(&s->pending);
	s->off = 0;
	switch (s->pull(s->ctx, &s->pending)) {
	case HTTP_PULL_END:
		s->ended = true;
		return false;
	case HTTP_PULL_WAIT:
		break;
	default:
		return false;
	}
	if (s->pending.len > 0)
		return false;
	switch (stream_park(s)) {
	case PARK_SUSPENDED:
		return true;
	case PARK_STOP:
		s->ended = true;
		return false;
	default:
		return false;
	}
}

/* MHD's content reader, on the connection's worker thread. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_stream *s = cls;

	for (;;) {
		if (s->off < s->pending.len)
			return copy_out(s, out, max);
		/* A stopping server still sends what the producer has ready (the last events of a
		 * run that just finished), but never waits for more: pull_once ends the stream
		 * instead of suspending it. http_stop bounds a producer that never runs dry. */
		if (s->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (pull_once(s))
			return 0;
	}
}

/* MHD's free callback: the connection is done with the stream. */
static void stream_done(void *cls)
{
	struct http_stream *s = cls;

	metrics_add(METRICS_STREAMS, -1);
	if (s->ctx_free)
		s->ctx_free(s->ctx);
	pthread_mutex_lock(&s->mu);
	s->req = NULL;
	pthread_mutex_unlock(&s->mu);
	http_stream_unref(s);
}

int http_reply_stream(struct http_req *req, int status, const char *content_type,
		      http_stream_pull *pull, void *ctx, void (*ctx_free)(void *ctx),
		      struct http_stream **handle)
{
	struct http_stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;

	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->refs, handle ? 3 : 2);
	s->req = req;
	s->pull = pull;
	s->ctx = ctx;
	s->ctx_free = ctx_free;
	buf_init(&s->pending, 0);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
						 stream_done);
	stream_detach(req);
	metrics_add(METRICS_STREAMS, 1);
	req->stream = s;
	reply_set(req, status, resp, content_type);
	if (handle)
		*handle = s;
	return 0;
}

void http_stream_wake(struct http_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->req) {
		struct http_server *srv = s->req->srv;

		pthread_mutex_lock(&srv->mu);
		suspend_wake_locked(s->req);
		pthread_mutex_unlock(&srv->mu);
	}
	pthread_mutex_unlock(&s->mu);
}

void http_stream_unref(struct http_stream *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	buf_cleanup(&s->pending);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void stream_detach(struct http_req *req)
{
	struct http_stream *s = req->stream;

	if (!s)
		return;
	req->stream = NULL;
	pthread_mutex_lock(&s->mu);
	s->req = NULL;
	pthread_mutex_unlock(&s->mu);
	http_stream_unref(s);
}
