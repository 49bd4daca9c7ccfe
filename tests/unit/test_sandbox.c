/* test_sandbox.c - unit tests for src/tools/sandbox: Python sessions in bubblewrap, driven
 * through the manager's API on a real event loop.
 *
 * Every case that runs code first requires sbx_check to pass, so the abuse cases (fork
 * bomb, memory bomb, endless loops, 100 MB of output, a full disk) never run outside a
 * sandbox. Limits are small here (seconds, megabytes) so no case can load the machine. On a
 * machine without user namespaces the cases fail saying so; set ASSISTD_SANDBOX_OPTIONAL=1
 * to have them pass as skipped there instead. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/clock.h"
#include "../../src/base/loop.h"
#include "../../src/tools/sandbox.h"
#include "suites.h"

#define CALL_MS 18000

struct env {
	struct loop *l;
	struct sbx *s;
};

struct call {
	struct sbx_result *res;
	bool done;
};

/* Time limits leave room for a loaded machine (matplotlib's first import, 100 MB through a
 * pipe); the endless-loop cases use tight ones. */
static const struct sbx_config small = {
	.cpu_s = 10, .wall_s = 10, .memory = 512 << 20, .nproc = 32, .file_size = 4 << 20,
	.disk = 8 << 20, .tmp = 8 << 20, .max_files = 200, .output = 4096, .idle_s = 60,
	.max_sessions = 4, .pool = 1,
};

static void on_done(void *ctx, struct sbx_result *res)
{
	struct call *c = ctx;

	c->res = res;
	c->done = true;
}

/* A manager with cfg; exits the case (passing) when the sandbox is missing and
 * ASSISTD_SANDBOX_OPTIONAL is set, fails it otherwise. */
static struct env start(const struct sbx_config *cfg)
{
	struct env e;
	const char *why = NULL;

	ASSERT_OK(loop_new(&e.l));
	ASSERT_OK(sbx_new(cfg, e.l, &e.s));
	if (!sbx_check(e.s, &why)) {
		fprintf(stderr, "    no sandbox on this machine: %s\n", why);
		if (getenv("ASSISTD_SANDBOX_OPTIONAL"))
			exit(0);
		T_FAIL("the sandbox must work here (ASSISTD_SANDBOX_OPTIONAL=1 to skip)");
	}
	return e;
}

static void stop(struct env *e)
{
	sbx_free(e->s);
	loop_free(e->l);
}

/* Runs code in key's session and waits for the result (owned). */
static struct sbx_result *run(struct env *e, const char *key, const char *code)
{
	struct call c = { 0 };
	int64_t end = clock_ms() + CALL_MS;

	sbx_exec(e->s, key, code, on_done, &c);
	while (!c.done && clock_ms() < end)
		loop_run_once(e->l, 100);
	ASSERT(c.done);
	return c.res;
}

/* Runs code and checks that it ran and printed exactly want. */
static void run_expect(struct env *e, const char *key, const char *code, const char *want)
{
	struct sbx_result *res = run(e, key, code);

	if (res->err || strcmp(res->logs, want) != 0)
		T_FAIL("code %s: err %d, logs \"%s\", want \"%s\"", code, res->err, res->logs,
		       want);
	sbx_result_free(res);
}

static bool has(const struct sbx_result *res, const char *text)
{
	return res->logs && strstr(res->logs, text) != NULL;
}

static const struct sbx_file *file_named(const struct sbx_result *res, const char *name)
{
	for (size_t i = 0; i < res->nfiles; i++) {
		if (strcmp(res->files[i].name, name) == 0)
			return &res->files[i];
	}
	return NULL;
}

/* The first n bytes of name in key's /mnt/data, read through sbx_open_file. */
static void read_file(struct env *e, const char *key, const char *name, char *out, size_t n)
{
	int fd = -1;

	ASSERT_OK(sbx_open_file(e->s, key, name, &fd));
	ASSERT_EQ_INT(read(fd, out, n), (long long)n);
	close(fd);
}

