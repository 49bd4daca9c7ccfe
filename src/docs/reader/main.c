/* main.c - assistd-docs, the document reader: the program reader.c starts to extract the text
 * of a PDF, HTML, DOCX or PPTX file away from the server.
 *
 * It is a program of its own, and the only one linking the libraries those formats need
 * (poppler-glib with glib and cairo, libxml2, libzip), so the server never loads them, and
 * whatever a hostile or broken file does to them (a crash, gigabytes of memory, minutes of
 * work) ends the reader, never the server. It takes the format as its one argument, the file on
 * descriptor DOCS_FD_FILE and a pipe on DOCS_FD_OUT; it limits its own memory and CPU, runs the
 * format's extractor (pdf.c, html.c, ooxml.c) and sends the text, or the failure, as records
 * (docs_int.h). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../docs_int.h"
#include "../extract.h"

/* Text goes to the server this much at a time. */
#define SEND_CHUNK (64u << 10)

static const struct {
	const char *format;
	int (*extract)(int fd, struct doc_out *o);
} formats[] = {
	{ DOCS_FMT_PDF, doc_pdf },
	{ DOCS_FMT_HTML, doc_html },
	{ DOCS_FMT_DOCX, doc_docx },
	{ DOCS_FMT_PPTX, doc_pptx },
};

/* Returns the extractor of format, or NULL when there is none. */
static int (*extractor_of(const char *format))(int, struct doc_out *)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(format, formats[i].format))
			return formats[i].extract;
	}
	return NULL;
}

/* Writes all n bytes, or returns -1 (the server has stopped reading). */
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

/* Sends one record: its type, its length, then the n bytes of p and, after them, the nb bytes
 * of b. */
static int send_record(int out, enum docs_rec type, const void *p, uint32_t n, const void *b,
		       uint32_t nb)
{
	unsigned char head[DOCS_REC_HEAD];
	uint32_t len = n + nb;

	head[0] = (unsigned char)type;
	memcpy(head + 1, &len, sizeof(len));
	return write_all(out, head, sizeof(head)) || write_all(out, p, n) ||
	       write_all(out, b, nb) ? -1 : 0;
}

/* Sends the text in chunks, then an empty end record. */
static void send_text(int out, const struct doc_out *o)
{
	size_t n;

	for (size_t at = 0; at < o->text.len; at += n) {
		n = o->text.len - at < SEND_CHUNK ? o->text.len - at : SEND_CHUNK;
		if (send_record(out, DOCS_REC_TEXT, o->text.p + at, (uint32_t)n, NULL, 0))
			return;
	}
	(void)send_record(out, DOCS_REC_END, NULL, 0, NULL, 0);
}

/* Sends the failure: an end record with its code, a NUL and its why (cut to fit, between
 * two characters). */
static void send_failure(int out, const struct doc_out *o)
{
	uint32_t code = (uint32_t)strlen(o->code) + 1;
	uint32_t why = (uint32_t)strnlen(o->why, DOCS_MAX_WHY - code);

	while (why && o->why[why] && ((unsigned char)o->why[why] & 0xc0) == 0x80)
		why--;
	(void)send_record(out, DOCS_REC_END, o->code, code, o->why, why);
}

/* Extracts the file on fd with extract and sends the outcome to out. */
static void extract_send(int (*extract)(int, struct doc_out *), int fd, int out)
{
	struct doc_out o;

	doc_out_init(&o);
	if (extract(fd, &o))
		send_failure(out, &o);
	else
		send_text(out, &o);
	doc_out_cleanup(&o);
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

/* Caps the reader: DOCS_MAX_MEMORY more than it has now (sanitizer builds reserve terabytes
 * of address space at start), and DOCS_MAX_SECONDS of CPU. Returns 0, or -1 when it cannot. */
static int limit_self(void)
{
	struct rlimit mem;
	struct rlimit cpu = { DOCS_MAX_SECONDS, DOCS_MAX_SECONDS + 1 };

	mem.rlim_cur = vm_size() + DOCS_MAX_MEMORY;
	mem.rlim_max = mem.rlim_cur;
	return setrlimit(RLIMIT_AS, &mem) || setrlimit(RLIMIT_CPU, &cpu) ? -1 : 0;
}

/* True when descriptor fd is open. */
static bool fd_open(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0;
}

int main(int argc, char **argv)
{
	int (*extract)(int, struct doc_out *) = argc == 2 ? extractor_of(argv[1]) : NULL;

	if (!extract || !fd_open(DOCS_FD_FILE) || !fd_open(DOCS_FD_OUT)) {
		fprintf(stderr, "%s: the document reader of assistd, started by the server with a "
			"format (" DOCS_FMT_PDF ", " DOCS_FMT_HTML ", " DOCS_FMT_DOCX " or "
			DOCS_FMT_PPTX ") as its argument, the file on descriptor %d and a pipe on "
			"descriptor %d; it is not run by hand\n", argc > 0 ? argv[0] :
			DOCS_READER_NAME, DOCS_FD_FILE, DOCS_FD_OUT);
		return 2;
	}
	/* A server that dies takes its readers with it. (Not checked against getppid() == 1:
	 * in a container the server may be pid 1.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || limit_self())
		return 1;
	extract_send(extract, DOCS_FD_FILE, DOCS_FD_OUT);
	return 0;
}
