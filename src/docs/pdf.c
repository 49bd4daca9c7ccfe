/* pdf.c - the text of a PDF, every page in order, pages separated by a blank line.
 *
 * poppler reads the PDF in a process of its own (the reader, pdf_read.c), so whatever a
 * hostile or broken PDF does to it (a crash, gigabytes of memory, minutes of work) ends the
 * reader, never the server. The reader is this same program started again (posix_spawn, so
 * it is safe from any thread) with only the file and a pipe open and almost no environment;
 * it limits its own memory and CPU. This side takes at most DOC_MAX_TEXT of text from it,
 * and a reader that ends without saying how it went fails the file. Nothing in the server
 * process uses poppler. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "docs_int.h"
#include "extract.h"

#define PDF_CHUNK (64u << 10)
/* How long to wait for the reader, in wall time: twice its CPU limit. */
#define PDF_MAX_WAIT_MS (2000 * (int64_t)PDF_MAX_SECONDS)

/* What to tell the user for each way reading can fail. */
static const struct {
	enum pdf_status status;
	const char *why;
} status_why[] = {
	{ PDF_ENCRYPTED, "The PDF is protected by a password; save or print it as a PDF without "
			 "one and upload that." },
	{ PDF_DAMAGED, "The PDF is damaged and cannot be read; open it in a PDF viewer, save it "
		       "as a new PDF and upload that." },
	{ PDF_SCANNED, "The PDF has no text layer (it looks scanned); run OCR on it and upload "
		       "the result." },
};

/* The variables the reader is given from the server's environment: what loading the program
 * needs, and the sanitizers' options. No secrets (API keys) go to a process parsing hostile
 * input. */
static const char *const env_kept[] = {
	"LD_LIBRARY_PATH=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
};

#define N_ENV_KEPT (sizeof(env_kept) / sizeof(env_kept[0]))

/* Fills envp (room for N_ENV_KEPT + 1) with the kept variables of the environment. */
static void env_filter(char **envp)
{
	size_t n = 0;

	for (char **e = environ; *e && n < N_ENV_KEPT; e++) {
		for (size_t k = 0; k < N_ENV_KEPT; k++) {
			if (!strncmp(*e, env_kept[k], strlen(env_kept[k])))
				envp[n++] = *e;
		}
	}
	envp[n] = NULL;
}

/* Starts the reader on the file fd, writing to out: this program again, under the reader's
 * name, with nothing else open and the default signal handling. Returns its pid, or -1. */
static pid_t reader_start(int fd, int out)
{
	char *argv[] = { (char *)PDF_READER_NAME, NULL };
	char *envp[N_ENV_KEPT + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	sigset_t all;
	pid_t pid = -1;

	env_filter(envp);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, PDF_FD_FILE);
	posix_spawn_file_actions_adddup2(&fa, out, PDF_FD_OUT);
	posix_spawn_file_actions_addclosefrom_np(&fa, PDF_FD_OUT + 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, envp))
		pid = -1;
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* The read end of the reader's pipe, and when to stop waiting for it. */
struct pipe_in {
	int fd;
	int64_t deadline_ms; /* clock_ms() time */
};

/* Reads n bytes from the pipe; fewer when it ends, fails or the deadline passes (a reader
 * stuck without using CPU is not stopped by its CPU limit). */
static size_t pipe_read(struct pipe_in *in, void *p, size_t n)
{
	struct pollfd pfd = { in->fd, POLLIN, 0 };
	int64_t left;
	size_t got = 0;
	ssize_t r;
	int ready;

	while (got < n) {
		left = in->deadline_ms - clock_ms();
		if (left <= 0)
			return got;
		ready = poll(&pfd, 1, (int)(left < INT_MAX ? left : INT_MAX));
		if (ready < 0 && errno != EINTR)
			return got;
		r = ready > 0 ? read(in->fd, (char *)p + got, n - got) : -1;
		if (r == 0 || (r < 0 && ready > 0 && errno != EINTR))
			return got;
		got += r > 0 ? (size_t)r : 0;
	}
	return got;
}