static void prints_42(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "thread_a", "print(6*7)");

	ASSERT_OK(res->err);
	ASSERT_STR_EQ(res->logs, "42\n");
	ASSERT(!res->raised);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_NONE);
	ASSERT(!res->restarted);
	ASSERT_EQ_INT(res->nfiles, 0);
	ASSERT_EQ_INT(sbx_sessions(e.s), 1);
	sbx_result_free(res);
	/* timings: the wall time includes the code's own, the CPU time counts it */
	res = run(&e, "thread_a", "import time\nt = time.process_time()\n"
		  "while time.process_time() - t < 0.3:\n    pass");
	ASSERT(res->wall_ms >= 300);
	ASSERT(res->cpu_ms >= 250);
	sbx_result_free(res);
	stop(&e);
}

static void keeps_state(void)
{
	struct env e = start(&small);

	run_expect(&e, "t", "import math\nx = 21", "");
	run_expect(&e, "t", "print(x * 2, math.floor(2.5))", "42 2\n");
	run_expect(&e, "other", "print('x' in globals())", "False\n");
	stop(&e);
}

static void chart_is_png(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "import matplotlib.pyplot as plt\n"
				     "plt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\n"
				     "plt.show()\nprint('shown')");
	const struct sbx_file *f;
	char head[8];

	ASSERT_OK(res->err);
	ASSERT(!res->raised);
	ASSERT(has(res, "shown"));
	f = file_named(res, "figure-1.png");
	ASSERT(f);
	ASSERT(f->figure);
	ASSERT(f->size > 1000);
	read_file(&e, "t", "figure-1.png", head, sizeof(head));
	ASSERT(memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0);
	sbx_result_free(res);
	/* a figure left open (no show) is saved too, under the next name */
	res = run(&e, "t", "plt.figure()\nplt.bar(['a', 'b'], [3, 5])");
	ASSERT(file_named(res, "figure-2.png"));
	ASSERT(!file_named(res, "figure-1.png"));
	sbx_result_free(res);
	stop(&e);
}

/* The libraries the issue promises, all importable inside the sandbox. */
static void libraries_import(void)
{
	struct sbx_config cfg = small;
	struct env e;

	cfg.cpu_s = 15;
	cfg.wall_s = 15;
	e = start(&cfg);
	run_expect(&e, "t", "import numpy, pandas, matplotlib, scipy.stats, sklearn.linear_model, "
		   "seaborn, sympy, openpyxl, docx, pypdf, PIL.Image\n"
		   "print(matplotlib.get_backend(), int(numpy.arange(4).sum()))",
		   "module://assistd_sandbox_backend 6\n");
	stop(&e);
}

static void csv_input(void)
{
	struct env e = start(&small);
	char path[] = "/tmp/assistd-sbx-XXXXXX";
	int fd = mkstemp(path);
	const char *csv = "name,amount\nalice,10\nbob,32\n";

	ASSERT(fd >= 0);
	ASSERT_EQ_INT(write(fd, csv, strlen(csv)), (long long)strlen(csv));
	close(fd);
	ASSERT_OK(sbx_put_file(e.s, "t", "file-abc123", path));
	ASSERT_EQ_INT(sbx_put_file(e.s, "t", "../escape", path), ERR_INVALID);
	ASSERT_EQ_INT(sbx_put_file(e.s, "t", "x", "/nonexistent/file"), ERR_NOT_FOUND);
	unlink(path);
	run_expect(&e, "t", "import csv\n"
		   "rows = list(csv.DictReader(open('/mnt/data/file-abc123')))\n"
		   "print(len(rows), sum(int(r['amount']) for r in rows))", "2 42\n");
	stop(&e);
}

static void written_file_listed(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "import os\nos.makedirs('/mnt/data/out')\n"
				     "open('/mnt/data/out/report.txt', 'w').write('hello')");
	const struct sbx_file *f = file_named(res, "out/report.txt");
	char text[5];

	ASSERT(f);
	ASSERT_EQ_INT(f->size, 5);
	ASSERT(!f->figure);
	read_file(&e, "t", "out/report.txt", text, sizeof(text));
	ASSERT(memcmp(text, "hello", 5) == 0);
	sbx_result_free(res);
	res = run(&e, "t", "print(open('/mnt/data/out/report.txt').read())");
	ASSERT_STR_EQ(res->logs, "hello\n");
	ASSERT_EQ_INT(res->nfiles, 0); /* unchanged: not listed again */
	sbx_result_free(res);
	stop(&e);
}

