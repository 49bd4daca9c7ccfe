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
/* The failure for a file the server could not read: "server_error". Returns ERR_INTERNAL. */
int doc_fail_io(struct doc_out *o);
/* The length of the byte order mark at the start of p (n bytes), 0 when there is none; sets
 * *enc to what it announces, else leaves it. */
size_t doc_bom(const void *p, size_t n, enum doc_enc *enc);
/* Reads up to n bytes (fewer only at the end of the file). Returns the count, or (size_t)-1
 * on a read error. */
size_t doc_read(int fd, void *p, size_t n);

/* The extractors. Each reads the open file fd (positioned at 0; the caller closes it),
 * appends to o and returns 0, or the failure recorded in o: ERR_INVALID for the file's
 * fault, ERR_INTERNAL (doc_fail_io) for the server's. */
int doc_text(int fd, struct doc_out *o);
int doc_html(int fd, struct doc_out *o);
int doc_pdf(int fd, struct doc_out *o);
int doc_docx(int fd, struct doc_out *o);
int doc_pptx(int fd, struct doc_out *o);

/* PDFs are read by poppler in a process of their own: pdf.c starts this same program again
 * under the name PDF_READER_NAME with the file on descriptor PDF_FD_FILE and a pipe on
 * PDF_FD_OUT, and pdf_read.c, seeing that name, reads the PDF before main would run. The
 * reader sends records: a type byte, a 4-byte length in host order, then the bytes. */
#define PDF_READER_NAME "assistd-pdf-reader"
/* What the reader may use: address space beyond what it starts with, and CPU seconds. */
#define PDF_MAX_MEMORY (1024u << 20)
#define PDF_MAX_SECONDS 300u
#define PDF_FD_FILE 3
#define PDF_FD_OUT 4
#define PDF_REC_HEAD 5
enum pdf_rec { PDF_REC_PAGE, PDF_REC_END };
/* How the reading went: the one byte of the PDF_REC_END record. PDF_DIED is the parent's
 * name for a reader that ended without sending one. */
enum pdf_status { PDF_OK, PDF_ENCRYPTED, PDF_DAMAGED, PDF_SCANNED, PDF_TOO_BIG, PDF_DIED };

#endif
