/* ooxml.c - the text of DOCX and PPTX files (Office Open XML): ZIP packages of XML parts.
 *
 * libzip opens the package; each part's XML is inflated 64 KB at a time and fed to libxml2's
 * push parser with SAX callbacks, so neither the part nor a tree of it is ever held in
 * memory. A table per format says which elements carry text and which break it (paragraphs,
 * table cells and rows, tabs, line breaks). DOCX text is word/document.xml; PPTX text is
 * ppt/slides/slideN.xml in slide number order, slides separated by a blank line. A zip bomb
 * stops at DOC_MAX_PART bytes of XML per part and OOXML_MAX_XML per package; a part with a
 * DTD is refused before any entity in it is used. Headers, footers, comments and speaker
 * notes are not read. */
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "../../base/alloc.h"
#include "../docs_int.h"
#include "../extract.h"

/* XML is inflated and parsed this much at a time. */
#define OOXML_CHUNK (64u << 10)
/* The most XML read from all the parts of one package. */
#define OOXML_MAX_XML (4 * (size_t)DOC_MAX_PART)

enum {
	TAG_TEXT = 1, /* its text content is document text */
	TAG_CELL = 2, /* a table cell: paragraphs inside break with cell_sep */
	TAG_SKIP = 4, /* nothing inside is text (tab stop lists, fallback copies) */
};

struct xml_tag {
	const char *ns;        /* namespace URI; NULL: the format's */
	const char *name;      /* local name */
	const char *put;       /* written where the element is (a tab, a line break), or NULL */
	enum doc_sep sep;      /* the break after the element */
	enum doc_sep cell_sep; /* the break after it inside a table cell */
	int flags;
};

struct xml_format {
	const char *name; /* "DOCX", for messages */
	const char *ext;  /* "docx" */
	const char *app;  /* the program that saves it, for messages */
	const char *main; /* the part that must be there */
	const char *ns;   /* the namespace of the tags that name none */
	const struct xml_tag *tags;
	size_t n_tags;
};

/* Alternate content: Office writes a Choice and a Fallback copy of the same text. */
#define MC_NS "http://schemas.openxmlformats.org/markup-compatibility/2006"
/* Short names, to keep the tables below on one line per tag. */
#define LINE DOC_SEP_LINE
#define NONE DOC_SEP_NONE

static const struct xml_tag docx_tags[] = {
	{ NULL, "br", "\n", NONE, NONE, 0 },
	{ NULL, "cr", "\n", NONE, NONE, 0 },
	{ NULL, "noBreakHyphen", "-", NONE, NONE, 0 },
	{ NULL, "p", NULL, LINE, DOC_SEP_SPACE, 0 },
	{ NULL, "t", NULL, NONE, NONE, TAG_TEXT },
	{ NULL, "tab", "\t", NONE, NONE, 0 },
	{ NULL, "tabs", NULL, NONE, NONE, TAG_SKIP },
	{ NULL, "tc", NULL, DOC_SEP_TAB, DOC_SEP_TAB, TAG_CELL },
	{ NULL, "tr", NULL, LINE, LINE, 0 },
	{ MC_NS, "Fallback", NULL, NONE, NONE, TAG_SKIP },
};

static const struct xml_tag pptx_tags[] = {
	{ NULL, "br", "\n", NONE, NONE, 0 },
	{ NULL, "p", NULL, LINE, DOC_SEP_SPACE, 0 },
	{ NULL, "t", NULL, NONE, NONE, TAG_TEXT },
	{ NULL, "tc", NULL, DOC_SEP_TAB, DOC_SEP_TAB, TAG_CELL },
	{ NULL, "tr", NULL, LINE, LINE, 0 },
	{ MC_NS, "Fallback", NULL, NONE, NONE, TAG_SKIP },
};

static const struct xml_format docx = {
	"DOCX", "docx", "Word", "word/document.xml",
	"http://schemas.openxmlformats.org/wordprocessingml/2006/main", docx_tags,
	sizeof(docx_tags) / sizeof(docx_tags[0]),
};