static void exception_traceback(void)
{
	struct env e = start(&small);
	struct sbx_result *res;

	run_expect(&e, "t", "y = 7", "");
	res = run(&e, "t", "def f():\n    return 1 / 0\nprint('before')\nf()");
	ASSERT_OK(res->err);
	ASSERT(res->raised);
	ASSERT(!res->restarted);
	ASSERT(has(res, "before\n"));
	ASSERT(has(res, "Traceback (most recent call last)"));
	ASSERT(has(res, "return 1 / 0"));
	ASSERT(has(res, "ZeroDivisionError: division by zero"));
	ASSERT(!has(res, "exec(")); /* the driver's own frame is not shown */
	sbx_result_free(res);
	res = run(&e, "t", "def broken(:\n    pass");
	ASSERT(res->raised);
	ASSERT(has(res, "SyntaxError"));
	ASSERT(has(res, "<cell 3>"));
	sbx_result_free(res);
	run_expect(&e, "t", "print(y)", "7\n");
	stop(&e);
}

static void links_not_followed(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "import os\n"
				     "os.symlink('/etc/passwd', '/mnt/data/pw')\n"
				     "os.mkfifo('/mnt/data/fifo')");
	int fd = -1;

	ASSERT_OK(res->err);
	ASSERT_EQ_INT(res->nfiles, 0);
	ASSERT_EQ_INT(sbx_open_file(e.s, "t", "pw", &fd), ERR_NOT_FOUND);
	ASSERT_EQ_INT(sbx_open_file(e.s, "t", "fifo", &fd), ERR_NOT_FOUND);
	ASSERT_EQ_INT(sbx_open_file(e.s, "t", "../../etc/passwd", &fd), ERR_INVALID);
	ASSERT_EQ_INT(sbx_open_file(e.s, "nobody", "x", &fd), ERR_NOT_FOUND);
	sbx_result_free(res);
	stop(&e);
}

static void no_network(void)
{
	struct env e = start(&small);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	char code[1024];

	ASSERT(ls >= 0);
	ASSERT_OK(bind(ls, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(ls, 4));
	ASSERT_OK(getsockname(ls, (struct sockaddr *)&a, &len));
	snprintf(code, sizeof(code),
		 "import socket\n"
		 "for host, port in [('127.0.0.1', %d), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
		 "    try:\n"
		 "        socket.create_connection((host, port), timeout=1)\n"
		 "        print('connected', host)\n"
		 "    except OSError:\n"
		 "        print('blocked')\n"
		 "try:\n"
		 "    socket.getaddrinfo('example.com', 80)\n"
		 "    print('resolved')\n"
		 "except OSError:\n"
		 "    print('no dns')\n", ntohs(a.sin_port));
	run_expect(&e, "t", code, "blocked\nblocked\nblocked\nno dns\n");
	ASSERT(accept(ls, NULL, NULL) < 0);
	close(ls);
	stop(&e);
}

static void host_files_hidden(void)
{
	struct env e = start(&small);
	char dir[] = "/tmp/assistd-sbx-data-XXXXXX";
	char code[1024];

	ASSERT(mkdtemp(dir));
	snprintf(code, sizeof(code), "%s/assistd.db", dir);
	ASSERT(creat(code, 0644) >= 0);
	snprintf(code, sizeof(code),
		 "import os\n"
		 "for p in ['%s/assistd.db', '%s', '/etc/shadow', '/etc/passwd', '/root',\n"
		 "          '/home']:\n"
		 "    print(os.path.exists(p), end=' ')\n"
		 "print(sorted(os.listdir('/')))\n"
		 "print(sorted(set(os.listdir('/etc')) - {'alternatives', 'fonts', 'ld.so.cache',\n"
		 "    'localtime', 'matplotlibrc', 'python3', 'python3.11'}))\n", dir, dir);
	run_expect(&e, "a", "open('/mnt/data/secret.txt', 'w').write('a secret')", "");
	run_expect(&e, "b", code, "False False False False False False "
		   "['bin', 'dev', 'etc', 'lib', 'lib64', 'mnt', 'proc', 'sbin', 'tmp', 'usr']\n"
		   "[]\n");
	run_expect(&e, "b", "import os\nprint(os.listdir('/mnt/data'))", "[]\n");
	run_expect(&e, "a", "import os\nprint(os.listdir('/mnt/data'))", "['secret.txt']\n");
	snprintf(code, sizeof(code), "%s/assistd.db", dir);
	unlink(code);
	rmdir(dir);
	stop(&e);
}

static void fork_bomb(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "import os\nwhile True:\n    os.fork()");

	ASSERT_OK(res->err);
	ASSERT(res->raised);
	ASSERT(has(res, "BlockingIOError"));
	sbx_result_free(res);
	/* the bomb's processes are gone and the session takes code again */
	run_expect(&e, "t", "import os\n"
		   "print(len([p for p in os.listdir('/proc') if p.isdigit()]))", "2\n");
	stop(&e);
}

