/* pdf.c - the text of a PDF through poppler-glib: every page in order, pages separated by a
 * blank line.
 *
 * A PDF that needs a password, one poppler cannot read, and one whose pages hold only images
 * (a scan with no text layer) each fail with a why that says what to do. A PDF encrypted
 * with an empty user password opens like any other, as in a viewer. poppler reads the file
 * through its descriptor on demand, so memory follows the page being read, not the file. */
#include <poppler.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "docs_int.h"

/* What to tell the user for each of poppler's errors; anything else is damage. */
static const struct {
	int code;
	const char *why;
} open_errors[] = {
	{ POPPLER_ERROR_ENCRYPTED, "The PDF is protected by a password; save or print it as a PDF "
				   "without one and upload that." },
};

static const char why_damaged[] = "The PDF is damaged and cannot be read; open it in a PDF "
				  "viewer, save it as a new PDF and upload that.";

static int fail_open(struct doc_out *o, const GError *gerr)
{
	for (size_t i = 0; i < sizeof(open_errors) / sizeof(open_errors[0]); i++) {
		if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == open_errors[i].code)
			return doc_fail(o, "invalid_file", "%s", open_errors[i].why);
	}
	return doc_fail(o, "invalid_file", "%s", why_damaged);
}

/* Opens the PDF on fd (which stays the caller's). On success *doc is owned (g_object_unref). */
static int pdf_open(int fd, PopplerDocument **doc, struct doc_out *o)
{
	GError *gerr = NULL;
	int own = dup(fd);
	int err;

	if (own < 0)
		return doc_fail_io(o);
	/* poppler takes the descriptor, and closes it even when it fails. */
	*doc = poppler_document_new_from_fd(own, NULL, &gerr);
	if (*doc)
		return 0;
	err = fail_open(o, gerr);
	g_clear_error(&gerr);
	return err;
}

static bool page_has_images(PopplerPage *page)
{
	GList *images = poppler_page_get_image_mapping(page);
	bool any = images != NULL;

	poppler_page_free_image_mapping(images);
	return any;
}

/* Appends the page's text, trimmed, after a blank line. A page with no text is checked for
 * images, until one is found, to tell a scan from an empty document. */
static int page_put(PopplerPage *page, struct doc_out *o, bool *images)
{
	char *text = poppler_page_get_text(page);
	const char *p = text ? text : "";
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
	if (!n && !*images)
		*images = page_has_images(page);
	g_free(text);
	return err;
}

int doc_pdf(int fd, struct doc_out *o)
{
	PopplerDocument *doc = NULL;
	PopplerPage *page;
	bool images = false;
	int pages;
	int err = pdf_open(fd, &doc, o);

	if (err)
		return err;
	pages = poppler_document_get_n_pages(doc);
	for (int i = 0; !err && i < pages; i++) {
		page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		err = page_put(page, o, &images);
		g_object_unref(page);
	}
	if (!err && !o->text.len && images)
		err = doc_fail(o, "invalid_file", "The PDF has no text layer (it looks scanned); run "
			       "OCR on it and upload the result.");
	g_object_unref(doc);
	return err;
}
