/* test_docs.c - unit tests for src/docs: text out of every supported format, and a clear
 * invalid_file or unsupported_file for everything else.
 *
 * Fixtures are built here: PDFs written object by object (with a correct xref table), DOCX
 * and PPTX packages with libzip, then written to a temporary file for each call. */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zip.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/docs/docs_int.h"
#include "../../src/docs/extract.h"
#include "suites.h"

/* The outcome of one doc_extract call; text or (code, why). */
struct got {
	int err;
	char *text;
	size_t len;
	const char *code;
	char *why;
};

static void got_free(struct got *g)
{
	free(g->text);
	free(g->why);
}

/* Extracts the file at path (owned) as if uploaded with the name filename, then removes it. */
static struct got extract_path(const char *filename, char *path)
{
	struct got g;

	g.err = doc_extract(path, filename, &g.text, &g.len, &g.code, &g.why);
	unlink(path);
	free(path);
	if (g.err) {
		ASSERT(g.code && g.why && g.why[0]);
		ASSERT(!g.text);
	} else {
		ASSERT(g.text && !g.code && !g.why);
		ASSERT_EQ_INT(strlen(g.text), g.len);
	}
	return g;
}

/* Writes n bytes to a temporary file and extracts it as if uploaded with the name filename. */
static struct got extract(const char *filename, const void *p, size_t n)
{
	char *path = xstrdup("/tmp/assistd-docs-XXXXXX");
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	ASSERT((size_t)write(fd, p, n) == n);
	close(fd);
	return extract_path(filename, path);
}

static struct got extract_str(const char *filename, const char *s)
{
	return extract(filename, s, strlen(s));
}

/* Asserts the extraction failed with code and a why containing part. */
static void expect_fail(struct got g, const char *code, const char *part)
{
	if (!g.err)
		T_FAIL("extracted \"%s\", expected %s", g.text, code);
	ASSERT_EQ_INT(g.err, ERR_INVALID);
	ASSERT_STR_EQ(g.code, code);
	if (!strstr(g.why, part))
		T_FAIL("why \"%s\" does not say \"%s\"", g.why, part);
	got_free(&g);
}

static void expect_text(struct got g, const char *text)
{
	if (g.err)
		T_FAIL("%s: %s", g.code, g.why);
	ASSERT_STR_EQ(g.text, text);
	got_free(&g);
}

static void text_utf8_kept_bom_dropped(void)
{
	expect_text(extract_str("a.txt", "caf\xc3\xa9 \xf0\x9f\x98\x80\n"),
		    "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
	expect_text(extract_str("a.md", "\xef\xbb\xbf# Title\n"), "# Title\n");
	expect_text(extract_str("main.PY", "print(1)\n"), "print(1)\n");
}

static void text_utf16_with_bom(void)
{
	/* "hé😀" in UTF-16 LE and BE, each with its BOM */
	static const char le[] = "\xff\xfeh\0\xe9\0\x3d\xd8\x00\xde";
	static const char be[] = "\xfe\xff\0h\0\xe9\xd8\x3d\xde\x00";

	expect_text(extract("a.txt", le, sizeof(le) - 1), "h\xc3\xa9\xf0\x9f\x98\x80");
	expect_text(extract("a.csv", be, sizeof(be) - 1), "h\xc3\xa9\xf0\x9f\x98\x80");
	expect_fail(extract("a.txt", le, sizeof(le) - 2), "invalid_file", "UTF-16");
	expect_fail(extract("a.txt", "\xff\xfe\x00\xdc", 4), "invalid_file", "unpaired");
}

static void text_invalid_utf8_fails(void)
{
	expect_fail(extract_str("a.txt", "abc\xe9 def"), "invalid_file", "byte 3 is not");
	expect_fail(extract_str("a.txt", "overlong \xc0\xaf"), "invalid_file", "UTF-8");
	expect_fail(extract_str("a.txt", "surrogate \xed\xa0\x80"), "invalid_file", "UTF-8");
	expect_fail(extract_str("a.txt", "cut \xe2\x82"), "invalid_file", "byte 4");
	expect_fail(extract("a.json", "{\"a\":\0}", 7), "invalid_file", "NUL");
}

/* A long file is decoded in chunks: characters cut by a chunk boundary must survive. */
static void text_chunk_boundaries(void)
{
	size_t n = 300000;
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i += 3)
		memcpy(s + i, "\xe2\x82\xac", 3);
	s[n] = '\0';
	expect_text(extract("euros.txt", s, n), s);
	free(s);
}