static void memory_bomb(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "hog = []\nwhile True:\n"
				     "    hog.append(bytearray(32 << 20))");

	ASSERT_OK(res->err);
	ASSERT(res->raised);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_MEMORY);
	ASSERT(has(res, "MemoryError"));
	ASSERT(has(res, "[memory limit hit"));
	ASSERT(!res->restarted);
	sbx_result_free(res);
	run_expect(&e, "t", "del hog\nprint('ok')", "ok\n");
	stop(&e);
}

static const struct sbx_config tight = {
	.cpu_s = 1, .wall_s = 2, .memory = 512 << 20, .nproc = 32, .file_size = 4 << 20,
	.disk = 8 << 20, .tmp = 8 << 20, .max_files = 200, .output = 4096, .idle_s = 60,
	.max_sessions = 4, .pool = 1,
};

static void endless_loop_cpu(void)
{
	struct env e = start(&tight);
	struct sbx_result *res = run(&e, "t", "n = 1\nwhile True:\n    n += 1");

	ASSERT_OK(res->err);
	ASSERT(res->raised);
	ASSERT(res->limit == SBX_LIMIT_CPU || res->limit == SBX_LIMIT_WALL);
	ASSERT(has(res, "time limit"));
	ASSERT(!res->restarted); /* interrupted inside: variables kept */
	sbx_result_free(res);
	run_expect(&e, "t", "print(n > 1)", "True\n");
	stop(&e);
}

static void endless_loop_stubborn(void)
{
	struct env e = start(&tight);
	struct sbx_result *res;

	run_expect(&e, "t", "z = 1", "");
	/* swallows the driver's interruption: the watchdog has to end the session */
	res = run(&e, "t", "import time\nwhile True:\n    try:\n        time.sleep(10)\n"
		  "    except BaseException:\n        pass");
	ASSERT_OK(res->err);
	ASSERT(res->restarted);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_WALL);
	ASSERT(has(res, "the sandbox session was restarted"));
	sbx_result_free(res);
	run_expect(&e, "t", "print('z' in globals())", "False\n");
	stop(&e);
}

/* A thread left spinning after its call gets the session's CPU budget, then the session
 * ends; the next call runs in a fresh one. The budget is CPU time: on a loaded machine the
 * spinner gets a small share of a core, so the wait allows far more wall time than the
 * second it needs alone (it returns as soon as the session ends). */
static void background_spinner(void)
{
	struct env e = start(&tight);
	int64_t end = clock_ms() + 120000;

	run_expect(&e, "t", "import threading\ndef spin():\n    while True:\n        pass\n"
		   "threading.Thread(target=spin, daemon=True).start()\nprint('started')",
		   "started\n");
	while (sbx_sessions(e.s) > 0 && clock_ms() < end)
		loop_run_once(e.l, 100);
	ASSERT_EQ_INT(sbx_sessions(e.s), 0);
	run_expect(&e, "t", "print('threading' in globals())", "False\n");
	stop(&e);
}

static void huge_output(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "for i in range(100):\n    print('x' * 1048575)\n"
				     "print('done')");

	ASSERT_OK(res->err);
	if (res->raised)
		T_FAIL("raised: %s", res->logs);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_OUTPUT);
	ASSERT(has(res, "[output truncated: "));
	ASSERT(res->logs_len < 4096 + 200);
	ASSERT(strncmp(res->logs, "xxxx", 4) == 0);
	sbx_result_free(res);
	run_expect(&e, "t", "print('after')", "after\n");
	stop(&e);
}

