/* extract.h - the plain text of an uploaded document, for file_search.
 *
 * One call turns a file on disk into UTF-8 text: plain text and source code as they are, read
 * in this process; HTML without its tags, and PDF, DOCX and PPTX, through their libraries in a
 * program of its own, assistd-docs (the document reader, chosen once at start). It reads nothing
 * but the file it is given, keeps no state between calls, and may be called from several
 * threads at once. Chunking and token counting happen elsewhere (the vector store code). */
#ifndef ASSISTD_DOCS_EXTRACT_H
#define ASSISTD_DOCS_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

/* The most text one file may yield, and the most bytes read from one part of a document
 * (the XML of a DOCX or PPTX part, an HTML file): past these the file is invalid_file. */
#define DOC_MAX_TEXT (64u << 20)
#define DOC_MAX_PART (64u << 20)

/* Extracts the plain text of the file at path (UTF-8 out). filename's extension picks the format
 * (content sniffing confirms: a ".pdf" that is not a PDF is invalid_file). On success *text is
 * owned (free()) and NUL-terminated, *len its length in bytes. On failure returns ERR_INVALID and
 * sets *code to "unsupported_file" or "invalid_file" (static) and *why to an owned sentence for a
 * user, saying what is wrong and what to do (e.g. "The PDF has no text layer (it looks scanned);
 * run OCR on it and upload the result."). Never crashes on any input; bounded memory.
 * When the file itself cannot be opened or read (the server's fault, not the user's) it returns
 * ERR_INTERNAL with *code "server_error" and an owned *why. */
int doc_extract(const char *path, const char *filename, char **text, size_t *len,
		const char **code, char **why) MUST_CHECK;
/* True when filename's extension is one file_search can index (the hosted list). */
bool doc_supported(const char *filename);

/* Chooses the document reader, the program that reads PDF, HTML, DOCX and PPTX files: path, or
 * NULL or "" for assistd-docs in the directory of this process's executable (also the choice
 * when this is never called). Call it at start, before any doc_extract. Returns 0 when the
 * program is an executable file; ERR_NOT_FOUND when it is not (the choice stands: those files
 * then fail with a server_error naming it); ERR_INVALID, changing nothing, when path is longer
 * than PATH_MAX. */
int doc_reader_set(const char *path) MUST_CHECK;
/* The path of the document reader chosen (borrowed, static; valid until the next
 * doc_reader_set). */
const char *doc_reader(void);

#endif
