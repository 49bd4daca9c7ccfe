/* cite.h - finding citation markers 【{call}:{result}†{name}】 in a reply as it streams.
 *
 * The model cites a file_search result by writing its marker. The reply arrives in pieces of
 * any size, so a marker may be split across them (even inside one of its UTF-8 characters):
 * cite_feed holds back a possible marker's beginning until the marker is whole (or clearly
 * is not one: CITE_MARKER_MAX bytes without its end, or a character that cannot be in it),
 * then releases the text with the markers it completes. Positions are counted in Unicode
 * code points from the start of the message, end exclusive, as the hosted service counted
 * annotation indexes. Pure: no I/O. */
#ifndef ASSISTD_CITE_H
#define ASSISTD_CITE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

#define CITE_MARKER_MAX 256 /* bytes, the brackets included; a longer "marker" is plain text */

struct cite_mark {
	int64_t start, end;  /* code points, end exclusive */
	int64_t call;        /* {call} */
	int64_t result;      /* {result} */
	size_t off, len;     /* where the marker is in the released text, in bytes */
};

/* A scanner's state (caller's storage: cite_init / cite_cleanup). */
struct cite {
	struct buf held;  /* bytes held back: a possible marker's beginning */
	int64_t chars;    /* code points released so far */
};

/* What one feed releases: text and the markers in it. Owned by the out: cite_out_cleanup. */
struct cite_out {
	struct buf text;          /* released bytes */
	struct cite_mark *marks;  /* n of them */
	size_t n;
};

void cite_init(struct cite *c);
void cite_cleanup(struct cite *c);
void cite_out_cleanup(struct cite_out *o);

/* Takes len bytes of reply and fills *o (initialised here) with what can be released now.
 * Never fails (memory aborts). */
void cite_feed(struct cite *c, const char *s, size_t len, struct cite_out *o);
/* Releases whatever is held (the reply ended) into *o (initialised here). */
void cite_flush(struct cite *c, struct cite_out *o);

#endif
