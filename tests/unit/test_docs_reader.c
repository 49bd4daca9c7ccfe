/* test_docs_reader.c - unit tests for how the server finds, starts and listens to its document
 * reader, assistd-docs (src/docs/reader.c), and for the reader being a program of its own.
 *
 * What the reader makes of each format is in test_docs.c. Each case runs in its own child, so
 * the reader chosen here does not leak into other cases. */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/docs/docs_int.h"
#include "../../src/docs/extract.h"
#include "suites.h"

/* Writes s to a new temporary file with the given mode; returns its path (owned). */
static char *temp_file(const char *s, mode_t mode)
{
	char *path = xstrdup("/tmp/assistd-docs-reader-XXXXXX");
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	ASSERT((size_t)write(fd, s, strlen(s)) == strlen(s));
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
	return path;
}

/* Extracts s as if uploaded with the name filename; asserts the outcome is err with code and a
 * why containing part. */
static void expect_fail(const char *filename, const char *s, int err, const char *code,
			const char *part)
{
	char *path = temp_file(s, 0600);
	char *text = NULL;
	size_t len = 0;
	const char *got = NULL;
	char *why = NULL;

	ASSERT_EQ_INT(doc_extract(path, filename, &text, &len, &got, &why), err);
	ASSERT_STR_EQ(got, code);
	ASSERT(why && !text);
	if (!strstr(why, part))
		T_FAIL("why \"%s\" does not say \"%s\"", why, part);
	free(why);
	unlink(path);
	free(path);
}

/* Asserts that every format the reader reads fails as server_error, naming the reader's path
 * and the option. */
static void expect_no_reader(const char *reader)
{
	static const char *const files[][2] = {
		{ "report.pdf", "%PDF-1.4\n%%EOF\n" }, { "page.html", "<p>hi</p>" },
		{ "letter.docx", "PK\3\4" }, { "slides.pptx", "PK\3\4" },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		expect_fail(files[i][0], files[i][1], ERR_INTERNAL, "server_error", reader);
		expect_fail(files[i][0], files[i][1], ERR_INTERNAL, "server_error",
			    "--docs-reader");
	}
}

