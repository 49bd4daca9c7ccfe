/* cite.c - the streaming citation marker scanner (see cite.h). */
#include "cite.h"

#include "../base/alloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OPEN "\xe3\x80\x90"  /* 【 */
#define CLOSE "\xe3\x80\x91" /* 】 */
#define DAGGER "\xe2\x80\xa0" /* † */

enum scan { SCAN_NO, SCAN_MORE, SCAN_YES };

void cite_init(struct cite *c)
{
	buf_init(&c->held, 0);
	c->chars = 0;
}

void cite_cleanup(struct cite *c)
{
	buf_cleanup(&c->held);
}

void cite_out_cleanup(struct cite_out *o)
{
	buf_cleanup(&o->text);
	free(o->marks);
	o->marks = NULL;
	o->n = 0;
}

/* Matches the literal lit at s[*i..end): SCAN_MORE when s ends inside it. */
static enum scan lit(const char *s, size_t end, size_t *i, const char *lit)
{
	size_t n = strlen(lit);
	size_t have = end - *i < n ? end - *i : n;

	if (memcmp(s + *i, lit, have) != 0)
		return SCAN_NO;
	*i += have;
	return have < n ? SCAN_MORE : SCAN_YES;
}

/* Reads a number (1 to 9 digits) at s[*i..end). */
static enum scan number(const char *s, size_t end, size_t *i, int64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < end && isdigit((unsigned char)s[*i]) && *i - start < 9)
		*v = *v * 10 + (s[(*i)++] - '0');
	if (*i == end)
		return SCAN_MORE;
	return *i > start ? SCAN_YES : SCAN_NO;
}

/* The name up to 】: no newline in it, the whole marker at most CITE_MARKER_MAX bytes. */
static enum scan name(const char *s, size_t end, size_t *i, size_t start)
{
	size_t room = CITE_MARKER_MAX - strlen(CLOSE); /* the last place 】 may begin */

	while (*i < end && *i - start <= room) {
		enum scan r;

		if (s[*i] == '\n')
			return SCAN_NO;
		if ((unsigned char)s[*i] != 0xe3) {
			(*i)++;
			continue;
		}
		r = lit(s, end, i, CLOSE);
		if (r != SCAN_NO)
			return r;
		(*i)++;
	}
	return *i < end ? SCAN_NO : SCAN_MORE;
}

/* Is there a marker at s[start..end)? On SCAN_YES, *len is its length in bytes. */
static enum scan marker(const char *s, size_t end, size_t start, struct cite_mark *m,
			size_t *len)
{
	size_t i = start;
	enum scan r = lit(s, end, &i, OPEN);

	if (r == SCAN_YES)
		r = number(s, end, &i, &m->call);
	if (r == SCAN_YES)
		r = lit(s, end, &i, ":");
	if (r == SCAN_YES)
		r = number(s, end, &i, &m->result);
	if (r == SCAN_YES)
		r = lit(s, end, &i, DAGGER);
	if (r == SCAN_YES)
		r = name(s, end, &i, start);
	*len = i - start;
	return r;
}

static int64_t code_points(const char *s, size_t len)
{
	int64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Where the held-back part of s[0..len) begins (len: nothing held), filling o->marks. */
static size_t scan(struct cite *c, const char *s, size_t len, struct cite_out *o)
{
	size_t i = 0;

	while (i < len) {
		const char *p = memchr(s + i, 0xe3, len - i);
		struct cite_mark m = { 0 };
		size_t mlen = 0;
		enum scan r;

		if (!p)
			return len;
		i = (size_t)(p - s);
		r = marker(s, len, i, &m, &mlen);
		if (r == SCAN_MORE)
			return i;
		if (r == SCAN_YES) {
			m.start = c->chars + code_points(s, i);
			m.end = m.start + code_points(s + i, mlen);
			m.off = i;
			m.len = mlen;
			o->marks = xrealloc(o->marks, (o->n + 1) * sizeof(*o->marks));
			o->marks[o->n++] = m;
		}
		i += r == SCAN_YES ? mlen : 1;
	}
	return len;
}

static void release(struct cite *c, const char *s, size_t len, struct cite_out *o)
{
	if (len == 0)
		return;
	if (buf_append(&o->text, s, len))
		abort(); /* unbounded buffer: cannot fail */
	c->chars += code_points(s, len);
}

void cite_feed(struct cite *c, const char *s, size_t len, struct cite_out *o)
{
	struct buf all;
	size_t keep;

	memset(o, 0, sizeof(*o));
	buf_init(&o->text, 0);
	buf_init(&all, 0);
	if (buf_append(&all, c->held.p ? c->held.p : "", c->held.len) ||
	    buf_append(&all, s, len))
		abort(); /* unbounded buffer: cannot fail */
	keep = all.len ? scan(c, all.p, all.len, o) : 0;
	release(c, all.p, keep, o);
	buf_cleanup(&c->held);
	buf_init(&c->held, 0);
	if (buf_append(&c->held, all.p + keep, all.len - keep))
		abort();
	buf_cleanup(&all);
}

void cite_flush(struct cite *c, struct cite_out *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->text, 0);
	release(c, c->held.p ? c->held.p : "", c->held.len, o);
	buf_cleanup(&c->held);
	buf_init(&c->held, 0);
}
