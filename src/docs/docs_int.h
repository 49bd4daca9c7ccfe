/* docs_int.h - what the files of src/docs share: the text being built and the extractors.
 *
 * Every extractor appends to a struct doc_out. Text goes in with doc_put; the breaks between
 * pieces (a space, a tab, a line, a blank line) go in with doc_sep and are written only when
 * more text follows, so a document never starts or ends with them and several breaks in a row
 * become the strongest one. A failure is recorded once, with doc_fail. */
#ifndef ASSISTD_DOCS_INT_H
#define ASSISTD_DOCS_INT_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

/* Breaks between pieces of text, weakest first. */
enum doc_sep { DOC_SEP_NONE, DOC_SEP_SPACE, DOC_SEP_TAB, DOC_SEP_LINE, DOC_SEP_PARA };

/* The encodings a byte order mark can announce. */
enum doc_enc { DOC_ENC_UTF8, DOC_ENC_UTF16LE, DOC_ENC_UTF16BE };

struct doc_out {
	struct buf text;     /* bounded at DOC_MAX_TEXT */
	enum doc_sep pending; /* the break to write before the next text */
	const char *code;    /* static; set by the first failure */
	char *why;           /* owned; set by the first failure */
};

void doc_out_init(struct doc_out *o);
void doc_out_cleanup(struct doc_out *o);

/* Appends n bytes of text, after the pending break. 0, or ERR_INVALID (recorded) when the
 * document has more text than DOC_MAX_TEXT. */
int doc_put(struct doc_out *o, const char *p, size_t n) MUST_CHECK;
/* Asks for at least break s before the next text. */
void doc_sep(struct doc_out *o, enum doc_sep s);
/* Records the failure (only the first one counts) and returns ERR_INVALID. code is static. */
int doc_fail(struct doc_out *o, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The failure for a document with more text than DOC_MAX_TEXT. Returns ERR_INVALID. */
int doc_fail_big(struct doc_out *o);
/* Records a failure that is the server's fault, "server_error" (only the first one counts).
 * Returns ERR_INTERNAL. */
int doc_fail_server(struct doc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The failure for a file the server could not read from storage. Returns ERR_INTERNAL. */
int doc_fail_io(struct doc_out *o);
/* The length of the byte order mark at the start of p (n bytes), 0 when there is none; sets
 * *enc to what it announces, else leaves it. */
size_t doc_bom(const void *p, size_t n, enum doc_enc *enc);
/* Reads up to n bytes (fewer only at the end of the file). Returns the count, or (size_t)-1
 * on a read error. */
size_t doc_read(int fd, void *p, size_t n);

/* The extractors. Each reads the open file fd (positioned at 0; the caller closes it),
 * appends to o and returns 0, or the failure recorded in o: ERR_INVALID for the file's
 * fault, ERR_INTERNAL (doc_fail_io) for the server's. doc_text runs in the server; the others
 * need a library (poppler-glib, libxml2, libzip) and run only in the reader program (reader/). */
int doc_text(int fd, struct doc_out *o);
int doc_html(int fd, struct doc_out *o);
int doc_pdf(int fd, struct doc_out *o);
int doc_docx(int fd, struct doc_out *o);
int doc_pptx(int fd, struct doc_out *o);

/* Extracts the file fd in the reader program as format (DOCS_FMT_*), appending its text to o,
 * as the extractors above do (reader.c). */
int doc_reader_run(int fd, const char *format, struct doc_out *o);

/* The formats that need a library are read in a process of their own, the program assistd-docs
 * built from reader/ (the only one linking poppler-glib, libxml2 and libzip): reader.c starts it
 * with argv { DOCS_READER_NAME, format }, the file on descriptor DOCS_FD_FILE and a pipe on
 * DOCS_FD_OUT. The reader sends records: a type byte, a 4-byte length in host order, then
 * that many bytes. DOCS_REC_TEXT records carry the text, in order, to append as it is; one
 * DOCS_REC_END record ends it: empty when the file was read, else the failure's code, a NUL and
 * its why (at most DOCS_MAX_WHY bytes in all). */
#define DOCS_READER_NAME "assistd-docs"
#define DOCS_FMT_PDF "PDF"
#define DOCS_FMT_HTML "HTML"
#define DOCS_FMT_DOCX "DOCX"
#define DOCS_FMT_PPTX "PPTX"
/* What the reader may use: address space beyond what it starts with, and CPU seconds. */
#define DOCS_MAX_MEMORY (1024u << 20)
#define DOCS_MAX_SECONDS 300u
#define DOCS_FD_FILE 3
#define DOCS_FD_OUT 4
#define DOCS_REC_HEAD 5
#define DOCS_MAX_WHY 4096u
enum docs_rec { DOCS_REC_TEXT, DOCS_REC_END };

#endif
