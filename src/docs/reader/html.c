/* html.c - the text of an HTML page: tags stripped, script and style dropped, entities
 * decoded, block elements on lines of their own, table cells separated by tabs.
 *
 * libxml2's HTML parser runs in push mode with SAX callbacks, fed the file in chunks, so no
 * tree is built and memory stays small whatever the page's size. It recovers from broken
 * markup as browsers do; it never fails a page for bad HTML. White space collapses to one
 * space, as a browser shows it, except inside <pre>. The encoding comes from a byte order
 * mark or a <meta charset>, else UTF-8. */
#include <libxml/HTMLparser.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../base/alloc.h"
#include "../docs_int.h"
#include "../extract.h"

#define HTML_CHUNK (64u << 10)

enum {
	TAG_SKIP = 1, /* its content is not text (script, style) */
	TAG_PRE = 2,  /* white space inside is kept */
	TAG_BR = 4,   /* a line break where it stands */
};

/* The elements that are not inline text, sorted by name (for bsearch): the breaks before and
 * after them, and their flags. */
static const struct html_tag {
	const char *name;
	enum doc_sep before;
	enum doc_sep after;
	int flags;
} tags[] = {
#define BLOCK(name) { name, DOC_SEP_LINE, DOC_SEP_LINE, 0 }
#define SKIP(name) { name, DOC_SEP_NONE, DOC_SEP_NONE, TAG_SKIP }
	BLOCK("address"), BLOCK("article"), BLOCK("aside"), BLOCK("blockquote"), BLOCK("body"),
	{ "br", DOC_SEP_NONE, DOC_SEP_NONE, TAG_BR },
	BLOCK("caption"), BLOCK("dd"), BLOCK("details"), BLOCK("dialog"), BLOCK("div"),
	BLOCK("dl"), BLOCK("dt"), BLOCK("fieldset"), BLOCK("figcaption"), BLOCK("figure"),
	BLOCK("footer"), BLOCK("form"), BLOCK("h1"), BLOCK("h2"), BLOCK("h3"), BLOCK("h4"),
	BLOCK("h5"), BLOCK("h6"), BLOCK("header"), BLOCK("hr"), BLOCK("legend"), BLOCK("li"),
	BLOCK("main"), BLOCK("nav"), SKIP("noscript"), BLOCK("ol"), BLOCK("option"), BLOCK("p"),
	{ "pre", DOC_SEP_LINE, DOC_SEP_LINE, TAG_PRE },
	SKIP("script"), BLOCK("section"), SKIP("style"), BLOCK("summary"), BLOCK("table"),
	{ "td", DOC_SEP_NONE, DOC_SEP_TAB, 0 },
	SKIP("template"),
	{ "textarea", DOC_SEP_LINE, DOC_SEP_LINE, TAG_PRE },
	{ "th", DOC_SEP_NONE, DOC_SEP_TAB, 0 },
	BLOCK("title"), BLOCK("tr"), BLOCK("ul"),
#undef BLOCK
#undef SKIP
};

struct page {
	struct doc_out *o;
	htmlParserCtxtPtr ctxt;
	int skip; /* how many open elements drop their content */
	int pre;  /* how many open elements keep white space */
	int err;
};

static int tag_cmp(const void *key, const void *tag)
{
	return strcmp(key, ((const struct html_tag *)tag)->name);
}

/* Returns the element's tag (borrowed, static), or NULL when it is inline text. */
static const struct html_tag *tag_find(const xmlChar *name)
{
	return bsearch(name, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]), tag_cmp);
}

/* Counts the element in or out of the skip and pre depths (by = 1 on open, -1 on close). */
static void tag_count(struct page *pg, const struct html_tag *t, int by)
{
	if (t->flags & TAG_SKIP)
		pg->skip = pg->skip + by < 0 ? 0 : pg->skip + by;
	if (t->flags & TAG_PRE)
		pg->pre = pg->pre + by < 0 ? 0 : pg->pre + by;
}

/* Appends text unless a failure came first; a failure stops the parse. */
static void page_put(struct page *pg, const char *p, size_t n)
{
	if (pg->err)
		return;
	pg->err = doc_put(pg->o, p, n);
	if (pg->err)
		xmlStopParser(pg->ctxt);
}

