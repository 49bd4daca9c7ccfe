/* buf.h - a growable byte buffer with a hard maximum.
 *
 * The contents are always NUL-terminated, so b->p can be used as a C string. A buffer made
 * with a maximum refuses to grow past it (ERR_LIMIT) and keeps what it had: this is how
 * client-controlled sizes are bounded. It does no I/O. */
#ifndef ASSISTD_BUF_H
#define ASSISTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
	char *p;    /* owned; NULL until the first append */
	size_t len; /* bytes used, not counting the terminating NUL */
	size_t cap;
	size_t max; /* 0 means no limit */
};

/* Prepares an empty buffer in the caller's storage. max 0 means unlimited. */
void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buffer may be used again after buf_init. */
void buf_cleanup(struct buf *b);
/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);

/* Makes the capacity at least cap bytes (the NUL included); growing, it takes exactly cap,
 * so a caller that accounts for memory knows what is held. Ignores the maximum. */
void buf_reserve(struct buf *b, size_t cap);

/* Append; each returns 0 or ERR_LIMIT (nothing appended). */
int buf_append(struct buf *b, const void *p, size_t n) MUST_CHECK;
int buf_puts(struct buf *b, const char *s) MUST_CHECK;
int buf_putc(struct buf *b, char c) MUST_CHECK;
int buf_printf(struct buf *b, const char *fmt, ...) MUST_CHECK
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) MUST_CHECK
	__attribute__((format(printf, 2, 0)));

/* Returns the contents as an owned NUL-terminated string (never NULL; free with free())
 * and leaves the buffer empty. The length is b->len before the call. */
char *buf_release(struct buf *b);

#endif