/* Appends a page's n bytes of text from the pipe, after a blank line, in chunks. */
static int page_take(struct pipe_in *in, uint32_t n, struct doc_out *o, enum pdf_status *status)
{
	char *chunk = xmalloc(PDF_CHUNK);
	size_t want;
	int err = 0;

	doc_sep(o, DOC_SEP_PARA);
	while (!err && n) {
		want = n < PDF_CHUNK ? n : PDF_CHUNK;
		if (pipe_read(in, chunk, want) != want)
			break;
		err = doc_put(o, chunk, want);
		n -= (uint32_t)want;
	}
	free(chunk);
	if (!err && n)
		*status = PDF_DIED;
	return err;
}

/* Reads the reader's records until its end record. *status is how it went, PDF_DIED when
 * it ended without saying (or said something that is not a record). */
static int records_take(int fd, struct doc_out *o, enum pdf_status *status)
{
	struct pipe_in in = { fd, clock_ms() + PDF_MAX_WAIT_MS };
	unsigned char head[PDF_REC_HEAD];
	unsigned char end;
	uint32_t n;
	int err = 0;

	*status = PDF_DIED;
	while (!err && *status == PDF_DIED) {
		if (pipe_read(&in, head, sizeof(head)) != sizeof(head))
			return 0;
		memcpy(&n, head + 1, sizeof(n));
		if (head[0] == PDF_REC_END && n == 1 && pipe_read(&in, &end, 1) == 1)
			*status = end < PDF_DIED ? (enum pdf_status)end : PDF_DIED;
		else if (head[0] == PDF_REC_PAGE && n <= DOC_MAX_TEXT)
			err = page_take(&in, n, o, status);
		else
			return 0;
	}
	return err;
}

/* Closes the n descriptors of fds that are open (not -1). */
static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

/* Ends the reader (when it has not ended on its own) and waits for it. */
static void reader_reap(pid_t pid, enum pdf_status status, int err)
{
	if (err || status == PDF_DIED)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int status_fail(struct doc_out *o, enum pdf_status status)
{
	if (status == PDF_OK)
		return 0;
	if (status == PDF_TOO_BIG)
		return doc_fail_big(o);
	for (size_t i = 0; i < sizeof(status_why) / sizeof(status_why[0]); i++) {
		if (status_why[i].status == status)
			return doc_fail(o, "invalid_file", "%s", status_why[i].why);
	}
	return doc_fail(o, "invalid_file", "The PDF could not be read: it is damaged, or needs "
			"more than the %u MB of memory and %u seconds a file may use; save it as a "
			"new PDF, or split it, and upload that.", PDF_MAX_MEMORY >> 20,
			PDF_MAX_SECONDS);
}

/* Starts the reader on fd and reads what it sends; *pid is the reader (-1 if none). The
 * descriptors given to it are copies above PDF_FD_OUT, so the moves to PDF_FD_FILE and
 * PDF_FD_OUT in the new process cannot overwrite each other. */
static int reader_run(int fd, struct doc_out *o, pid_t *pid, enum pdf_status *status)
{
	int p[2] = { -1, -1 };
	int file = fcntl(fd, F_DUPFD_CLOEXEC, PDF_FD_OUT + 1);
	int out = -1;
	int err = 0;

	if (file < 0 || pipe2(p, O_CLOEXEC))
		err = doc_fail_io(o);
	if (!err)
		out = fcntl(p[1], F_DUPFD_CLOEXEC, PDF_FD_OUT + 1);
	*pid = out < 0 ? -1 : reader_start(file, out);
	if (!err && *pid < 0)
		err = doc_fail_io(o);
	close_all((int[]){ file, out, p[1] }, 3);
	if (!err)
		err = records_take(p[0], o, status);
	close_all(&p[0], 1);
	return err;
}

int doc_pdf(int fd, struct doc_out *o)
{
	enum pdf_status status = PDF_DIED;
	pid_t pid = -1;
	int err = reader_run(fd, o, &pid, &status);

	if (pid > 0)
		reader_reap(pid, status, err);
	return err ? err : status_fail(o, status);
}