static void on_open(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct page *pg = ctx;
	const struct html_tag *t = tag_find(name);

	if (!t)
		return;
	if (t->flags & TAG_BR && !pg->skip)
		page_put(pg, "\n", 1);
	tag_count(pg, t, 1);
	doc_sep(pg->o, t->before);
}

static void on_close(void *ctx, const xmlChar *name)
{
	struct page *pg = ctx;
	const struct html_tag *t = tag_find(name);

	if (!t)
		return;
	tag_count(pg, t, -1);
	doc_sep(pg->o, t->after);
}

/* The length of the run at p (n bytes) of white space (ws) or of anything else (!ws). */
static size_t span(const char *p, size_t n, bool ws)
{
	size_t i = 0;

	while (i < n && (strchr(" \t\r\n\f", p[i]) && p[i]) == ws)
		i++;
	return i;
}

/* Appends text, white space collapsed to single spaces outside <pre>. */
static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct page *pg = ctx;
	const char *p = (const char *)ch;
	size_t n = (size_t)len;
	size_t run;

	if (pg->skip)
		return;
	if (pg->pre) {
		page_put(pg, p, n);
		return;
	}
	while (!pg->err && n) {
		run = span(p, n, true);
		if (run)
			doc_sep(pg->o, DOC_SEP_SPACE);
		p += run;
		n -= run;
		run = span(p, n, false);
		page_put(pg, p, run);
		p += run;
		n -= run;
	}
}

/* Returns an owned push parser (free with htmlFreeParserCtxt) calling sax with pg. */
static htmlParserCtxtPtr parser_new(htmlSAXHandler *sax, struct page *pg, xmlCharEncoding enc)
{
	htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(sax, pg, NULL, 0, NULL, enc);

	if (!ctxt)
		abort(); /* libxml2 fails here only when out of memory */
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					 HTML_PARSE_NOWARNING);
	return ctxt;
}

static int fail_big(struct doc_out *o)
{
	return doc_fail(o, "invalid_file", "The HTML file is larger than %u MB; split it into "
			"smaller files and upload those.", DOC_MAX_PART >> 20);
}

/* libxml2's name for each encoding a byte order mark announces. */
static const xmlCharEncoding encodings[] = {
	[DOC_ENC_UTF8] = XML_CHAR_ENCODING_UTF8,
	[DOC_ENC_UTF16LE] = XML_CHAR_ENCODING_UTF16LE,
	[DOC_ENC_UTF16BE] = XML_CHAR_ENCODING_UTF16BE,
};

/* Starts the parser on the first chunk: the encoding is the byte order mark's (which is
 * skipped), else UTF-8; a <meta charset> in the page still switches it. */
static void start(struct page *pg, htmlSAXHandler *sax, char *chunk, size_t *n)
{
	enum doc_enc enc = DOC_ENC_UTF8;
	size_t bom = doc_bom(chunk, *n, &enc);

	pg->ctxt = parser_new(sax, pg, encodings[enc]);
	*n -= bom;
	memmove(chunk, chunk + bom, *n);
}

/* Feeds the file to a new parser in chunks. */
static int feed(int fd, struct page *pg, char *chunk, htmlSAXHandler *sax)
{
	struct stat st;
	size_t n;
	bool last = false;

	if (fstat(fd, &st))
		return doc_fail_io(pg->o);
	if ((unsigned long long)st.st_size > DOC_MAX_PART)
		return fail_big(pg->o);
	while (!pg->err && !last) {
		n = doc_read(fd, chunk, HTML_CHUNK);
		if (n == (size_t)-1)
			return doc_fail_io(pg->o);
		last = n < HTML_CHUNK;
		if (!pg->ctxt)
			start(pg, sax, chunk, &n);
		htmlParseChunk(pg->ctxt, chunk, (int)n, last);
	}
	return pg->err;
}

int doc_html(int fd, struct doc_out *o)
{
	htmlSAXHandler sax;
	struct page pg = { o, NULL, 0, 0, 0 };
	char *chunk = xmalloc(HTML_CHUNK);
	int err;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = on_open;
	sax.endElement = on_close;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.ignorableWhitespace = on_text;
	err = feed(fd, &pg, chunk, &sax);
	htmlFreeParserCtxt(pg.ctxt);
	free(chunk);
	return err;
}