static void disk_full(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "n = 0\nwhile True:\n"
				     "    with open('/mnt/data/f%d' % n, 'wb') as f:\n"
				     "        f.write(b'x' * (1 << 20))\n    n += 1");

	ASSERT_OK(res->err);
	ASSERT(res->raised);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_DISK);
	ASSERT(has(res, "No space left on device"));
	ASSERT(has(res, "[/mnt/data is full"));
	sbx_result_free(res);
	/* one file may not pass the file-size limit either, nor /tmp its size */
	res = run(&e, "t", "open('/tmp/big', 'wb').write(b'x' * (5 << 20))");
	ASSERT(res->raised);
	ASSERT(has(res, "File too large") || has(res, "No space left"));
	sbx_result_free(res);
	run_expect(&e, "t", "import os\nfor f in os.listdir('/mnt/data'):\n"
		   "    os.remove('/mnt/data/' + f)\nprint('freed')", "freed\n");
	stop(&e);
}

static void too_many_files(void)
{
	struct env e = start(&small);
	struct sbx_result *res = run(&e, "t", "for i in range(100000):\n"
				     "    open('/mnt/data/e%d' % i, 'w').close()");

	ASSERT_OK(res->err);
	ASSERT_EQ_INT(res->limit, SBX_LIMIT_DISK);
	ASSERT(res->nfiles <= 200);
	sbx_result_free(res);
	run_expect(&e, "t", "print(1)", "1\n");
	stop(&e);
}

static void kill_parent(void)
{
	struct env e = start(&small);
	struct sbx_result *res;

	run_expect(&e, "t", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
		   "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"
		   "print('alive')", "alive\n");
	res = run(&e, "t", "import os\nos.kill(os.getpid(), 9)");
	ASSERT_OK(res->err);
	ASSERT(res->restarted);
	ASSERT(has(res, "ended"));
	sbx_result_free(res);
	run_expect(&e, "t", "print('new session')", "new session\n");
	ASSERT_EQ_INT(sbx_sessions(e.s), 1);
	stop(&e);
}

static void lru_and_idle(void)
{
	struct sbx_config cfg = small;
	struct env e;
	struct sbx_result *res;
	int64_t end;

	cfg.max_sessions = 2;
	cfg.idle_s = 1;
	e = start(&cfg);
	run_expect(&e, "a", "v = 'a'", "");
	run_expect(&e, "b", "v = 'b'", "");
	run_expect(&e, "c", "v = 'c'", ""); /* ends a, the least recently used */
	ASSERT_EQ_INT(sbx_sessions(e.s), 2);
	res = run(&e, "a", "print(v)");
	ASSERT(res->raised);
	ASSERT(has(res, "NameError"));
	sbx_result_free(res);
	end = clock_ms() + 5000;
	while (sbx_sessions(e.s) > 0 && clock_ms() < end)
		loop_run_once(e.l, 100);
	ASSERT_EQ_INT(sbx_sessions(e.s), 0);
	ASSERT_EQ_INT(sbx_pooled(e.s), 1);
	stop(&e);
}

static void end_session(void)
{
	struct env e = start(&small);

	run_expect(&e, "t", "w = 1", "");
	sbx_end(e.s, "t");
	ASSERT_EQ_INT(sbx_sessions(e.s), 0);
	run_expect(&e, "t", "print('w' in globals())", "False\n");
	stop(&e);
}

/* Waits until every call in c[0..n) is done. */
static void wait_all(struct env *e, struct call *c, int n)
{
	int64_t end = clock_ms() + CALL_MS;

	for (int i = 0; i < n; i++) {
		while (!c[i].done && clock_ms() < end)
			loop_run_once(e->l, 100);
		ASSERT(c[i].done);
	}
}

static void calls_queue_in_order(void)
{
	struct env e = start(&small);
	struct call c[3] = { 0 };

	sbx_exec(e.s, "t", "import time\ntime.sleep(0.2)\nv = 1\nprint('first')", on_done, &c[0]);
	sbx_exec(e.s, "t", "v += 1\nprint('second', v)", on_done, &c[1]);
	sbx_exec(e.s, "t", "print('third', v)", on_done, &c[2]);
	wait_all(&e, c, 3);
	ASSERT_STR_EQ(c[0].res->logs, "first\n");
	ASSERT_STR_EQ(c[1].res->logs, "second 2\n");
	ASSERT_STR_EQ(c[2].res->logs, "third 2\n");
	for (int i = 0; i < 3; i++)
		sbx_result_free(c[i].res);
	stop(&e);
}