/* The same for UTF-16: after the 2-byte BOM, a chunk boundary splits a surrogate pair. */
static void text_utf16_chunk_boundaries(void)
{
	size_t pairs = 100000;
	char *in = xmalloc(2 + pairs * 4);
	char *want = xmalloc(pairs * 4 + 1);

	memcpy(in, "\xff\xfe", 2);
	for (size_t i = 0; i < pairs; i++) {
		memcpy(in + 2 + i * 4, "\x3d\xd8\x00\xde", 4);
		memcpy(want + i * 4, "\xf0\x9f\x98\x80", 4);
	}
	want[pairs * 4] = '\0';
	expect_text(extract("smileys.txt", in, 2 + pairs * 4), want);
	free(in);
	free(want);
}

static void empty_files_fail(void)
{
	expect_fail(extract("a.txt", "", 0), "invalid_file", "empty");
	expect_fail(extract_str("a.txt", " \n\t\r\n"), "invalid_file", "empty");
	expect_fail(extract_str("a.txt", "\xef\xbb\xbf"), "invalid_file", "empty");
}

static void unsupported_names_the_supported(void)
{
	expect_fail(extract_str("a.exe", "MZ"), "unsupported_file", ".exe");
	expect_fail(extract_str("a.exe", "MZ"), "unsupported_file", ".txt");
	expect_fail(extract_str("README", "hello"), "unsupported_file", "no extension");
	expect_fail(extract_str("dir.d/README", "hello"), "unsupported_file", "no extension");
	expect_fail(extract_str("x.\xff\xfe", "hello"), "unsupported_file", "This file type");
	expect_fail(extract_str("x.abcdefghijklmnopqrstuvwxyz", "hello"), "unsupported_file",
		    "This file type");
	ASSERT(doc_supported("x.TXT"));
	ASSERT(doc_supported("a.b.json"));
	ASSERT(!doc_supported("x.doc"));
	ASSERT(!doc_supported("txt"));
	ASSERT(!doc_supported("x."));
	ASSERT(!doc_supported(NULL));
}

static void missing_file_is_server_error(void)
{
	char *text = NULL;
	size_t len = 0;
	const char *code = NULL;
	char *why = NULL;

	ASSERT_EQ_INT(doc_extract("/nonexistent/x.txt", "x.txt", &text, &len, &code, &why),
		      ERR_INTERNAL);
	ASSERT_STR_EQ(code, "server_error");
	ASSERT(why && !text);
	free(why);
}

/* --- HTML ------------------------------------------------------------------------------ */

static void html_text_only(void)
{
	expect_text(extract_str("page.html",
				"<!DOCTYPE html><html><head><title>T &amp; t</title>"
				"<style>p { color: red }</style>"
				"<script>var s = \"<p>not text</p>\";</script></head>"
				"<body><h1>Caf\xc3\xa9 &eacute; &#x1F600;</h1>"
				"<p>one\n   two <b>bold</b>er</p>"
				"<ul><li>a<li>b</ul>"
				"<table><tr><td>c1<td>c2</tr>"
				"<tr><th>d1</th><td>d2</td></tr></table>"
				"line<br>break<pre>  kept\n  as is</pre>"
				"<p>unclosed <div>nest"),
		    "T & t\nCaf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80\none two bolder\na\nb\n"
		    "c1\tc2\nd1\td2\nline\nbreak\n  kept\n  as is\nunclosed\nnest");
}

static void html_encodings(void)
{
	static const char le[] = "\xff\xfe<\0p\0>\0h\0\xe9\0";

	expect_text(extract_str("a.htm", "<meta charset=\"iso-8859-1\"><p>Caf\xe9</p>"),
		    "Caf\xc3\xa9");
	expect_text(extract_str("a.htm", "\xef\xbb\xbf<p>Caf\xc3\xa9</p>"), "Caf\xc3\xa9");
	expect_text(extract("a.html", le, sizeof(le) - 1), "h\xc3\xa9");
	expect_fail(extract_str("a.html", "<html><script>only()</script><p> </p></html>"),
		    "invalid_file", "empty");
}

/* An HTML file past DOC_MAX_PART is refused before it is parsed (a sparse file here). */
static void html_too_big_fails(void)
{
	char *path = xstrdup("/tmp/assistd-docs-XXXXXX");
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	ASSERT_OK(ftruncate(fd, (off_t)DOC_MAX_PART + 1));
	close(fd);
	expect_fail(extract_path("big.html", path), "invalid_file", "larger than 64 MB");
}

/* --- PDF ------------------------------------------------------------------------------- */

/* Builds a PDF from its objects (numbered from 1), with the xref table at the right offsets;
 * trailer adds entries to the trailer dictionary. */
