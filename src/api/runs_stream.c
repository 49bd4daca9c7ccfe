/* runs_stream.c - the SSE reply of a streaming run (see runs_stream.h).
 *
 * The HTTP layer pulls the stream when the connection can take bytes; the pull reads the
 * channel (attached as a reader, so the channel keeps what this stream has not sent yet)
 * and, when nothing is new, leaves a waker that resumes the stream when the engine appends
 * or closes. Lifetimes: the context owns one reference to the channel and the producer
 * handle of the stream; the HTTP layer calls sse_free exactly once, when the connection is
 * done with the stream (fully sent, closed by the client, or the server stopping), and
 * sse_free first detaches from the channel, so the engine never wakes a freed context. This
 * file does not interpret events. */
#include "runs_stream.h"

#include <stdlib.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "../base/sse.h"

#define SSE_CHUNK 16384 /* bytes pulled from the channel at a time (one event may exceed it) */

struct sse {
	struct events *ch;     /* owned reference */
	struct http_stream *h; /* owned producer reference; set before the first pull */
};

/* The channel's waker: runs on the engine thread. */
static void sse_wake(void *ctx)
{
	struct sse *s = ctx;

	http_stream_wake(s->h);
}

static enum http_pull sse_pull(void *ctx, struct buf *out)
{
	struct sse *s = ctx;
	struct events_waker w = { sse_wake, s };

	switch (events_read(s->ch, s, out, SSE_CHUNK, &w)) {
	case EVENTS_MORE:
		return HTTP_PULL_MORE;
	case EVENTS_WAIT:
		return HTTP_PULL_WAIT;
	case EVENTS_END:
		break;
	}
	/* out is empty here and has no limit, so this cannot fail in practice. */
	if (sse_frame(out, "done", "[DONE]") != 0)
		log_warn("runs: a stream ended without its [DONE] event");
	return HTTP_PULL_END;
}

static void sse_free(void *ctx)
{
	struct sse *s = ctx;

	events_detach(s->ch, s);
	events_unref(s->ch);
	http_stream_unref(s->h);
	free(s);
}

int runs_reply_stream(struct http_req *req, struct events *ch)
{
	struct sse *s = xcalloc(1, sizeof(*s));

	s->ch = ch;
	events_attach(ch, s);
	http_header_add(req, "Cache-Control", "no-cache");
	return http_reply_stream(req, 200, "text/event-stream", sse_pull, s, sse_free, &s->h);
}
