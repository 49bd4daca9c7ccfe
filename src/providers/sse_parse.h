/* sse_parse.h - an incremental parser for server-sent event streams (text/event-stream).
 *
 * Bytes arrive in any chunking; complete events come out through a callback, as the
 * WHATWG "event stream interpretation" describes: lines end in \n, \r\n or \r; lines
 * starting with ':' are comments; "data" lines are joined with \n; one space after the
 * colon is stripped; a blank line dispatches the event. "id" and "retry" are ignored. It
 * does no I/O and keeps no more than a hard maximum of bytes per event. */
#ifndef ASSISTD_SSE_PARSE_H
#define ASSISTD_SSE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

struct sse_parser {
	struct buf line;  /* the line being read */
	struct buf data;  /* data of the event being built */
	struct buf event; /* its event name, empty for the default "message" */
	bool has_data;    /* a data line was seen since the last dispatch */
	bool after_cr;    /* the last byte was \r: a \n right after it ends nothing */
};

/* Called per event: event is its name ("" when none was given), data its data (len bytes,
 * NUL-terminated); both borrowed for the call. Return 0 to go on, anything else to stop
 * sse_feed, which returns that value. */
typedef int sse_event_fn(void *ctx, const char *event, const char *data, size_t len);

/* Prepares a parser in the caller's storage; a line or an event's data longer than max
 * bytes fails the feed with ERR_LIMIT. */
void sse_init(struct sse_parser *sp, size_t max);
/* Frees the parser's buffers; sse_init makes it usable again. */
void sse_cleanup(struct sse_parser *sp);

/* Parses len more bytes, calling fn for each event completed. Returns 0, ERR_LIMIT, or the
 * first non-zero value fn returned (the rest of the bytes are then dropped). */
int sse_feed(struct sse_parser *sp, const char *p, size_t len, sse_event_fn *fn,
	     void *ctx) MUST_CHECK;

#endif