static void pdf_build(struct buf *b, const char *const *objs, size_t n, const char *trailer)
{
	size_t *offs = xcalloc(n, sizeof(*offs));
	size_t xref;
	int err = buf_puts(b, "%PDF-1.4\n");

	for (size_t i = 0; i < n; i++) {
		offs[i] = b->len;
		err |= buf_printf(b, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	xref = b->len;
	err |= buf_printf(b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
	for (size_t i = 0; i < n; i++)
		err |= buf_printf(b, "%010zu 00000 n \n", offs[i]);
	err |= buf_printf(b, "trailer\n<< /Size %zu /Root 1 0 R %s>>\nstartxref\n%zu\n%%%%EOF\n",
			  n + 1, trailer, xref);
	ASSERT_OK(err);
	free(offs);
}

#define PDF_CATALOG "<< /Type /Catalog /Pages 2 0 R >>"
#define PDF_FONT "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
#define PDF_PAGE(contents, res)                                                            \
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources " res             \
	" /Contents " contents " 0 R >>"
#define PDF_TEXT_RES "<< /Font << /F1 3 0 R >> >>"

/* Two pages of text in Helvetica; with encrypt, a password is needed to read it. */
static void pdf_two_pages(struct buf *b, bool encrypt)
{
	static const char *const objs[] = {
		PDF_CATALOG,
		"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
		PDF_FONT,
		PDF_PAGE("5", PDF_TEXT_RES),
		"<< /Length 64 >>\nstream\n"
		"BT /F1 24 Tf 72 700 Td (Hello PDF) Tj 0 -30 Td (second line) Tj ET\nendstream",
		PDF_PAGE("7", PDF_TEXT_RES),
		"<< /Length 38 >>\nstream\nBT /F1 24 Tf 72 700 Td (Page two) Tj ET\nendstream",
		"<< /Filter /Standard /V 1 /R 2 /P -4 "
		"/O <1111111111111111111111111111111111111111111111111111111111111111> "
		"/U <2222222222222222222222222222222222222222222222222222222222222222> >>",
	};

	buf_init(b, 0);
	if (encrypt)
		pdf_build(b, objs, 8, "/Encrypt 8 0 R /ID [<33333333333333333333333333333333> "
				      "<33333333333333333333333333333333>] ");
	else
		pdf_build(b, objs, 7, "");
}

/* Asserts the PDF of objs fails as invalid_file with a why containing part. */
static void expect_pdf_fail(const char *const *objs, size_t n, const char *part)
{
	struct buf b;

	buf_init(&b, 0);
	pdf_build(&b, objs, n, "");
	expect_fail(extract("a.pdf", b.p, b.len), "invalid_file", part);
	buf_cleanup(&b);
}

static void pdf_pages_text(void)
{
	struct buf b;

	pdf_two_pages(&b, false);
	expect_text(extract("report.pdf", b.p, b.len), "Hello PDF\nsecond line\n\nPage two");
	buf_cleanup(&b);
}

static void pdf_scanned_fails(void)
{
	static const char *const objs[] = {
		PDF_CATALOG,
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
		"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		"<< /Length 33 >>\nstream\nq 200 0 0 200 72 500 cm /Im1 Do Q\nendstream",
		"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
		"/BitsPerComponent 8 /Filter /ASCIIHexDecode /Length 9 >>\n"
		"stream\n00FFFF00>\nendstream",
	};

	expect_pdf_fail(objs, 5, "no text layer");
}

static void pdf_blank_is_empty(void)
{
	static const char *const objs[] = {
		PDF_CATALOG,
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
	};

	expect_pdf_fail(objs, 3, "empty");
}

static void pdf_encrypted_fails(void)
{
	struct buf b;

	pdf_two_pages(&b, true);
	expect_fail(extract("locked.pdf", b.p, b.len), "invalid_file", "password");
	buf_cleanup(&b);
}

static void pdf_corrupt_fails(void)
{
	struct buf b;

	expect_fail(extract_str("bad.pdf", "%PDF-1.4\n1 0 obj garbage\n%%EOF"), "invalid_file",
		    "damaged");
	pdf_two_pages(&b, false);
	expect_fail(extract("cut.pdf", b.p, 200), "invalid_file", "damaged");
	expect_fail(extract_str("notes.pdf", "just some text"), "invalid_file", "not a PDF");
	buf_cleanup(&b);
}

/* A PDF that keeps poppler busy for seconds: one page of 100,000 words, each placed apart. */
static void pdf_slow(struct buf *b)
{
	struct buf content;
	char *page;
	const char *objs[5] = { PDF_CATALOG, "<< /Type /Pages /Kids [4 0 R] /Count 1 >>", PDF_FONT,
				PDF_PAGE("5", PDF_TEXT_RES), NULL };
	int err = 0;

	buf_init(&content, 0);
	for (int i = 0; i < 100000; i++)
		err |= buf_printf(&content, "1 0 0 1 %d %d Tm (w%d) Tj ", 20 + i % 10 * 58,
				  40 + i / 10 % 50 * 14, i);
	ASSERT_OK(err);
	page = xasprintf("<< /Length %zu >>\nstream\nBT /F1 8 Tf %sET\nendstream",
			 content.len + 14, content.p);
	objs[4] = page;
	buf_init(b, 0);
	pdf_build(b, objs, 5, "");
	free(page);
	buf_cleanup(&content);
}

/* The pid of a process whose parent is this one, waiting up to 10 s for it; 0 if none. */
static pid_t child_find(void)
{
	char path[300];
	char stat[512];
	const char *after;
	struct dirent *e;
	DIR *d;
	FILE *f;
	int ppid;
	pid_t found = 0;

	for (int tries = 0; !found && tries < 1000; tries++, usleep(10000)) {
		d = opendir("/proc");
		ASSERT(d);
		for (e = readdir(d); !found && e; e = readdir(d)) {
			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			stat[fread(stat, 1, sizeof(stat) - 1, f)] = '\0';
			fclose(f);
			after = strrchr(stat, ')');
			if (after && sscanf(after + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
				found = (pid_t)strtol(e->d_name, NULL, 10);
		}
		closedir(d);
	}
	return found;
}

static void *extract_slow_pdf(void *arg)
{
	struct buf b;
	struct got *g = arg;

	pdf_slow(&b);
	*g = extract("slow.pdf", b.p, b.len);
	buf_cleanup(&b);
	return NULL;
}

/* Reads the start of the file at path into out (size bytes, NUL-terminated); "" when it
 * cannot. */
static void file_head(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	out[f ? fread(out, 1, size - 1, f) : 0] = '\0';
	if (f)
		fclose(f);
}

/* Reads /proc/PID/NAME into out (size bytes, NUL-terminated); "" when it cannot. */
static void proc_read(pid_t pid, const char *name, char *out, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	file_head(path, out, size);
}

/* True when the process is the reader in its own main: it runs as DOCS_READER_NAME and has
 * capped its address space. (Before that the loader and the sanitizers' start-up open files
 * of their own for a moment.) */
static bool reader_in_main(pid_t reader)
{
	char text[4096];
	const char *as;

	proc_read(reader, "cmdline", text, sizeof(text));
	if (strcmp(text, DOCS_READER_NAME))
		return false;
	proc_read(reader, "limits", text, sizeof(text));
	as = strstr(text, "Max address space");
	return as && !memmem(as, strcspn(as, "\n"), "unlimited", 9);
}

/* Waits (up to 10 s) until the reader has started its work. */
static void reader_wait_main(pid_t reader)
{
	for (int tries = 0; !reader_in_main(reader) && tries < 1000; tries++)
		usleep(10000);
	ASSERT(reader_in_main(reader));
}

/* Reads what descriptor fd of process pid is (its /proc link) into out; "" when it is not. */
static void fd_link(pid_t pid, const char *fd, char *out, size_t size)
{
	char path[300];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* True when process pid has a descriptor above 2 that is link. */
static bool fd_held(pid_t pid, const char *link)
{
	char path[64];
	char other[PATH_MAX];
	struct dirent *e;
	DIR *d;
	bool held = false;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ASSERT(d);
	for (e = readdir(d); !held && e; e = readdir(d)) {
		if (e->d_name[0] == '.' || strtol(e->d_name, NULL, 10) <= 2)
			continue;
		fd_link(pid, e->d_name, other, sizeof(other));
		held = !strcmp(other, link);
	}
	closedir(d);
	return held;
}

/* Asserts the reader holds no descriptor of the server's (this process's) but the document on
 * DOCS_FD_FILE (and copies of it) and its pipe on DOCS_FD_OUT, and no secret from the
 * environment. */
static void reader_isolated(pid_t reader)
{
	char path[64];
	char file[PATH_MAX];
	char link[PATH_MAX];
	char env[4096];
	struct dirent *e;
	FILE *f;
	DIR *d;
	size_t n;

	fd_link(reader, "3", file, sizeof(file));
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)reader);
	d = opendir(path);
	ASSERT(d);
	for (e = readdir(d); e; e = readdir(d)) {
		if (e->d_name[0] == '.' || strtol(e->d_name, NULL, 10) <= DOCS_FD_OUT)
			continue;
		fd_link(reader, e->d_name, link, sizeof(link));
		if (strcmp(link, file) && fd_held(getpid(), link))
			T_FAIL("the reader holds the server's descriptor %s (%s)", e->d_name, link);
	}
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)reader);
	f = fopen(path, "r");
	ASSERT(f);
	n = fread(env, 1, sizeof(env), f);
	fclose(f);
	ASSERT(!memmem(env, n, "ASSISTD_TEST_SECRET", 19));
}

/* The document reader (here poppler, busy with a slow PDF) runs in a process that holds nothing
 * of the server's: when it dies (killed here, as the kernel would for its memory or CPU limit,
 * or crashed), the file fails and the server goes on. */
static void reader_isolated_and_its_death_fails_the_file(void)
{
	pthread_t th;
	struct got g;
	pid_t reader;
	int sock = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT(sock >= 0);
	ASSERT_OK(setenv("ASSISTD_TEST_SECRET", "sk-not-for-the-reader", 1));
	ASSERT_OK(pthread_create(&th, NULL, extract_slow_pdf, &g));
	reader = child_find();
	ASSERT(reader > 0);
	reader_wait_main(reader);
	reader_isolated(reader);
	ASSERT_OK(kill(reader, SIGKILL));
	ASSERT_OK(pthread_join(th, NULL));
	expect_fail(g, "invalid_file", "could not be read");
	close(sock);
}

/* --- DOCX and PPTX --------------------------------------------------------------------- */

/* Writes a ZIP package of n parts (names[i] holding bodies[i]) to a temporary file; returns
 * its path (owned). With password, every part is AES-encrypted. */
static char *zip_write(const char *const *names, const char *const *bodies, size_t n,
		       const char *password)
{
	char *path = xstrdup("/tmp/assistd-docs-zip-XXXXXX");
	int fd = mkstemp(path);
	zip_t *z;
	zip_source_t *src;
	zip_int64_t idx;

	ASSERT(fd >= 0);
	close(fd);
	z = zip_open(path, ZIP_TRUNCATE, NULL);
	ASSERT(z);
	for (size_t i = 0; i < n; i++) {
		src = zip_source_buffer(z, bodies[i], strlen(bodies[i]), 0);
		ASSERT(src);
		idx = zip_file_add(z, names[i], src, ZIP_FL_OVERWRITE);
		ASSERT(idx >= 0);
		if (password)
			ASSERT_OK(zip_file_set_encryption(z, (zip_uint64_t)idx, ZIP_EM_AES_256,
							  password));
	}
	ASSERT_OK(zip_close(z));
	return path;
}

#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "      \
	     "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\""
#define DOCX(body) "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"            \
		   "<w:document " W_NS "><w:body>" body "</w:body></w:document>"
#define W_P(text) "<w:p><w:r><w:t>" text "</w:t></w:r></w:p>"

static struct got extract_docx(const char *document)
{
	const char *names[] = { "[Content_Types].xml", "word/document.xml" };
	const char *bodies[] = { "<Types/>", document };

	return extract_path("letter.docx", zip_write(names, bodies, 2, NULL));
}

static void docx_paragraphs_tables_tabs(void)
{
	expect_text(extract_docx(DOCX(
		"<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>"
		"<w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space=\"preserve\"> world &amp; more"
		"</w:t></w:r></w:p>"
		"<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p><w:p/>"
		"<w:tbl><w:tr><w:tc>" W_P("r1c1") W_P("more") "</w:tc><w:tc>" W_P("r1c2")
		"</w:tc></w:tr><w:tr><w:tc>" W_P("r2c1") "</w:tc><w:tc>" W_P("r2c2")
		"</w:tc></w:tr></w:tbl>"
		"<w:p><mc:AlternateContent><mc:Choice><w:r><w:t>choice</w:t></w:r></mc:Choice>"
		"<mc:Fallback><w:r><w:t>fallback</w:t></w:r></mc:Fallback></mc:AlternateContent>"
		"</w:p>" W_P("End"))),
		    "Hello world & more\na\tb\nc\nr1c1 more\tr1c2\nr2c1\tr2c2\nchoice\nEnd");
}

static void docx_failures(void)
{
	const char *names[] = { "word/document.xml" };
	const char *bodies[] = { DOCX(W_P("secret")) };
	const char *other[] = { "notes.txt" };

	expect_fail(extract_docx(DOCX("<w:p><w:r><w:t>cut</w:r></w:p>")), "invalid_file",
		    "not well-formed");
	expect_fail(extract_docx("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]>"
				 DOCX(W_P("&a;"))), "invalid_file", "document type");
	expect_fail(extract_docx(DOCX("<w:p/>")), "invalid_file", "empty");
	expect_fail(extract_path("x.docx", zip_write(other, bodies, 1, NULL)), "invalid_file",
		    "no word/document.xml");
	expect_fail(extract_path("x.docx", zip_write(names, bodies, 1, "pw")), "invalid_file",
		    "password");
	expect_fail(extract_str("x.docx", "PK\3\4 but no zip after all"), "invalid_file",
		    "ZIP structure");
	expect_fail(extract_str("x.docx", "\xd0\xcf\x11\xe0 an OLE file"), "invalid_file",
		    "password");
}

#define A_NS "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "            \
	     "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\""
#define SLIDE(text) "<p:sld " A_NS "><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>" text \
		    "</a:t></a:r><a:br/><a:r><a:t>line 2</a:t></a:r></a:p><a:p><a:r><a:t>"   \
		    "para 2</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"

static void pptx_slides_in_number_order(void)
{
	const char *names[] = { "ppt/presentation.xml", "ppt/slides/slide10.xml",
				"ppt/slides/slide2.xml", "ppt/slides/slide1.xml",
				"ppt/slides/slide9.xml", "ppt/slides/_rels/slide1.xml.rels",
				"ppt/slides/slide3.xml.bak" };
	const char *bodies[] = { "<p/>", SLIDE("Ten"), SLIDE("Two"), SLIDE("One"), SLIDE("Nine"),
				 "<x/>", "<x/>" };

	expect_text(extract_path("deck.pptx", zip_write(names, bodies, 7, NULL)),
		    "One\nline 2\npara 2\n\nTwo\nline 2\npara 2\n\n"
		    "Nine\nline 2\npara 2\n\nTen\nline 2\npara 2");
}

static void pptx_failures(void)
{
	const char *names[] = { "ppt/presentation.xml" };
	const char *bodies[] = { "<p/>" };
	const char *docx_names[] = { "word/document.xml" };

	expect_fail(extract_path("deck.pptx", zip_write(names, bodies, 1, NULL)), "invalid_file",
		    "empty");
	expect_fail(extract_path("deck.pptx", zip_write(docx_names, bodies, 1, NULL)),
		    "invalid_file", "not a PPTX");
	expect_fail(extract_str("deck.pptx", "%PDF-1.4"), "invalid_file", "not a PPTX");
}

/* A part that inflates past DOC_MAX_PART stops there, whatever its XML holds (comments here,
 * which cost the parser least). */
static void zip_bomb_stops(void)
{
	size_t n = DOC_MAX_PART + (1u << 20);
	char *xml = xmalloc(n + 1);
	const char *names[] = { "word/document.xml" };
	const char *bodies[] = { xml };
	size_t at = (size_t)snprintf(xml, n, "<w:document " W_NS "><w:body>");

	while (at + (1u << 20) < n) {
		memcpy(xml + at, "<!--", 4);
		memset(xml + at + 4, 'a', (1u << 20) - 7);
		memcpy(xml + at + (1u << 20) - 3, "-->", 3);
		at += 1u << 20;
	}
	xml[at] = '\0';
	expect_fail(extract_path("bomb.docx", zip_write(names, bodies, 1, NULL)), "invalid_file",
		    "more XML");
	free(xml);
}

static void too_much_text_fails(void)
{
	size_t n = DOC_MAX_TEXT + 1;
	char *s = xmalloc(n);

	memset(s, 'a', n);
	expect_fail(extract("huge.txt", s, n), "invalid_file", "split it");
	free(s);
}

/* --- every input: a text or a reason ------------------------------------------------ */

/* Returns the file's bytes (owned) and removes it. */
static char *file_take(char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;

	ASSERT(f);
	ASSERT_OK(fseek(f, 0, SEEK_END));
	*n = (size_t)ftell(f);
	rewind(f);
	p = xmalloc(*n + 1);
	ASSERT_EQ_INT(fread(p, 1, *n, f), *n);
	fclose(f);
	unlink(path);
	free(path);
	return p;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t len;

	while (i < n) {
		len = p[i] < 0x80 ? 1
		      : p[i] >= 0xc2 && p[i] < 0xe0 ? 2
		      : p[i] >= 0xe0 && p[i] < 0xf0 ? 3
		      : p[i] >= 0xf0 && p[i] < 0xf5 ? 4
		      : 0;
		if (!len || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += len;
	}
	return true;
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ASSERT(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A small deterministic generator (xorshift), so a failure can be replayed. */
static unsigned rnd(unsigned long long *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (unsigned)(*state >> 11);
}

/* Changes p in place one of five ways; returns the new length (at most cap). */
static size_t mutate(char *p, size_t n, size_t cap, unsigned long long *st)
{
	static const char special[] = { 0, '\xff', '<', '>', '&', '%', '(', '\x80' };
	size_t at = n ? rnd(st) % n : 0;
	size_t len = n ? 1 + rnd(st) % (n - at < 64 ? n - at : 64) : 0;

	switch (rnd(st) % 5) {
	case 0:
		p[at] ^= (char)(1u << (rnd(st) % 8));
		return n;
	case 1:
		p[at] = special[rnd(st) % sizeof(special)];
		return n;
	case 2:
		return at;
	case 3:
		memmove(p + at, p + at + len, n - at - len);
		return n - len;
	default:
		len = len < cap - n ? len : cap - n;
		memmove(p + at + len, p + at, n - at);
		return n + len;
	}
}

/* Asserts g is valid UTF-8 text, or invalid_file with a why from the extractor (not that the
 * reader died: on these small files none may crash or run out of its limits); frees it. */
static void expect_text_or_reason(struct got g)
{
	if (g.err) {
		ASSERT_EQ_INT(g.err, ERR_INVALID);
		ASSERT_STR_EQ(g.code, "invalid_file");
		ASSERT(g.why[strlen(g.why) - 1] == '.');
		if (strstr(g.why, "could not be read"))
			T_FAIL("the reader died: %s", g.why);
	} else {
		ASSERT(utf8_valid((const unsigned char *)g.text, g.len));
	}
	got_free(&g);
}

/* Sends the sanitizers' reports (errors, leaks) of the readers this case starts to files in a
 * new directory, returned (owned): a reader that fails after sending its text is seen there. */
static char *reader_reports_start(void)
{
	static const char *const vars[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS" };
	char *dir = xstrdup("/tmp/assistd-docs-san-XXXXXX");
	const char *was;
	char *opts;

	ASSERT(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		was = getenv(vars[i]);
		opts = xasprintf("%s%slog_path=%s/reader", was ? was : "", was ? ":" : "", dir);
		ASSERT_OK(setenv(vars[i], opts, 1));
		free(opts);
	}
	return dir;
}

/* Asserts no reader wrote a report in dir (owned; removed). */
static void reader_reports_none(char *dir)
{
	char path[PATH_MAX + 256];
	char report[2048];
	struct dirent *e;
	DIR *d = opendir(dir);

	ASSERT(d);
	for (e = readdir(d); e; e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		file_head(path, report, sizeof(report));
		unlink(path);
		T_FAIL("a reader's sanitizer report, %s:\n%s", e->d_name, report);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

/* Returns a mutant of seed (owned, NUL-terminated), *len its length. */
static char *mutant(const char *seed, size_t n, size_t *len, unsigned long long *st)
{
	size_t cap = n * 2 + 64;
	char *p = xmalloc(cap + 1);

	memcpy(p, seed, n);
	*len = n;
	for (unsigned k = 1 + rnd(st) % 4; k; k--)
		*len = mutate(p, *len, cap, st);
	p[*len] = '\0';
	return p;
}

/* Extracts mutants of seed: each gives text or a reason. */
static void mutants_of(const char *filename, const char *seed, size_t n, int count,
		       unsigned long long st)
{
	size_t len;
	char *p;

	for (int i = 0; i < count; i++) {
		p = mutant(seed, n, &len, &st);
		expect_text_or_reason(extract(filename, p, len));
		free(p);
	}
}

/* Extracts packages whose last part is a mutant of xml: each gives text or a reason. */
static void xml_mutants_of(const char *filename, const char *const *names,
			   const char **bodies, size_t n, unsigned long long st)
{
	const char *xml = bodies[n - 1];
	size_t len;
	char *p;

	for (int i = 0; i < 30; i++) {
		p = mutant(xml, strlen(xml), &len, &st);
		bodies[n - 1] = p;
		expect_text_or_reason(extract_path(filename, zip_write(names, bodies, n, NULL)));
		free(p);
	}
	bodies[n - 1] = xml;
}

static void mutated_text_and_html(void)
{
	static const char html[] = "<html><head><style>x</style></head><body><p>a &amp; b</p>"
				   "<table><tr><td>1<td>2</table><script>s()</script></body>";
	static const char text[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 plain text\nline two\n";
	static const char utf16[] = "\xff\xfeh\0\xe9\0\x3d\xd8\x00\xde";
	char *reports = reader_reports_start();
	int fds = fd_count();

	mutants_of("a.txt", text, sizeof(text) - 1, 60, 1);
	mutants_of("a.txt", utf16, sizeof(utf16) - 1, 60, 2);
	mutants_of("a.html", html, sizeof(html) - 1, 60, 3);
	ASSERT_EQ_INT(fd_count(), fds);
	reader_reports_none(reports);
}

/* Fewer of these, and of the packages below: each starts a reader process. */
static void mutated_pdf(void)
{
	char *reports = reader_reports_start();
	int fds = fd_count();
	struct buf pdf;

	pdf_two_pages(&pdf, false);
	mutants_of("a.pdf", pdf.p, pdf.len, 30, 4);
	ASSERT_EQ_INT(fd_count(), fds);
	buf_cleanup(&pdf);
	reader_reports_none(reports);
}

/* Extracts mutants of the package of n parts (names, bodies), and packages whose last part is
 * a mutant of its XML: each gives text or a reason. */
static void package_mutants_of(const char *filename, const char *const *names,
			       const char **bodies, size_t n, unsigned long long st)
{
	char *reports = reader_reports_start();
	int fds = fd_count();
	size_t len;
	char *pkg = file_take(zip_write(names, bodies, n, NULL), &len);

	mutants_of(filename, pkg, len, 30, st);
	xml_mutants_of(filename, names, bodies, n, st + 1);
	ASSERT_EQ_INT(fd_count(), fds);
	free(pkg);
	reader_reports_none(reports);
}

static void mutated_docx(void)
{
	const char *names[] = { "word/document.xml" };
	const char *bodies[] = { DOCX(W_P("Hello") "<w:tbl><w:tr><w:tc>" W_P("cell")
				 "</w:tc></w:tr></w:tbl>") };

	package_mutants_of("a.docx", names, bodies, 1, 5);
}

static void mutated_pptx(void)
{
	const char *names[] = { "ppt/presentation.xml", "ppt/slides/slide1.xml" };
	const char *bodies[] = { "<p/>", SLIDE("One") };

	package_mutants_of("a.pptx", names, bodies, 2, 7);
}

/* Extraction keeps no state: the ingestion workers call it from several threads at once. */
static void *extract_each_format(void *arg)
{
	const char *docx_names[] = { "word/document.xml" };
	const char *docx_bodies[] = { DOCX(W_P("Word text")) };
	struct buf pdf;

	(void)arg;
	pdf_two_pages(&pdf, false);
	for (int i = 0; i < 5; i++) {
		expect_text(extract("r.pdf", pdf.p, pdf.len), "Hello PDF\nsecond line\n\nPage two");
		expect_text(extract_path("w.docx", zip_write(docx_names, docx_bodies, 1, NULL)),
			    "Word text");
		expect_text(extract_str("p.html", "<p>one</p><p>two</p>"), "one\ntwo");
		expect_fail(extract_str("n.txt", "\xff"), "invalid_file", "UTF-8");
	}
	buf_cleanup(&pdf);
	return NULL;
}

static void extract_on_threads(void)
{
	char *reports = reader_reports_start();
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		ASSERT_OK(pthread_create(&th[i], NULL, extract_each_format, NULL));
	for (int i = 0; i < 4; i++)
		ASSERT_OK(pthread_join(th[i], NULL));
	reader_reports_none(reports);
}

const struct t_case docs_tests[] = {
	T_CASE(text_utf8_kept_bom_dropped),
	T_CASE(text_utf16_with_bom),
	T_CASE(text_invalid_utf8_fails),
	T_CASE(text_chunk_boundaries),
	T_CASE(text_utf16_chunk_boundaries),
	T_CASE(empty_files_fail),
	T_CASE(unsupported_names_the_supported),
	T_CASE(missing_file_is_server_error),
	T_CASE(html_text_only),
	T_CASE(html_encodings),
	T_CASE(html_too_big_fails),
	T_CASE(pdf_pages_text),
	T_CASE(pdf_scanned_fails),
	T_CASE(pdf_blank_is_empty),
	T_CASE(pdf_encrypted_fails),
	T_CASE(pdf_corrupt_fails),
	T_CASE(reader_isolated_and_its_death_fails_the_file),
	T_CASE(docx_paragraphs_tables_tabs),
	T_CASE(docx_failures),
	T_CASE(pptx_slides_in_number_order),
	T_CASE(pptx_failures),
	T_CASE(zip_bomb_stops),
	T_CASE(too_much_text_fails),
	T_CASE(mutated_text_and_html),
	T_CASE(mutated_pdf),
	T_CASE(mutated_docx),
	T_CASE(mutated_pptx),
	T_CASE(extract_on_threads),
	{ NULL, NULL },
};