static const struct xml_format pptx = {
	"PPTX", "pptx", "PowerPoint", "ppt/presentation.xml",
	"http://schemas.openxmlformats.org/drawingml/2006/main", pptx_tags,
	sizeof(pptx_tags) / sizeof(pptx_tags[0]),
};

/* An open package: the archive and what is left of its XML budget. */
struct pkg {
	zip_t *z;
	size_t budget;
	const struct xml_format *f;
	struct doc_out *o;
};

/* The parse of one part: where its text goes and which elements are open. */
struct part {
	struct pkg *pkg;
	xmlParserCtxtPtr ctxt;
	size_t read; /* XML bytes inflated so far */
	int text;    /* open TAG_TEXT elements */
	int cell;    /* open TAG_CELL elements */
	int skip;    /* open TAG_SKIP elements */
	int err;     /* the first failure found in a callback */
	bool dtd;    /* the part has a document type declaration */
};

/* What to tell the user for each libzip error; anything else is damage. */
static const struct {
	int code;
	const char *why;
} zip_errors[] = {
	{ ZIP_ER_NOPASSWD, "is protected by a password; save it without one" },
	{ ZIP_ER_WRONGPASSWD, "is protected by a password; save it without one" },
	{ ZIP_ER_ENCRNOTSUPP, "is protected by a password; save it without one" },
	{ ZIP_ER_COMPNOTSUPP, "is compressed with a method this server cannot read; save it again "
			      "from the program that made it" },
};

static int fail_zip(struct pkg *pkg, int code)
{
	for (size_t i = 0; i < sizeof(zip_errors) / sizeof(zip_errors[0]); i++) {
		if (code == zip_errors[i].code)
			return doc_fail(pkg->o, "invalid_file", "The %s file %s, and upload that.",
					pkg->f->name, zip_errors[i].why);
	}
	return doc_fail(pkg->o, "invalid_file", "The %s file is damaged (its ZIP structure "
			"cannot be read); open it in %s, save it again and upload that.",
			pkg->f->name, pkg->f->app);
}

/* The failure for a part whose parse stopped: a DTD, or bad XML. */
static int fail_part(struct pkg *pkg, const char *name, bool dtd)
{
	if (dtd)
		return doc_fail(pkg->o, "invalid_file", "The %s file is damaged (%s has a document "
				"type declaration, which %s never writes); open it in %s, save it "
				"again and upload that.", pkg->f->name, name, pkg->f->app,
				pkg->f->app);
	return doc_fail(pkg->o, "invalid_file", "The %s file is damaged (%s is not "
			"well-formed XML); open it in %s, save it again and upload that.",
			pkg->f->name, name, pkg->f->app);
}

static int fail_big(struct pkg *pkg, const char *name)
{
	return doc_fail(pkg->o, "invalid_file", "The %s file holds more XML than one file may (%u "
			"MB a part, %zu MB in all; %s is past that); split it into smaller files "
			"and upload those.", pkg->f->name, DOC_MAX_PART >> 20, OOXML_MAX_XML >> 20,
			name);
}

/* Returns the tag (borrowed, static) for an element, or NULL when it has no role. */
static const struct xml_tag *tag_find(const struct xml_format *f, const xmlChar *uri,
				      const xmlChar *local)
{
	const char *ns = (const char *)uri;
	const char *name = (const char *)local;
	const char *tag_ns;

	for (size_t i = 0; ns && i < f->n_tags; i++) {
		tag_ns = f->tags[i].ns ? f->tags[i].ns : f->ns;
		if (!strcmp(name, f->tags[i].name) && !strcmp(ns, tag_ns))
			return &f->tags[i];
	}
	return NULL;
}

static void part_count(struct part *p, const struct xml_tag *t, int by)
{
	p->text += t->flags & TAG_TEXT ? by : 0;
	p->cell += t->flags & TAG_CELL ? by : 0;
	p->skip += t->flags & TAG_SKIP ? by : 0;
}

