/* sandbox_proc.c - one session's processes: bubblewrap's command line, the fork, the driver's
 * handshake and frames.
 *
 * What the sandbox sees is the table below: read-only /usr (and the /lib, /bin links of a
 * merged-/usr Debian), the few /etc files Python and its libraries read, fresh /proc and /dev,
 * and two size-capped tmpfs, /tmp and /mnt/data. Nothing else of the host is mounted: not the
 * server's data directory, not /home, not /root, not the rest of /etc. The driver itself
 * (sandbox_driver.py) is built into the binary and passed on the command line. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "sandbox_int.h"

#define FRAME_MAX (1 << 20)     /* the driver's replies are small JSON objects */
#define PROBE_MS 20000
#define ARGV_MAX 192  /* well above what build_args adds */

__asm__(".section .rodata\n.global sbx_driver_src\nsbx_driver_src:\n"
	".incbin \"src/tools/sandbox_driver.py\"\n.byte 0\n.previous\n");
extern const char sbx_driver_src[];

/* The sandbox's namespaces and mounts, in bubblewrap's order. */
static const char *const mounts[] = {
	"--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
	"--new-session", "--hostname", "sandbox",
	"--ro-bind", "/usr", "/usr",
	"--symlink", "usr/lib", "/lib",
	"--symlink", "usr/lib64", "/lib64",
	"--symlink", "usr/bin", "/bin",
	"--symlink", "usr/sbin", "/sbin",
	"--ro-bind-try", "/etc/alternatives", "/etc/alternatives", /* libblas.so.3 and co */
	"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
	"--ro-bind-try", "/etc/localtime", "/etc/localtime",
	"--ro-bind-try", "/etc/fonts", "/etc/fonts",
	"--ro-bind-try", "/etc/matplotlibrc", "/etc/matplotlibrc",
	"--ro-bind-try", "/etc/python3", "/etc/python3",
	"--ro-bind-try", "/etc/python3.11", "/etc/python3.11",
	"--proc", "/proc",
	"--dev", "/dev",
	"--remount-ro", "/dev",
};

/* The driver's whole environment. */
static const char *const environment[] = {
	"PATH", "/usr/local/bin:/usr/bin:/bin",
	"HOME", "/tmp",
	"TMPDIR", "/tmp",
	"LANG", "C.UTF-8",
	"USER", "sandbox",
	"MPLBACKEND", "module://assistd_sandbox_backend",
	"MPLCONFIGDIR", "/tmp/.matplotlib",
	"PYTHONDONTWRITEBYTECODE", "1",
	"OPENBLAS_NUM_THREADS", "1",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The command line's numbers, kept alive until exec. */
struct args {
	const char *v[ARGV_MAX];
	size_t n;
	char tmp[24], disk[24], cpu[16], wall[16], nproc[16];
};

static void add(struct args *a, const char *s)
{
	if (a->n < ARGV_MAX - 1)
		a->v[a->n++] = s;
}

static void build_args(const struct sbx_limits *lim, struct args *a)
{
	snprintf(a->tmp, sizeof(a->tmp), "%lld", (long long)lim->tmp);
	snprintf(a->disk, sizeof(a->disk), "%lld", (long long)lim->disk);
	snprintf(a->cpu, sizeof(a->cpu), "%d", lim->cpu_s);
	snprintf(a->wall, sizeof(a->wall), "%d", lim->wall_s);
	snprintf(a->nproc, sizeof(a->nproc), "%d", lim->nproc);
	a->n = 0;
	add(a, lim->bwrap);
	for (size_t i = 0; i < NELEM(mounts); i++)
		add(a, mounts[i]);
	for (const char *const *t = (const char *const[]){ "--size", a->tmp, "--tmpfs", "/tmp",
		"--size", a->disk, "--tmpfs", "/mnt/data", "--chdir", "/mnt/data", "--clearenv",
		NULL }; *t; t++)
		add(a, *t);
	for (size_t i = 0; i < NELEM(environment); i += 2) {
		add(a, "--setenv");
		add(a, environment[i]);
		add(a, environment[i + 1]);
	}
	for (const char *const *t = (const char *const[]){ "--", lim->python, "-I", "-u", "-c",
		sbx_driver_src, a->cpu, a->wall, a->nproc, NULL }; *t; t++)
		add(a, *t);
	a->v[a->n] = NULL;
}

/* In the child: fd becomes target, inherited across exec. */
static void move_fd(int fd, int target)
{
	if (fd == target)
		fcntl(fd, F_SETFD, 0);
	else
		dup2(fd, target);
}

static void set_limit(int resource, int64_t value)
{
	struct rlimit rl = { .rlim_cur = (rlim_t)value, .rlim_max = (rlim_t)value };

	setrlimit(resource, &rl);
}

/* In the child, between fork and exec: only async-signal-safe calls. Root drops to
 * lim->uid first, since processes of uid 0 ignore RLIMIT_NPROC. */
static void exec_child(const struct sbx_limits *lim, const struct args *a, int chan, int out,
		       int null)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	move_fd(null, 0);
	move_fd(out, 1);
	move_fd(out, 2);
	move_fd(chan, 3);
	close_range(4, ~0U, 0);
	set_limit(RLIMIT_AS, lim->memory);
	set_limit(RLIMIT_FSIZE, lim->file_size);
	set_limit(RLIMIT_CORE, 0);
	if (geteuid() == 0 && (setgroups(0, NULL) || setgid(lim->uid) || setuid(lim->uid)))
		_exit(126);
	execve(lim->bwrap, (char *const *)a->v, (char *const[]){ NULL });
	_exit(127);
}

