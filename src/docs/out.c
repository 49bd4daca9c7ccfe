/* out.c - the text an extractor builds (struct doc_out): pieces, breaks and the one failure;
 * and the two helpers every extractor shares: reading a file and spotting a byte order mark.
 *
 * It knows nothing about formats; extract.c and the extractors call it. */
#include "docs_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"

/* What each break writes, by enum doc_sep. */
static const char *const sep_text[] = {
	[DOC_SEP_NONE] = "",
	[DOC_SEP_SPACE] = " ",
	[DOC_SEP_TAB] = "\t",
	[DOC_SEP_LINE] = "\n",
	[DOC_SEP_PARA] = "\n\n",
};

static const struct {
	unsigned char bytes[3];
	size_t len;
	enum doc_enc enc;
} boms[] = {
	{ { 0xef, 0xbb, 0xbf }, 3, DOC_ENC_UTF8 },
	{ { 0xff, 0xfe }, 2, DOC_ENC_UTF16LE },
	{ { 0xfe, 0xff }, 2, DOC_ENC_UTF16BE },
};

void doc_out_init(struct doc_out *o)
{
	buf_init(&o->text, DOC_MAX_TEXT);
	o->pending = DOC_SEP_NONE;
	o->code = NULL;
	o->why = NULL;
}

void doc_out_cleanup(struct doc_out *o)
{
	buf_cleanup(&o->text);
	free(o->why);
	o->why = NULL;
}

int doc_put(struct doc_out *o, const char *p, size_t n)
{
	const char *sep = o->text.len ? sep_text[o->pending] : "";

	if (!n)
		return 0;
	if (buf_puts(&o->text, sep) || buf_append(&o->text, p, n))
		return doc_fail_big(o);
	o->pending = DOC_SEP_NONE;
	return 0;
}

void doc_sep(struct doc_out *o, enum doc_sep s)
{
	if (s > o->pending)
		o->pending = s;
}

/* Records the failure with code and the message fmt/ap, unless one is already recorded. */
static void fail_record(struct doc_out *o, const char *code, const char *fmt, va_list ap)
{
	struct buf why;
	int err;

	if (o->why)
		return;
	buf_init(&why, 0);
	err = buf_vprintf(&why, fmt, ap);
	(void)err; /* an unbounded buffer never refuses */
	o->code = code;
	o->why = buf_release(&why);
}

int doc_fail(struct doc_out *o, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_record(o, code, fmt, ap);
	va_end(ap);
	return ERR_INVALID;
}

int doc_fail_server(struct doc_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_record(o, "server_error", fmt, ap);
	va_end(ap);
	return ERR_INTERNAL;
}

int doc_fail_big(struct doc_out *o)
{
	return doc_fail(o, "invalid_file", "The file has more than %u MB of text, more than one "
			"file may hold; split it into smaller files and upload those.",
			DOC_MAX_TEXT >> 20);
}

int doc_fail_io(struct doc_out *o)
{
	return doc_fail_server(o, "The file could not be read from storage; try again.");
}

size_t doc_read(int fd, void *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? (size_t)-1 : got;
		got += (size_t)r;
	}
	return got;
}

size_t doc_bom(const void *p, size_t n, enum doc_enc *enc)
{
	for (size_t i = 0; i < sizeof(boms) / sizeof(boms[0]); i++) {
		if (n >= boms[i].len && !memcmp(p, boms[i].bytes, boms[i].len)) {
			*enc = boms[i].enc;
			return boms[i].len;
		}
	}
	return 0;
}
