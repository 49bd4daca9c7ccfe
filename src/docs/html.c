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

#include "../base/alloc.h"
#include "docs_int.h"
#include "extract.h"

#define HTML_CHUNK (64u << 10)

enum {
	TAG_SKIP = 1, /* its content is not text (script, style) */
	TAG_PRE = 2,  /* white space inside is kept */
};

/* The elements that are not plain inline text: the break around them and their flags. */
static const struct {
	const char *name;
	enum doc_sep sep;
	int flags;
} tags[] = {
	{ "address", DOC_SEP_LINE, 0 },	   { "article", DOC_SEP_LINE, 0 },
	{ "aside", DOC_SEP_LINE, 0 },	   { "blockquote", DOC_SEP_LINE, 0 },
	{ "body", DOC_SEP_LINE, 0 },	   { "caption", DOC_SEP_LINE, 0 },
	{ "dd", DOC_SEP_LINE, 0 },	   { "details", DOC_SEP_LINE, 0 },
	{ "dialog", DOC_SEP_LINE, 0 },	   { "div", DOC_SEP_LINE, 0 },
	{ "dl", DOC_SEP_LINE, 0 },	   { "dt", DOC_SEP_LINE, 0 },
	{ "fieldset", DOC_SEP_LINE, 0 },   { "figcaption", DOC_SEP_LINE, 0 },
	{ "figure", DOC_SEP_LINE, 0 },	   { "footer", DOC_SEP_LINE, 0 },
	{ "form", DOC_SEP_LINE, 0 },	   { "h1", DOC_SEP_LINE, 0 },
	{ "h2", DOC_SEP_LINE, 0 },	   { "h3", DOC_SEP_LINE, 0 },
	{ "h4", DOC_SEP_LINE, 0 },	   { "h5", DOC_SEP_LINE, 0 },
	{ "h6", DOC_SEP_LINE, 0 },	   { "header", DOC_SEP_LINE, 0 },
	{ "hr", DOC_SEP_LINE, 0 },	   { "legend", DOC_SEP_LINE, 0 },
	{ "li", DOC_SEP_LINE, 0 },	   { "main", DOC_SEP_LINE, 0 },
	{ "nav", DOC_SEP_LINE, 0 },	   { "ol", DOC_SEP_LINE, 0 },
	{ "option", DOC_SEP_LINE, 0 },	   { "p", DOC_SEP_LINE, 0 },
	{ "pre", DOC_SEP_LINE, TAG_PRE },  { "script", DOC_SEP_NONE, TAG_SKIP },
	{ "section", DOC_SEP_LINE, 0 },	   { "style", DOC_SEP_NONE, TAG_SKIP },
	{ "summary", DOC_SEP_LINE, 0 },	   { "table", DOC_SEP_LINE, 0 },
	{ "td", DOC_SEP_TAB, 0 },	   { "template", DOC_SEP_NONE, TAG_SKIP },
	{ "textarea", DOC_SEP_LINE, TAG_PRE }, { "th", DOC_SEP_TAB, 0 },
	{ "title", DOC_SEP_LINE, 0 },	   { "tr", DOC_SEP_LINE, 0 },
	{ "ul", DOC_SEP_LINE, 0 },
};

#define N_TAGS (sizeof(tags) / sizeof(tags[0]))

struct page {
	struct doc_out *o;
	htmlParserCtxtPtr ctxt;
	int skip; /* how many open elements drop their content */
	int pre;  /* how many open elements keep white space */
	int err;
};

/* Returns the index of name in tags, or N_TAGS when it is inline text. */
static size_t tag_find(const xmlChar *name)
{
	size_t i = 0;

	while (i < N_TAGS && strcmp(tags[i].name, (const char *)name))
		i++;
	return i;
}

/* Counts the element in or out of the skip and pre depths (by = 1 on open, -1 on close). */
static void tag_count(struct page *pg, size_t i, int by)
{
	if (tags[i].flags & TAG_SKIP)
		pg->skip += by;
	if (tags[i].flags & TAG_PRE)
		pg->pre += by;
	if (pg->skip < 0)
		pg->skip = 0;
	if (pg->pre < 0)
		pg->pre = 0;
}

static void on_open(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct page *pg = ctx;
	size_t i = tag_find(name);

	if (!strcmp((const char *)name, "br") && !pg->skip && !pg->err)
		pg->err = doc_put(pg->o, "\n", 1);
	if (i == N_TAGS)
		return;
	tag_count(pg, i, 1);
	doc_sep(pg->o, tags[i].sep == DOC_SEP_TAB ? DOC_SEP_NONE : tags[i].sep);
}

static void on_close(void *ctx, const xmlChar *name)
{
	struct page *pg = ctx;
	size_t i = tag_find(name);

	if (i == N_TAGS)
		return;
	tag_count(pg, i, -1);
	doc_sep(pg->o, tags[i].sep);
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

	if (pg->skip || pg->err)
		return;
	if (pg->pre) {
		pg->err = doc_put(pg->o, p, n);
		n = 0;
	}
	while (!pg->err && n) {
		run = span(p, n, true);
		if (run)
			doc_sep(pg->o, DOC_SEP_SPACE);
		p += run;
		n -= run;
		run = span(p, n, false);
		pg->err = doc_put(pg->o, p, run);
		p += run;
		n -= run;
	}
	if (pg->err)
		xmlStopParser(pg->ctxt);
}

/* Returns an owned push parser (free with htmlFreeParserCtxt) calling sax with pg. */
static htmlParserCtxtPtr parser_new(htmlSAXHandler *sax, struct page *pg, xmlCharEncoding enc)
{
	htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(sax, pg, NULL, 0, NULL, enc);

	if (!ctxt)
		abort(); /* libxml2 fails here only when out of memory */
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					 HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT);
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
	size_t total = 0;
	size_t n;
	bool last = false;

	while (!pg->err && !last) {
		n = doc_read(fd, chunk, HTML_CHUNK);
		if (n == (size_t)-1)
			return doc_fail_io(pg->o);
		total += n;
		if (total > DOC_MAX_PART)
			return fail_big(pg->o);
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
