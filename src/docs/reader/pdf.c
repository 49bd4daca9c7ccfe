/* pdf.c - the text of a PDF, every page in order (trimmed), pages separated by a blank line.
 *
 * It runs in the reader program only (main.c), the one process linking poppler-glib (and glib,
 * cairo, ...). A PDF protected by a password, damaged, or holding only images (a scan) fails
 * with a why saying so. A PDF encrypted with an empty user password opens like any other, as in
 * a viewer. */
#include <poppler.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "../docs_int.h"
#include "../extract.h"

static int fail_open(struct doc_out *o, const GError *gerr)
{
	if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
		return doc_fail(o, "invalid_file", "The PDF is protected by a password; save or "
				"print it as a PDF without one and upload that.");
	return doc_fail(o, "invalid_file", "The PDF is damaged and cannot be read; open it in a "
			"PDF viewer, save it as a new PDF and upload that.");
}

static int fail_scanned(struct doc_out *o)
{
	return doc_fail(o, "invalid_file", "The PDF has no text layer (it looks scanned); run OCR "
			"on it and upload the result.");
}

static bool page_has_images(PopplerPage *page)
{
	GList *images = poppler_page_get_image_mapping(page);
	bool any = images != NULL;

	poppler_page_free_image_mapping(images);
	return any;
}

/* Appends the page's text without the white space around it, after a blank line. A page with
 * no text is checked for images, until one is found, to tell a scan from an empty document. */
static int page_put(PopplerPage *page, struct doc_out *o, bool *text, bool *images)
{
	char *s = poppler_page_get_text(page);
	const char *p = s ? s : "";
	size_t n = strlen(p);
	int err;

	while (n && strchr(" \t\r\n\f", p[n - 1]))
		n--;
	while (n && strchr(" \t\r\n\f", p[0])) {
		p++;
		n--;
	}
	doc_sep(o, DOC_SEP_PARA);
	err = doc_put(o, p, n);
	*text = *text || n;
	if (!n && !*images)
		*images = page_has_images(page);
	g_free(s);
	return err;
}

/* Appends every page of the open document. */
static int pages_put(PopplerDocument *doc, struct doc_out *o)
{
	int pages = poppler_document_get_n_pages(doc);
	PopplerPage *page;
	bool text = false;
	bool images = false;
	int err = 0;

	for (int i = 0; !err && i < pages; i++) {
		page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		err = page_put(page, o, &text, &images);
		g_object_unref(page);
	}
	if (!err && !text && images)
		err = fail_scanned(o);
	return err;
}

int doc_pdf(int fd, struct doc_out *o)
{
	GError *gerr = NULL;
	PopplerDocument *doc;
	int own = dup(fd);
	int err;

	if (own < 0)
		return doc_fail_io(o);
	/* poppler takes the descriptor and closes it, even when it fails */
	doc = poppler_document_new_from_fd(own, NULL, &gerr);
	err = doc ? pages_put(doc, o) : fail_open(o, gerr);
	g_clear_error(&gerr);
	if (doc)
		g_object_unref(doc);
	return err;
}
