/* pdf_read.c - the PDF reader: the process pdf.c starts to run poppler away from the server.
 *
 * The reader is this same program started as PDF_READER_NAME; a constructor sees that name
 * and runs the reader before main, then exits, so no main needs to know about it (the
 * server's, the unit tests'). It limits its own memory and CPU, opens the PDF with
 * poppler-glib, sends each page's text (trimmed) as a record, and ends with a record saying
 * how it went: read, protected by a password, damaged, or only images (a scan). A PDF
 * encrypted with an empty user password opens like any other, as in a viewer. */
#include <fcntl.h>
#include <poppler.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "docs_int.h"
#include "extract.h"

/* Writes all n bytes, or returns -1 (the parent has stopped reading). */
static int write_all(int out, const void *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(out, p, n);
		if (w < 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends one record: its type, its length, then the bytes. */
static int send_record(int out, enum pdf_rec type, const void *p, uint32_t n)
{
	unsigned char head[PDF_REC_HEAD];

	head[0] = (unsigned char)type;
	memcpy(head + 1, &n, sizeof(n));
	return write_all(out, head, sizeof(head)) || write_all(out, p, n) ? -1 : 0;
}

static enum pdf_status open_status(const GError *gerr)
{
	if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
		return PDF_ENCRYPTED;
	return PDF_DAMAGED;
}

static bool page_has_images(PopplerPage *page)
{
	GList *images = poppler_page_get_image_mapping(page);
	bool any = images != NULL;

	poppler_page_free_image_mapping(images);
	return any;
}

/* Sends the page's text without the white space around it. A page with no text is checked
 * for images, until one is found, to tell a scan from an empty document. */
static int page_send(PopplerPage *page, int out, bool *text, bool *images)
{
	char *s = poppler_page_get_text(page);
	const char *p = s ? s : "";
	size_t n = strlen(p);
	int err = 0;

	while (n && strchr(" \t\r\n\f", p[n - 1]))
		n--;
	while (n && strchr(" \t\r\n\f", p[0])) {
		p++;
		n--;
	}
	if (n > DOC_MAX_TEXT)
		err = -1;
	else if (n)
		err = send_record(out, PDF_REC_PAGE, p, (uint32_t)n);
	*text = *text || n;
	if (!n && !*images)
		*images = page_has_images(page);
	g_free(s);
	return err;
}

/* Reads every page of the open document; returns how it went. A page with more text than
 * DOC_MAX_TEXT, or a parent that stopped reading, ends it early (PDF_TOO_BIG). */
static enum pdf_status pages_send(PopplerDocument *doc, int out)
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
		err = page_send(page, out, &text, &images);
		g_object_unref(page);
	}
	if (err)
		return PDF_TOO_BIG;
	return !text && images ? PDF_SCANNED : PDF_OK;
}

/* Reads the PDF on fd (and closes fd), sending records to out. */
static void pdf_read(int fd, int out)
{
	GError *gerr = NULL;
	PopplerDocument *doc;
	unsigned char status;

	/* poppler takes the descriptor and closes it, even when it fails */
	doc = poppler_document_new_from_fd(fd, NULL, &gerr);
	status = (unsigned char)(doc ? pages_send(doc, out) : open_status(gerr));
	g_clear_error(&gerr);
	if (doc)
		g_object_unref(doc);
	(void)send_record(out, PDF_REC_END, &status, 1);
}

/* The size of the address space now, in bytes, from /proc/self/statm (0 when unknown). */
static rlim_t vm_size(void)
{
	char s[64];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, s, sizeof(s));
	rlim_t pages = 0;

	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		pages = pages * 10 + (rlim_t)(s[i] - '0');
	return pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

/* Caps the reader: PDF_MAX_MEMORY more than it has now (sanitizer builds reserve terabytes
 * of address space at start), and PDF_MAX_SECONDS of CPU. */
static void limit_self(void)
{
	struct rlimit mem;
	struct rlimit cpu = { PDF_MAX_SECONDS, PDF_MAX_SECONDS + 1 };

	mem.rlim_cur = vm_size() + PDF_MAX_MEMORY;
	mem.rlim_max = mem.rlim_cur;
	if (setrlimit(RLIMIT_AS, &mem) || setrlimit(RLIMIT_CPU, &cpu))
		_exit(1);
}

/* Runs before main in every program that links src/docs: in the reader it does the reader's
 * work and exits; anywhere else it returns at once. glibc passes argc and argv. */
static void __attribute__((constructor)) reader_main(int argc, char **argv)
{
	if (argc != 1 || !argv || !argv[0] || strcmp(argv[0], PDF_READER_NAME))
		return;
	/* A server that dies takes its readers with it. (Not checked against getppid() == 1:
	 * in a container the server may be pid 1.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(1);
	limit_self();
	pdf_read(PDF_FD_FILE, PDF_FD_OUT);
	_exit(0);
}
