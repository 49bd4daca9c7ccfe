/* runs_stream.h - a run's events channel sent as a server-sent event stream.
 *
 * Create-run, create-thread-and-run and submit-tool-outputs with "stream": true all reply the
 * same way: every event of the channel the engine returned, in order, then "event: done" /
 * "data: [DONE]" once the engine closes the channel. No thread waits meanwhile. */
#ifndef ASSISTD_RUNS_STREAM_H
#define ASSISTD_RUNS_STREAM_H

#include "../engine/events.h"
#include "../http/http.h"

/* Replies 200 text/event-stream with the events of ch. Takes ownership of the caller's
 * reference to ch (released when the connection is done with the stream). Returns 0. */
int runs_reply_stream(struct http_req *req, struct events *ch);

#endif
