/* sse.h - server-sent event framing, the one place that writes it:
 * "event: NAME\ndata: DATA\n\n".
 *
 * The engine frames a run's events with it and the API its closing "done" event; src/http
 * only carries the bytes. (Parsing an upstream's events is src/providers/sse_parse.c.) */
#ifndef ASSISTD_SSE_H
#define ASSISTD_SSE_H

#include "buf.h"

/* Appends one event to out. A line break in data starts another "data: " line, as the
 * format requires. Returns 0 or ERR_LIMIT (out is then left as it was). */
int sse_frame(struct buf *out, const char *event, const char *data) MUST_CHECK;

#endif
