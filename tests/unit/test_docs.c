/* test_docs.c - unit tests for src/docs: text out of every supported format, and a clear
 * invalid_file or unsupported_file for everything else.
 *
 * Fixtures are built here, in memory, and written to a temporary file for each call. */
#include <stdlib.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
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

/* Writes n bytes to a temporary file and extracts it as if uploaded with the name filename. */
static struct got extract(const char *filename, const void *p, size_t n)
{
	char path[] = "/tmp/assistd-docs-XXXXXX";
	int fd = mkstemp(path);
	struct got g;

	ASSERT(fd >= 0);
	ASSERT((size_t)write(fd, p, n) == n);
	close(fd);
	g.err = doc_extract(path, filename, &g.text, &g.len, &g.code, &g.why);
	unlink(path);
	if (g.err) {
		ASSERT(g.code && g.why && g.why[0]);
		ASSERT(!g.text);
	} else {
		ASSERT(g.text && !g.code && !g.why);
		ASSERT_EQ_INT(strlen(g.text), g.len);
	}
	return g;
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
	expect_text(extract_str("a.txt", "caf\xc3\xa9 \xf0\x9f\x98\x80\n"), "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
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

const struct t_case docs_tests[] = {
	T_CASE(text_utf8_kept_bom_dropped),
	T_CASE(text_utf16_with_bom),
	T_CASE(text_invalid_utf8_fails),
	T_CASE(text_chunk_boundaries),
	T_CASE(empty_files_fail),
	T_CASE(unsupported_names_the_supported),
	T_CASE(missing_file_is_server_error),
	{ NULL, NULL },
};
