/* extract.c - doc_extract: picks the format by extension, checks the content is that format,
 * runs the format's extractor and checks the result has text.
 *
 * The extension table is the list of types the hosted file_search accepted (plus .htm and
 * .csv). Plain text and code are read here (text.c); the formats that need a library (PDF,
 * HTML, DOCX, PPTX) are read by the reader program (reader.c starts it; reader/ is it). This
 * file does no parsing. */
#include "extract.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/buf.h"
#include "docs_int.h"

/* A format: how to recognise its bytes, what to say when they are not it, and who reads it. */
struct kind {
	const char *magic;    /* the file starts with it (within `window` bytes); NULL: any */
	size_t window;
	const char *not_it;   /* the why for a file that lacks the magic */
	const char *format;   /* the reader program reads it as this (DOCS_FMT_*); NULL: here */
	int (*extract)(int fd, struct doc_out *o); /* reads it here, when format is NULL */
};

static const struct kind kind_text = { NULL, 0, NULL, NULL, doc_text };
static const struct kind kind_html = { NULL, 0, NULL, DOCS_FMT_HTML, NULL };
static const struct kind kind_pdf = {
	"%PDF-", 1024,
	"The file is named .pdf but is not a PDF (it does not start with %PDF-); upload the PDF "
	"itself, or name the file for its real format.",
	DOCS_FMT_PDF, NULL,
};
static const struct kind kind_docx = {
	"PK\3\4", 4,
	"The file is named .docx but is not a DOCX document; if it is protected by a password, "
	"save it without one, and if it is an old .doc file, save it as .docx, then upload it.",
	DOCS_FMT_DOCX, NULL,
};
static const struct kind kind_pptx = {
	"PK\3\4", 4,
	"The file is named .pptx but is not a PPTX presentation; if it is protected by a password, "
	"save it without one, and if it is an old .ppt file, save it as .pptx, then upload it.",
	DOCS_FMT_PPTX, NULL,
};

static const struct {
	const char *ext;
	const struct kind *kind;
} exts[] = {
	{ "c", &kind_text },	{ "cpp", &kind_text },	{ "cs", &kind_text },
	{ "css", &kind_text },	{ "csv", &kind_text },	{ "docx", &kind_docx },
	{ "go", &kind_text },	{ "htm", &kind_html },	{ "html", &kind_html },
	{ "java", &kind_text },	{ "js", &kind_text },	{ "json", &kind_text },
	{ "md", &kind_text },	{ "pdf", &kind_pdf },	{ "php", &kind_text },
	{ "pptx", &kind_pptx },	{ "py", &kind_text },	{ "rb", &kind_text },
	{ "sh", &kind_text },	{ "tex", &kind_text },	{ "ts", &kind_text },
	{ "txt", &kind_text },
};

#define N_EXTS (sizeof(exts) / sizeof(exts[0]))

/* Returns the extension of filename (borrowed, without the dot), or NULL when it has none. */
static const char *ext_of(const char *filename)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;

	return dot && dot[1] && !strchr(dot, '/') ? dot + 1 : NULL;
}

static const struct kind *kind_of(const char *filename)
{
	const char *ext = ext_of(filename);

	for (size_t i = 0; ext && i < N_EXTS; i++) {
		if (!strcasecmp(ext, exts[i].ext))
			return exts[i].kind;
	}
	return NULL;
}

bool doc_supported(const char *filename)
{
	return kind_of(filename) != NULL;
}

/* True when ext is short and plain enough to quote back in a message (it comes from the
 * user: it may be anything, including bytes that are not UTF-8). */
static bool ext_quotable(const char *ext)
{
	size_t n = ext ? strlen(ext) : 0;

	return n && n <= 16 && strspn(ext, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789_-+") == n;
}

static int fail_unsupported(struct doc_out *o, const char *filename)
{
	const char *ext = ext_of(filename);
	struct buf list;
	int err = 0;

	buf_init(&list, 0);
	for (size_t i = 0; i < N_EXTS; i++)
		err |= buf_printf(&list, "%s.%s", i ? ", " : "", exts[i].ext);
	(void)err; /* an unbounded buffer never refuses */
	if (ext_quotable(ext))
		err = doc_fail(o, "unsupported_file", "Files of type .%s are not supported for "
			       "file_search; upload one of these types: %s.", ext, list.p);
	else if (ext)
		err = doc_fail(o, "unsupported_file", "This file type is not supported for "
			       "file_search; upload one of these types: %s.", list.p);
	else
		err = doc_fail(o, "unsupported_file", "The file name has no extension, so its type "
			       "is unknown; name it with one of these extensions: %s.", list.p);
	buf_cleanup(&list);
	return err;
}

static int fail_empty(struct doc_out *o)
{
	return doc_fail(o, "invalid_file", "The file is empty: it has no text to index; upload a "
			"file that contains text.");
}

/* Opens path for reading; a file of 0 bytes is the empty-file failure. */
static int open_file(const char *path, int *fd, struct doc_out *o)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) || !S_ISREG(st.st_mode))
		return doc_fail_io(o);
	return st.st_size ? 0 : fail_empty(o);
}

/* Checks that the file starts with the kind's magic, and rewinds it. */
static int sniff(int fd, const struct kind *k, struct doc_out *o)
{
	char head[1024];
	size_t n;

	if (!k->magic)
		return 0;
	n = doc_read(fd, head, k->window);
	if (n == (size_t)-1 || lseek(fd, 0, SEEK_SET) != 0)
		return doc_fail_io(o);
	if (!memmem(head, n, k->magic, strlen(k->magic)))
		return doc_fail(o, "invalid_file", "%s", k->not_it);
	return 0;
}

/* Drops control characters other than tab and line breaks (form and vertical feeds become
 * line breaks) and fails a text with nothing but white space in it. */
static int finish(struct doc_out *o)
{
	char *p = o->text.p;
	size_t n = 0;
	bool blank = true;

	for (size_t i = 0; i < o->text.len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\f' || c == '\v')
			c = '\n';
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			continue;
		blank = blank && (c == ' ' || c < 0x20);
		p[n++] = (char)c;
	}
	o->text.len = n;
	if (p)
		p[n] = '\0';
	return blank ? fail_empty(o) : 0;
}

/* Runs every step for the file; returns 0, or the failure recorded in o. */
static int extract_into(const char *path, const char *filename, struct doc_out *o)
{
	const struct kind *k = kind_of(filename);
	int fd = -1;
	int err = k ? open_file(path, &fd, o) : fail_unsupported(o, filename);

	if (!err)
		err = sniff(fd, k, o);
	if (!err)
		err = k->format ? doc_reader_run(fd, k->format, o) : k->extract(fd, o);
	if (!err)
		err = finish(o);
	if (fd >= 0)
		close(fd);
	return err;
}

int doc_extract(const char *path, const char *filename, char **text, size_t *len,
		const char **code, char **why)
{
	struct doc_out o;
	int err;

	doc_out_init(&o);
	err = extract_into(path, filename, &o);
	*text = NULL;
	*len = err ? 0 : o.text.len;
	*code = err ? o.code : NULL;
	*why = err ? o.why : NULL;
	o.why = NULL;
	if (!err)
		*text = buf_release(&o.text);
	doc_out_cleanup(&o);
	return err;
}