static int open_pipes(int sv[2], int pipefd[2], int *null)
{
	*null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (*null < 0)
		return ERR_INTERNAL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		if (pipe2(pipefd, O_CLOEXEC) == 0)
			return 0;
		close(sv[0]);
		close(sv[1]);
	}
	close(*null);
	return ERR_INTERNAL;
}

int sbx_proc_spawn(const struct sbx_limits *lim, struct sbx_sess *sess)
{
	struct args a;
	int sv[2];
	int pipefd[2];
	int null;
	pid_t pid;

	build_args(lim, &a);
	if (open_pipes(sv, pipefd, &null)) {
		log_error("sandbox: cannot make pipes: %s", strerror(errno));
		return ERR_INTERNAL;
	}
	pid = fork();
	if (pid == 0)
		exec_child(lim, &a, sv[1], pipefd[1], null);
	close(sv[1]);
	close(pipefd[1]);
	close(null);
	if (pid < 0) {
		log_error("sandbox: fork failed: %s", strerror(errno));
		close(sv[0]);
		close(pipefd[0]);
		return ERR_INTERNAL;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	sess->pid = pid;
	sess->chan = sv[0];
	sess->out = pipefd[0];
	return 0;
}

/* The descriptor passed with a message, or -1. */
static int passed_fd(struct msghdr *m)
{
	int fd = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got);
		}
	}
	return fd;
}

int sbx_proc_ready(struct sbx_sess *sess)
{
	char data[64];
	char ctl[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(sess->chan, &m, MSG_CMSG_CLOEXEC);
	int fd;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return ERR_TIMEOUT;
	fd = n > 0 ? passed_fd(&m) : -1;
	/* the ready frame is small and sent in one sendmsg: it arrives whole */
	if (n < 8 || fd < 0 || !memmem(data, (size_t)n, "\"ready\"", 7)) {
		if (fd >= 0)
			close(fd);
		return ERR_INTERNAL;
	}
	sess->data = fd;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			/* the driver reads requests promptly; a full socket means it is stuck */
			if (poll(&pfd, 1, 1000) <= 0)
				return ERR_INTERNAL;
			continue;
		}
		if (n <= 0)
			return ERR_INTERNAL;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sbx_proc_send(struct sbx_sess *sess, const char *code)
{
	size_t len = strlen(code);
	unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8), (unsigned char)len };
	int err = write_all(sess->chan, (const char *)hdr, 4);

	return err ? err : write_all(sess->chan, code, len);
}