/* Appends text unless a failure came first; a failure stops the parse. */
static void part_put(struct part *p, const char *s, size_t n)
{
	if (p->err)
		return;
	p->err = doc_put(p->pkg->o, s, n);
	if (p->err)
		xmlStopParser(p->ctxt);
}

static void on_open(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
		    int n_ns, const xmlChar **ns, int n_attrs, int n_defaulted,
		    const xmlChar **attrs)
{
	struct part *p = ctx;
	const struct xml_tag *t = tag_find(p->pkg->f, uri, local);

	if (!t)
		return;
	if (t->put && !p->skip)
		part_put(p, t->put, strlen(t->put));
	part_count(p, t, 1);
}

static void on_close(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct part *p = ctx;
	const struct xml_tag *t = tag_find(p->pkg->f, uri, local);

	if (!t)
		return;
	part_count(p, t, -1);
	if (!p->skip)
		doc_sep(p->pkg->o, p->cell ? t->cell_sep : t->sep);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct part *p = ctx;

	if (p->text && !p->skip)
		part_put(p, (const char *)ch, (size_t)len);
}

/* A DTD stops the part before any entity in it is used: Office never writes one. */
static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *public_id,
		   const xmlChar *system_id)
{
	struct part *p = ctx;

	p->dtd = true;
	xmlStopParser(p->ctxt);
}

/* Errors are read from the parser's result, not printed. */
static void on_error(void *ctx, xmlErrorPtr error)
{
}

/* The callbacks of every part's parser (libxml2 copies it; it never changes). */
static xmlSAXHandler part_sax = {
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = on_open,
	.endElementNs = on_close,
	.characters = on_text,
	.ignorableWhitespace = on_text,
	.cdataBlock = on_text,
	.internalSubset = on_dtd,
	.serror = on_error,
};

/* Inflates the next bytes of the part into chunk, within the budgets. Returns the count (0 at
 * the end), or a failure. */
static int part_read(struct part *p, zip_file_t *zf, char *chunk, size_t *n, const char *name)
{
	zip_int64_t got = zip_fread(zf, chunk, OOXML_CHUNK);

	if (got < 0)
		return fail_zip(p->pkg, zip_error_code_zip(zip_file_get_error(zf)));
	*n = (size_t)got;
	p->read += *n;
	if (p->read > DOC_MAX_PART || *n > p->pkg->budget)
		return fail_big(p->pkg, name);
	p->pkg->budget -= *n;
	return 0;
}

/* Feeds the part to the parser chunk by chunk. */
static int part_parse(struct part *p, zip_file_t *zf, const char *name)
{
	char *chunk = xmalloc(OOXML_CHUNK);
	size_t n = 1;
	int rc = 0;
	int err = 0;

	while (!err && !rc && !p->err && !p->dtd && n) {
		err = part_read(p, zf, chunk, &n, name);
		if (!err)
			rc = xmlParseChunk(p->ctxt, chunk, (int)n, n == 0);
	}
	free(chunk);
	if (err || p->err)
		return err ? err : p->err;
	if (p->dtd || rc || !p->ctxt->wellFormed)
		return fail_part(p->pkg, name, p->dtd);
	return 0;
}