/* Unchosen, the reader is assistd-docs beside this executable (the build puts it there). */
static void default_is_beside_the_executable(void)
{
	char self[PATH_MAX];
	char want[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ASSERT(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(want, sizeof(want), "%s/" DOCS_READER_NAME, self);
	ASSERT_STR_EQ(doc_reader(), want);
	ASSERT_OK(doc_reader_set(NULL));
	ASSERT_STR_EQ(doc_reader(), want);
	ASSERT_OK(doc_reader_set(""));
	ASSERT_STR_EQ(doc_reader(), want);
}

/* A reader that is missing, not executable or a directory: refused at the choice, and each
 * PDF, HTML, DOCX or PPTX file then fails with a server_error saying what to do; plain text
 * is read in the server and still works. */
static void missing_reader_fails_its_formats(void)
{
	char *plain = temp_file("#!/bin/sh\n", 0644);
	char *txt = temp_file("still text", 0600);
	char *text = NULL;
	size_t len = 0;
	const char *code = NULL;
	char *why = NULL;

	ASSERT_EQ_INT(doc_reader_set("/nonexistent/assistd-docs"), ERR_NOT_FOUND);
	ASSERT_STR_EQ(doc_reader(), "/nonexistent/assistd-docs");
	expect_no_reader("/nonexistent/assistd-docs");
	ASSERT_EQ_INT(doc_reader_set(plain), ERR_NOT_FOUND);
	expect_no_reader(plain);
	ASSERT_EQ_INT(doc_reader_set("/tmp"), ERR_NOT_FOUND);
	expect_no_reader("/tmp");
	ASSERT_OK(doc_extract(txt, "a.txt", &text, &len, &code, &why));
	ASSERT_STR_EQ(text, "still text");
	free(text);
	unlink(plain);
	unlink(txt);
	free(plain);
	free(txt);
}

/* A path longer than PATH_MAX is refused and changes nothing. */
static void long_path_refused(void)
{
	char *path = xmalloc(PATH_MAX + 2);
	char before[PATH_MAX];

	memset(path, 'a', PATH_MAX + 1);
	path[0] = '/';
	path[PATH_MAX + 1] = '\0';
	snprintf(before, sizeof(before), "%s", doc_reader());
	ASSERT_EQ_INT(doc_reader_set(path), ERR_INVALID);
	ASSERT_STR_EQ(doc_reader(), before);
	free(path);
}

/* Runs the reader with argument format (NULL: none) and nothing on descriptors 3 and up;
 * returns its exit status. */
static int reader_exit(const char *format)
{
	char *argv[] = { (char *)DOCS_READER_NAME, (char *)format, NULL };
	char *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, DOCS_FD_FILE);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ASSERT_OK(posix_spawn(&pid, doc_reader(), &fa, NULL, argv, envp));
	posix_spawn_file_actions_destroy(&fa);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Started by hand, without a format it reads or without the file and the pipe on its
 * descriptors, the reader says what it is and exits 2 instead of reading whatever
 * descriptors 3 and 4 happen to be. */
static void reader_refuses_to_run_by_hand(void)
{
	ASSERT_EQ_INT(reader_exit(NULL), 2);
	ASSERT_EQ_INT(reader_exit("TXT"), 2);
	ASSERT_EQ_INT(reader_exit(DOCS_FMT_PDF), 2);
	ASSERT_EQ_INT(reader_exit(DOCS_FMT_HTML), 2);
}

/* Chooses as the reader a shell script that writes body (printf escapes) to its pipe. */
static char *fake_reader(const char *body)
{
	char *script = xasprintf("#!/bin/sh\nprintf '%s' >&%d\n", body, DOCS_FD_OUT);
	char *path = temp_file(script, 0700);

	ASSERT_OK(doc_reader_set(path));
	free(script);
	return path;
}

/* The server takes the reader's records as docs_int.h says: text records appended as they
 * are, the end record's failure with its code (server_error is the server's fault), and
 * anything else, or no end record, as a reader that died. */
static void reader_records_taken_as_sent(void)
{
	static const struct {
		const char *records;
		int err;
		const char *code;
		const char *part;
	} cases[] = {
		{ "\\001\\021\\000\\000\\000server_error\\000oops", ERR_INTERNAL, "server_error",
		  "oops" },
		{ "\\001\\021\\000\\000\\000invalid_file\\000bad!", ERR_INVALID, "invalid_file",
		  "bad!" },
		{ "\\001\\005\\000\\000\\000bogus", ERR_INVALID, "invalid_file", "could not be read" },
		{ "\\001\\021\\000\\000\\000unknown_code\\000bad!", ERR_INVALID, "invalid_file",
		  "The HTML file could not be read" },
		{ "\\000\\002\\000\\000\\000hi", ERR_INVALID, "invalid_file", "could not be read" },
		{ "\\002\\000\\000\\000\\000", ERR_INVALID, "invalid_file", "could not be read" },
	};
	char *path;
	char *text = NULL;
	size_t len = 0;
	const char *code = NULL;
	char *why = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = fake_reader(cases[i].records);
		expect_fail("page.html", "<p>x</p>", cases[i].err, cases[i].code, cases[i].part);
		unlink(path);
		free(path);
	}
	path = fake_reader("\\000\\002\\000\\000\\000hi\\000\\001\\000\\000\\000!"
			   "\\001\\000\\000\\000\\000");
	ASSERT_OK(doc_extract(path, "page.html", &text, &len, &code, &why));
	ASSERT_STR_EQ(text, "hi!");
	free(text);
	unlink(path);
	free(path);
}

/* The libraries of documents (poppler with glib and cairo, libxml2) are linked into the reader
 * only: a process that links src/docs, like this one and the server, does not load them. (This
 * one loads libzip for its fixtures; the e2e tests check the server does not.) */
static void document_libraries_not_loaded_here(void)
{
	static const char *const libs[] = { "libpoppler", "libglib-2.0", "libgobject-2.0",
					    "libcairo", "libxml2" };
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
			if (strstr(line, libs[i]) && ++found == 1)
				fprintf(stderr, "    loaded: %s", line);
		}
	}
	fclose(f);
	ASSERT_EQ_INT(found, 0);
}

const struct t_case docs_reader_tests[] = {
	T_CASE(default_is_beside_the_executable),
	T_CASE(missing_reader_fails_its_formats),
	T_CASE(long_path_refused),
	T_CASE(reader_refuses_to_run_by_hand),
	T_CASE(reader_records_taken_as_sent),
	T_CASE(document_libraries_not_loaded_here),
	{ NULL, NULL },
};
