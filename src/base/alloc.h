/* alloc.h - allocation that never fails.
 *
 * Every allocation in assistd goes through these wrappers. They abort the process on
 * out-of-memory, so callers never test for NULL. Memory abuse by clients is stopped earlier,
 * by hard limits on everything a client sends (see buf.h and http/). */
#ifndef ASSISTD_ALLOC_H
#define ASSISTD_ALLOC_H

#include <stddef.h>

/* Returns owned memory; free with free(). Never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Returns an owned, formatted string; free with free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