/* A call queued behind one that kills its session runs in the fresh session. */
static void queued_call_survives_restart(void)
{
	struct env e = start(&small);
	struct call c[2] = { 0 };

	sbx_exec(e.s, "t", "import os\nos.kill(os.getpid(), 9)", on_done, &c[0]);
	sbx_exec(e.s, "t", "print('next')", on_done, &c[1]);
	wait_all(&e, c, 2);
	ASSERT(c[0].res->restarted);
	ASSERT_OK(c[1].res->err);
	ASSERT_STR_EQ(c[1].res->logs, "next\n");
	sbx_result_free(c[0].res);
	sbx_result_free(c[1].res);
	stop(&e);
}

/* Ending a session or the manager answers the calls it had, running or queued. */
static void end_answers_pending(void)
{
	struct env e = start(&small);
	struct call c[3] = { 0 };

	sbx_exec(e.s, "t", "import time\ntime.sleep(2)", on_done, &c[0]);
	sbx_exec(e.s, "t", "print(1)", on_done, &c[1]);
	loop_run_once(e.l, 50);
	sbx_end(e.s, "t");
	wait_all(&e, c, 2);
	ASSERT_EQ_INT(c[0].res->err, ERR_UNAVAILABLE);
	ASSERT_EQ_INT(c[1].res->err, ERR_UNAVAILABLE);
	sbx_exec(e.s, "u", "import time\ntime.sleep(2)", on_done, &c[2]);
	loop_run_once(e.l, 50);
	sbx_free(e.s);
	loop_free(e.l); /* runs what the manager posted */
	ASSERT(c[2].done);
	ASSERT_EQ_INT(c[2].res->err, ERR_UNAVAILABLE);
	for (int i = 0; i < 3; i++)
		sbx_result_free(c[i].res);
}

static void logs_are_utf8(void)
{
	struct env e = start(&small);

	run_expect(&e, "t", "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xc3\\xa9\\n')",
		   "ok \xef\xbf\xbd\xc3\xa9\n");
	stop(&e);
}

static void missing_bwrap(void)
{
	struct sbx_config cfg = small;
	struct loop *l;
	struct sbx *s;
	const char *why = NULL;
	struct call c = { 0 };

	cfg.bwrap = "/nonexistent/bwrap";
	ASSERT_OK(loop_new(&l));
	ASSERT_OK(sbx_new(&cfg, l, &s));
	ASSERT(!sbx_check(s, &why));
	ASSERT(why && strstr(why, "bubblewrap is not installed"));
	sbx_exec(s, "t", "print(1)", on_done, &c);
	ASSERT(!c.done); /* answered later, on the loop */
	loop_run_once(l, 100);
	ASSERT(c.done);
	ASSERT_EQ_INT(c.res->err, ERR_UNAVAILABLE);
	ASSERT(strstr(c.res->logs, "bubblewrap"));
	ASSERT_EQ_INT(sbx_put_file(s, "t", "x", "/etc/hostname"), ERR_UNAVAILABLE);
	ASSERT_EQ_INT(sbx_sessions(s), 0);
	ASSERT_EQ_INT(sbx_pooled(s), 0);
	sbx_result_free(c.res);
	sbx_free(s);
	loop_free(l);
}

const struct t_case sandbox_tests[] = {
	T_CASE(prints_42),
	T_CASE(keeps_state),
	T_CASE(chart_is_png),
	T_CASE(libraries_import),
	T_CASE(csv_input),
	T_CASE(written_file_listed),
	T_CASE(exception_traceback),
	T_CASE(links_not_followed),
	T_CASE(no_network),
	T_CASE(host_files_hidden),
	T_CASE(fork_bomb),
	T_CASE(memory_bomb),
	T_CASE(endless_loop_cpu),
	T_CASE(endless_loop_stubborn),
	T_CASE(background_spinner),
	T_CASE(huge_output),
	T_CASE(disk_full),
	T_CASE(too_many_files),
	T_CASE(kill_parent),
	T_CASE(lru_and_idle),
	T_CASE(end_session),
	T_CASE(calls_queue_in_order),
	T_CASE(queued_call_survives_restart),
	T_CASE(end_answers_pending),
	T_CASE(logs_are_utf8),
	T_CASE(missing_bwrap),
	{ NULL, NULL },
};
