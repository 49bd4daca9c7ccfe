/* sse_parse.c - the server-sent events parser of sse_parse.h.
 *
 * Works line by line: bytes up to a line end are gathered in sp->line, and each complete
 * line is interpreted as a field. It does not decode UTF-8 or strip a byte-order mark;
 * upstream model servers send neither in ways that matter here. */
#include "sse_parse.h"

#include <string.h>

void sse_init(struct sse_parser *sp, size_t max)
{
	buf_init(&sp->line, max);
	buf_init(&sp->data, max);
	buf_init(&sp->event, max);
	sp->has_data = false;
	sp->after_cr = false;
}

void sse_cleanup(struct sse_parser *sp)
{
	buf_cleanup(&sp->line);
	buf_cleanup(&sp->data);
	buf_cleanup(&sp->event);
	sp->has_data = false;
	sp->after_cr = false;
}

/* A blank line: hands over the event built so far, if it has data. */
static int dispatch(struct sse_parser *sp, sse_event_fn *fn, void *ctx)
{
	int ret = 0;

	if (sp->has_data)
		ret = fn(ctx, sp->event.p ? sp->event.p : "", sp->data.p ? sp->data.p : "",
			 sp->data.len);
	buf_reset(&sp->data);
	buf_reset(&sp->event);
	sp->has_data = false;
	return ret;
}

static int field(struct sse_parser *sp, const char *name, size_t nlen, const char *val,
		 size_t vlen)
{
	int err = 0;

	if (nlen == 4 && memcmp(name, "data", 4) == 0) {
		if (sp->has_data)
			err = buf_putc(&sp->data, '\n');
		if (!err)
			err = buf_append(&sp->data, val, vlen);
		sp->has_data = true;
	} else if (nlen == 5 && memcmp(name, "event", 5) == 0) {
		buf_reset(&sp->event);
		err = buf_append(&sp->event, val, vlen);
	}
	return err;
}

/* Interprets the complete line in sp->line. */
static int end_line(struct sse_parser *sp, sse_event_fn *fn, void *ctx)
{
	const char *s = sp->line.p;
	size_t len = sp->line.len;
	const char *colon;
	size_t nlen;
	int err;

	if (len == 0)
		return dispatch(sp, fn, ctx);
	if (s[0] == ':') {
		buf_reset(&sp->line);
		return 0;
	}
	colon = memchr(s, ':', len);
	nlen = colon ? (size_t)(colon - s) : len;
	if (!colon) {
		err = field(sp, s, nlen, "", 0);
	} else {
		size_t skip = nlen + 1 < len && s[nlen + 1] == ' ' ? 2 : 1;

		err = field(sp, s, nlen, s + nlen + skip, len - nlen - skip);
	}
	buf_reset(&sp->line);
	return err;
}

static size_t line_span(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != '\n' && p[i] != '\r')
		i++;
	return i;
}

int sse_feed(struct sse_parser *sp, const char *p, size_t len, sse_event_fn *fn, void *ctx)
{
	size_t i = 0;
	int err;

	while (i < len) {
		size_t n;

		if (sp->after_cr && p[i] == '\n') {
			sp->after_cr = false;
			i++;
			continue;
		}
		sp->after_cr = false;
		n = line_span(p + i, len - i);
		err = buf_append(&sp->line, p + i, n);
		if (err)
			return err;
		i += n;
		if (i == len)
			break;
		sp->after_cr = p[i] == '\r';
		i++;
		err = end_line(sp, fn, ctx);
		if (err)
			return err;
	}
	return 0;
}