/* Appends the text of the part at index. */
static int part_text(struct pkg *pkg, zip_uint64_t index)
{
	const char *name = zip_get_name(pkg->z, index, 0);
	struct part p = { .pkg = pkg };
	zip_file_t *zf = zip_fopen_index(pkg->z, index, 0);
	int err;

	if (!zf)
		return fail_zip(pkg, zip_error_code_zip(zip_get_error(pkg->z)));
	p.ctxt = xmlCreatePushParserCtxt(&part_sax, &p, NULL, 0, NULL);
	if (!p.ctxt)
		abort(); /* libxml2 fails here only when out of memory */
	xmlCtxtUseOptions(p.ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	err = part_parse(&p, zf, name ? name : "a part");
	xmlFreeParserCtxt(p.ctxt);
	zip_fclose(zf);
	return err;
}

/* Returns a stream of its own on fd (owned; libzip closes it with the source), or NULL. */
static FILE *stream_dup(int fd)
{
	int own = dup(fd);
	FILE *fp = own < 0 ? NULL : fdopen(own, "rb");

	if (!fp && own >= 0)
		close(own);
	return fp;
}

/* Checks the package holds the format's main part. */
static int pkg_check(struct pkg *pkg)
{
	if (zip_name_locate(pkg->z, pkg->f->main, 0) >= 0)
		return 0;
	return doc_fail(pkg->o, "invalid_file", "The file is a ZIP archive but not a %s file (it "
			"has no %s); save it from %s as .%s and upload that.", pkg->f->name,
			pkg->f->main, pkg->f->app, pkg->f->ext);
}

/* Opens the ZIP package on fd (which stays the caller's); on success pkg->z is set. */
static int pkg_open(int fd, struct pkg *pkg)
{
	FILE *fp = stream_dup(fd);
	zip_source_t *src = NULL;
	zip_error_t ze;
	int err = 0;

	zip_error_init(&ze);
	src = fp ? zip_source_filep_create(fp, 0, -1, &ze) : NULL;
	if (fp && !src)
		fclose(fp);
	pkg->z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
	if (!src)
		err = doc_fail_io(pkg->o);
	else if (!pkg->z)
		err = fail_zip(pkg, zip_error_code_zip(&ze));
	if (src && !pkg->z)
		zip_source_free(src);
	zip_error_fini(&ze);
	return err ? err : pkg_check(pkg);
}

static void pkg_close(struct pkg *pkg)
{
	if (pkg->z)
		zip_discard(pkg->z);
}

int doc_docx(int fd, struct doc_out *o)
{
	struct pkg pkg = { NULL, OOXML_MAX_XML, &docx, o };
	int err = pkg_open(fd, &pkg);

	if (!err)
		err = part_text(&pkg, (zip_uint64_t)zip_name_locate(pkg.z, docx.main, 0));
	pkg_close(&pkg);
	return err;
}

struct slide {
	unsigned long num;
	zip_uint64_t index;
};

/* True when name is "ppt/slides/slide<N>.xml"; *num is N. */
static bool slide_number(const char *name, unsigned long *num)
{
	static const char prefix[] = "ppt/slides/slide";
	const char *digits;
	char *end = NULL;

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return false;
	digits = name + sizeof(prefix) - 1;
	if (*digits < '0' || *digits > '9')
		return false;
	*num = strtoul(digits, &end, 10);
	return end - digits <= 9 && !strcmp(end, ".xml");
}

static int slide_cmp(const void *a, const void *b)
{
	const struct slide *x = a;
	const struct slide *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* Returns the package's slides in number order (slide10 after slide9): owned (free()), *n of
 * them. */
static struct slide *slides_list(zip_t *z, size_t *n)
{
	zip_int64_t count = zip_get_num_entries(z, 0);
	struct slide *s = xcalloc(count > 0 ? (size_t)count : 1, sizeof(*s));
	const char *name;

	*n = 0;
	for (zip_int64_t i = 0; i < count; i++) {
		name = zip_get_name(z, (zip_uint64_t)i, 0);
		if (name && slide_number(name, &s[*n].num))
			s[(*n)++].index = (zip_uint64_t)i;
	}
	qsort(s, *n, sizeof(*s), slide_cmp);
	return s;
}

int doc_pptx(int fd, struct doc_out *o)
{
	struct pkg pkg = { NULL, OOXML_MAX_XML, &pptx, o };
	struct slide *slides = NULL;
	size_t n = 0;
	int err = pkg_open(fd, &pkg);

	if (!err)
		slides = slides_list(pkg.z, &n);
	for (size_t i = 0; !err && i < n; i++) {
		doc_sep(o, DOC_SEP_PARA);
		err = part_text(&pkg, slides[i].index);
	}
	free(slides);
	pkg_close(&pkg);
	return err;
}