static size_t frame_len(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->p;

	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

int sbx_proc_read_frame(struct sbx_sess *sess, bool *done)
{
	char tmp[4096];
	ssize_t n;

	*done = false;
	for (;;) {
		size_t want = sess->frame.len < 4 ? 4 : 4 + frame_len(&sess->frame);

		if (sess->frame.len >= 4 && frame_len(&sess->frame) > FRAME_MAX)
			return ERR_INTERNAL;
		if (sess->frame.len == want && want > 4) {
			*done = true;
			return 0;
		}
		want -= sess->frame.len;
		n = read(sess->chan, tmp, want < sizeof(tmp) ? want : sizeof(tmp));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0 || buf_append(&sess->frame, tmp, (size_t)n))
			return ERR_INTERNAL;
	}
}

/* The last line of what bwrap or Python printed before giving up (the error itself, after
 * any traceback), in tmp. */
static const char *last_line(int out, char *tmp, size_t len)
{
	ssize_t n = read(out, tmp, len - 1);
	char *line;

	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == ' '))
		n--;
	tmp[n > 0 ? n : 0] = '\0';
	line = strrchr(tmp, '\n');
	return line ? line + 1 : tmp;
}

/* Why the probe failed, in words for the person starting the server. Owned. */
static char *probe_why(int out, int status)
{
	char tmp[4096];
	const char *text = last_line(out, tmp, sizeof(tmp));

	if (strstr(text, "namespace") || strstr(text, "Operation not permitted"))
		return xasprintf("bubblewrap cannot create the sandbox's namespaces (user "
				 "namespaces disabled? check the sysctls "
				 "kernel.unprivileged_userns_clone and "
				 "user.max_user_namespaces): %s", text);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return xstrdup("the server runs as root and could not drop to the sandbox's uid");
	return xasprintf("the sandbox did not start (exit status %d): %s",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 text[0] ? text : "no output");
}

/* Waits for the driver's ready frame; *status is the exit status if it died first. */
static int probe_wait(struct sbx_sess *sess, int *status)
{
	int64_t end = clock_ms() + PROBE_MS;

	while (clock_ms() < end) {
		struct pollfd pfd = { .fd = sess->chan, .events = POLLIN };
		int err;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		err = sbx_proc_ready(sess);
		if (err != ERR_TIMEOUT)
			return err;
		if (waitpid(sess->pid, status, WNOHANG) == sess->pid) {
			sess->pid = 0;
			return ERR_INTERNAL;
		}
	}
	return ERR_TIMEOUT;
}

static char *check_files(const struct sbx_limits *lim)
{
	if (access(lim->bwrap, X_OK) != 0)
		return xasprintf("bubblewrap is not installed (%s; Debian package bubblewrap)",
				 lim->bwrap);
	if (access(lim->python, X_OK) != 0)
		return xasprintf("Python 3 is not installed (%s; Debian package python3)",
				 lim->python);
	return NULL;
}

char *sbx_proc_probe(const struct sbx_limits *lim)
{
	struct sbx_sess sess = { .data = -1 };
	char *why = check_files(lim);
	int status = 0;
	int err;

	if (why || sbx_proc_spawn(lim, &sess))
		return why ? why : xstrdup("the sandbox could not be started (fork failed)");
	err = probe_wait(&sess, &status);
	if (sess.pid > 0) {
		kill(sess.pid, SIGKILL);
		waitpid(sess.pid, &status, 0);
	}
	if (err == ERR_TIMEOUT)
		why = xasprintf("the sandbox did not answer within %d s", PROBE_MS / 1000);
	else if (err)
		why = probe_why(sess.out, status);
	if (sess.data >= 0)
		close(sess.data);
	close(sess.chan);
	close(sess.out);
	return why;
}
