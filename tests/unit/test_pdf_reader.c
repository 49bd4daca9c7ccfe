/* test_pdf_reader.c - unit tests for how the server finds and starts its PDF reader,
 * assistd-pdf (src/docs/pdf.c), and for the reader being a program of its own.
 *
 * What the reader does with a PDF is in test_docs.c. Each case runs in its own child, so the
 * reader chosen here does not leak into other cases. */
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
	char *path = xstrdup("/tmp/assistd-pdf-reader-XXXXXX");
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	ASSERT((size_t)write(fd, s, strlen(s)) == strlen(s));
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
	return path;
}

/* Asserts that extracting a PDF fails as server_error, naming the reader's path. */
static void expect_no_reader(const char *reader)
{
	char *pdf = temp_file("%PDF-1.4\n%%EOF\n", 0600);
	char *text = NULL;
	size_t len = 0;
	const char *code = NULL;
	char *why = NULL;

	ASSERT_EQ_INT(doc_extract(pdf, "report.pdf", &text, &len, &code, &why), ERR_INTERNAL);
	ASSERT_STR_EQ(code, "server_error");
	ASSERT(why && !text);
	if (!strstr(why, reader) || !strstr(why, "--pdf-reader"))
		T_FAIL("why \"%s\" does not name the reader %s and the option", why, reader);
	free(why);
	unlink(pdf);
	free(pdf);
}

/* Unchosen, the reader is assistd-pdf beside this executable (the build puts it there). */
static void default_is_beside_the_executable(void)
{
	char self[PATH_MAX];
	char want[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ASSERT(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(want, sizeof(want), "%s/" PDF_READER_NAME, self);
	ASSERT_STR_EQ(doc_pdf_reader(), want);
	ASSERT_OK(doc_pdf_reader_set(NULL));
	ASSERT_STR_EQ(doc_pdf_reader(), want);
	ASSERT_OK(doc_pdf_reader_set(""));
	ASSERT_STR_EQ(doc_pdf_reader(), want);
}

/* A reader that is missing, not executable or a directory: refused at the choice, and each
 * PDF then fails with a server_error saying what to do; other formats still work. */
static void missing_reader_fails_pdfs(void)
{
	char *plain = temp_file("#!/bin/sh\n", 0644);
	char *txt = temp_file("still text", 0600);
	char *text = NULL;
	size_t len = 0;
	const char *code = NULL;
	char *why = NULL;

	ASSERT_EQ_INT(doc_pdf_reader_set("/nonexistent/assistd-pdf"), ERR_NOT_FOUND);
	ASSERT_STR_EQ(doc_pdf_reader(), "/nonexistent/assistd-pdf");
	expect_no_reader("/nonexistent/assistd-pdf");
	ASSERT_EQ_INT(doc_pdf_reader_set(plain), ERR_NOT_FOUND);
	expect_no_reader(plain);
	ASSERT_EQ_INT(doc_pdf_reader_set("/tmp"), ERR_NOT_FOUND);
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
	snprintf(before, sizeof(before), "%s", doc_pdf_reader());
	ASSERT_EQ_INT(doc_pdf_reader_set(path), ERR_INVALID);
	ASSERT_STR_EQ(doc_pdf_reader(), before);
	free(path);
}

/* Started by hand, without the PDF and the pipe on its descriptors, the reader says what it
 * is and exits 2 instead of reading whatever descriptors 3 and 4 happen to be. */
static void reader_refuses_to_run_by_hand(void)
{
	char *argv[] = { (char *)PDF_READER_NAME, NULL };
	char *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, PDF_FD_FILE);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ASSERT_OK(posix_spawn(&pid, doc_pdf_reader(), &fa, NULL, argv, envp));
	posix_spawn_file_actions_destroy(&fa);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ_INT(WEXITSTATUS(status), 2);
}

/* poppler and what it brings (glib, cairo) are linked into the reader only: a process that
 * links src/docs, like this one and the server, does not load them. */
static void poppler_not_loaded_here(void)
{
	static const char *const libs[] = { "libpoppler", "libglib-2.0", "libgobject-2.0",
					    "libcairo" };
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

const struct t_case pdf_reader_tests[] = {
	T_CASE(default_is_beside_the_executable),
	T_CASE(missing_reader_fails_pdfs),
	T_CASE(long_path_refused),
	T_CASE(reader_refuses_to_run_by_hand),
	T_CASE(poppler_not_loaded_here),
	{ NULL, NULL },
};
