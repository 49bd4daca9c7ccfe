/* reader.c - running the document reader: the text of a PDF, HTML, DOCX or PPTX file, read by
 * the program assistd-docs (reader/) in a process of its own.
 *
 * The reader is the only program linking the libraries those formats need, so the server never
 * loads them (poppler, glib, cairo, libxml2, libzip and what they bring), and whatever a hostile
 * or broken file does to them (a crash, gigabytes of memory, minutes of work) ends the reader,
 * never the server. It is found beside the server's executable unless chosen at start
 * (doc_reader_set), and started with posix_spawn (safe from any thread) for each file, with
 * only the file and a pipe open and almost no environment; it limits its own memory and CPU.
 * This side takes at most DOC_MAX_TEXT of text from it, and a reader that ends without saying
 * how it went fails the file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "docs_int.h"
#include "extract.h"

#define READ_CHUNK (64u << 10)
/* How long to wait for the reader, in wall time: twice its CPU limit. */
#define MAX_WAIT_MS (2000 * (int64_t)DOCS_MAX_SECONDS)

/* The codes a reader's failure may carry, and whose fault each is. */
static const struct {
	const char *code;
	int err;
} codes[] = {
	{ "invalid_file", ERR_INVALID },
	{ "server_error", ERR_INTERNAL },
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

/* The reader program's path: "" until chosen, by doc_reader_set or reader_default. */
static char reader_path[PATH_MAX];
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

/* Sets reader_path to DOCS_READER_NAME in the directory of this process's executable (just
 * the name, which will not start, when that is unknown). */
static void reader_beside_self(void)
{
	ssize_t n = readlink("/proc/self/exe", reader_path, sizeof(reader_path) - 1);
	char *slash;
	size_t dir;

	reader_path[n > 0 ? n : 0] = '\0';
	slash = strrchr(reader_path, '/');
	dir = slash ? (size_t)(slash - reader_path) + 1 : 0;
	if (dir + sizeof(DOCS_READER_NAME) > sizeof(reader_path))
		dir = 0;
	memcpy(reader_path + dir, DOCS_READER_NAME, sizeof(DOCS_READER_NAME));
}

static void reader_default(void)
{
	if (!reader_path[0])
		reader_beside_self();
}

int doc_reader_set(const char *path)
{
	struct stat st;

	if (path && strlen(path) >= sizeof(reader_path))
		return ERR_INVALID;
	if (path && *path)
		memcpy(reader_path, path, strlen(path) + 1);
	else
		reader_beside_self();
	if (stat(reader_path, &st) || !S_ISREG(st.st_mode) || access(reader_path, X_OK))
		return ERR_NOT_FOUND;
	return 0;
}

const char *doc_reader(void)
{
	pthread_once(&reader_once, reader_default);
	return reader_path;
}

/* Starts the reader on the file fd as format, writing to out, with nothing else open and the
 * default signal handling; sets *pid. Returns 0, or posix_spawn's error number (ENOENT: no
 * reader). */
static int reader_start(int fd, const char *format, int out, pid_t *pid)
{
	char *argv[] = { (char *)DOCS_READER_NAME, (char *)format, NULL };
	char *envp[N_ENV_KEPT + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	sigset_t all;
	int err;

	env_filter(envp);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, DOCS_FD_FILE);
	posix_spawn_file_actions_adddup2(&fa, out, DOCS_FD_OUT);
	posix_spawn_file_actions_addclosefrom_np(&fa, DOCS_FD_OUT + 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	err = posix_spawn(pid, doc_reader(), &fa, &attr, argv, envp);
	if (err)
		*pid = -1;
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/* The failure for a reader that could not be started (errnum from posix_spawn). */
static int fail_no_reader(struct doc_out *o, const char *format, int errnum)
{
	const char *why = strerrordesc_np(errnum);

	return doc_fail_server(o, "%s files cannot be read on this server: its document reader "
			       "%s could not be started (%s). The server's operator must install "
			       DOCS_READER_NAME " beside assistd or name it with --docs-reader "
			       "(ASSISTD_DOCS_READER); then add the file again.", format,
			       doc_reader(), why ? why : "unknown error");
}

/* The failure for a reader that ended without saying how it went. */
static int fail_died(struct doc_out *o, const char *format)
{
	return doc_fail(o, "invalid_file", "The %s file could not be read: it is damaged, or "
			"needs more than the %u MB of memory and %u seconds a file may use; save it "
			"again, or split it, and upload that.", format, DOCS_MAX_MEMORY >> 20,
			DOCS_MAX_SECONDS);
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

/* Appends n bytes of text from the pipe, as they are, in chunks. Sets *ended when the pipe
 * ends first. */
static int text_take(struct pipe_in *in, uint32_t n, struct doc_out *o, bool *ended)
{
	char *chunk = xmalloc(READ_CHUNK);
	size_t want;
	int err = 0;

	while (!err && n) {
		want = n < READ_CHUNK ? n : READ_CHUNK;
		if (pipe_read(in, chunk, want) != want)
			break;
		err = doc_put(o, chunk, want);
		n -= (uint32_t)want;
	}
	free(chunk);
	*ended = !err && n;
	return err;
}

/* Takes the end record's n bytes: nothing when the file was read, else "code\0why", recorded
 * in o. Returns 0 and sets *done, or ERR_INVALID / ERR_INTERNAL, the failure's; *done stays
 * false when the record is not one. */
static int end_take(struct pipe_in *in, uint32_t n, struct doc_out *o, bool *done)
{
	char *p = n && n <= DOCS_MAX_WHY ? xmalloc(n + 1) : NULL;
	size_t code = p && pipe_read(in, p, n) == n ? strnlen(p, n) : n;
	int err = 0;

	*done = n == 0;
	for (size_t i = 0; code < n && i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (strcmp(p, codes[i].code))
			continue;
		p[n] = '\0';
		err = codes[i].err == ERR_INTERNAL ? doc_fail_server(o, "%s", p + code + 1) :
						    doc_fail(o, codes[i].code, "%s", p + code + 1);
		*done = true;
	}
	free(p);
	return err;
}

/* Reads the reader's records until its end record. *done is false when it ended without one
 * (or sent something that is not a record). */
static int records_take(int fd, struct doc_out *o, bool *done)
{
	struct pipe_in in = { fd, clock_ms() + MAX_WAIT_MS };
	unsigned char head[DOCS_REC_HEAD];
	bool ended = false;
	uint32_t n;
	int err = 0;

	*done = false;
	while (!err && !ended) {
		if (pipe_read(&in, head, sizeof(head)) != sizeof(head))
			return 0;
		memcpy(&n, head + 1, sizeof(n));
		if (head[0] == DOCS_REC_END)
			return end_take(&in, n, o, done);
		if (head[0] != DOCS_REC_TEXT || n > DOC_MAX_TEXT)
			return 0;
		err = text_take(&in, n, o, &ended);
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
static void reader_reap(pid_t pid, bool done)
{
	if (!done)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Starts the reader on fd and reads what it sends; *pid is the reader (-1 if none). The
 * descriptors given to it are copies above DOCS_FD_OUT, so the moves to DOCS_FD_FILE and
 * DOCS_FD_OUT in the new process cannot overwrite each other. */
static int reader_talk(int fd, const char *format, struct doc_out *o, pid_t *pid, bool *done)
{
	int p[2] = { -1, -1 };
	int file = fcntl(fd, F_DUPFD_CLOEXEC, DOCS_FD_OUT + 1);
	int out = -1;
	int err = 0;
	int failed;

	*pid = -1;
	if (file < 0 || pipe2(p, O_CLOEXEC))
		err = doc_fail_io(o);
	if (!err)
		out = fcntl(p[1], F_DUPFD_CLOEXEC, DOCS_FD_OUT + 1);
	if (!err && out < 0)
		err = doc_fail_io(o);
	failed = err ? 0 : reader_start(file, format, out, pid);
	if (failed)
		err = fail_no_reader(o, format, failed);
	close_all((int[]){ file, out, p[1] }, 3);
	if (!err)
		err = records_take(p[0], o, done);
	close_all(&p[0], 1);
	return err;
}

int doc_reader_run(int fd, const char *format, struct doc_out *o)
{
	bool done = false;
	pid_t pid = -1;
	int err = reader_talk(fd, format, o, &pid, &done);

	if (pid > 0)
		reader_reap(pid, done);
	if (!err && !done)
		err = fail_died(o, format);
	return err;
}
