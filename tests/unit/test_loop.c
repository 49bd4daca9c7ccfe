/* test_loop.c - unit tests for the event loop, the timer heap and the worker pool
 * (src/base/loop.c, timer.c, pool.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/clock.h"
#include "../../src/base/loop.h"
#include "../../src/base/pool.h"
#include "../../src/base/timer.h"
#include "suites.h"

/* Records the order callbacks ran in: each appends its letter. */
struct order {
	char seen[64];
	size_t n;
};

struct mark {
	struct order *o;
	char c;
};

static void note(void *arg)
{
	struct mark *m = arg;

	m->o->seen[m->o->n++] = m->c;
}

/* Runs iterations of l until *flag is set or 5 s pass. */
static void run_until(struct loop *l, const atomic_int *flag)
{
	int64_t t0 = clock_ms();

	while (!atomic_load(flag) && clock_ms() - t0 < 5000)
		loop_run_once(l, 50);
}

static void timer_heap_orders_stops_and_rearms(void)
{
	struct timer_heap h;
	struct order o = { .n = 0 };
	struct mark ma = { &o, 'a' }, mb = { &o, 'b' }, mc = { &o, 'c' }, md = { &o, 'd' };
	struct timer a, b, c, d;

	timer_heap_init(&h);
	timer_init(&a, note, &ma);
	timer_init(&b, note, &mb);
	timer_init(&c, note, &mc);
	timer_init(&d, note, &md);
	timer_start(&h, &a, 30);
	timer_start(&h, &b, 10);
	timer_start(&h, &c, 20);
	timer_start(&h, &d, 10);
	timer_stop(&h, &c);
	ASSERT(!timer_active(&c));
	timer_start(&h, &a, 5); /* re-armed earlier */
	ASSERT_EQ_INT(timer_heap_wait_ms(&h, 0, 1000), 5);
	ASSERT_EQ_INT(timer_heap_wait_ms(&h, 0, 2), 2);
	ASSERT_EQ_INT(timer_heap_run(&h, 10), 3);
	ASSERT_STR_EQ(o.seen, "abd"); /* b before d: same due time, b started first */
	ASSERT_EQ_INT(timer_heap_wait_ms(&h, 10, 7), 7);
	ASSERT(timer_heap_first(&h) == NULL);
	timer_start(&h, &c, 99);
	timer_heap_cleanup(&h);
	ASSERT(!timer_active(&c));
}

static struct timer_heap *self_heap;

static void rearm_self(void *arg)
{
	struct timer *t = arg;

	timer_start(self_heap, t, 0);
}

static void timer_rearmed_in_callback_waits_for_next_run(void)
{
	struct timer_heap h;
	struct timer t;

	self_heap = &h;
	timer_heap_init(&h);
	timer_init(&t, rearm_self, &t);
	timer_start(&h, &t, 0);
	ASSERT_EQ_INT(timer_heap_run(&h, 0), 1); /* not forever */
	ASSERT(timer_active(&t));
	ASSERT_EQ_INT(timer_heap_run(&h, 0), 1);
	timer_heap_cleanup(&h);
}

static atomic_int fired;

static void set_fired(void *arg)
{
	atomic_fetch_add(&fired, 1);
}

static void loop_timers_fire_after_their_delay(void)
{
	struct loop *l;
	struct timer t, never;
	int64_t t0 = clock_ms();

	ASSERT_OK(loop_new(&l));
	atomic_store(&fired, 0);
	timer_init(&t, set_fired, NULL);
	timer_init(&never, set_fired, NULL);
	loop_timer_start(l, &t, 30);
	loop_timer_start(l, &never, 10);
	loop_timer_stop(l, &never);
	run_until(l, &fired);
	ASSERT_EQ_INT(atomic_load(&fired), 1);
	ASSERT(clock_ms() - t0 >= 30);
	ASSERT(!timer_active(&t));
	loop_free(l);
}

struct pipe_watch {
	struct loop *l;
	struct loop_io io;
	struct pipe_watch *other; /* stopped by this one's callback, when set */
	int ready;
	int calls;
};

static void on_pipe(void *arg, int fd, int ready)
{
	struct pipe_watch *w = arg;
	char c;

	w->ready = ready;
	w->calls++;
	ASSERT_EQ_INT(read(fd, &c, 1), 1);
	if (w->other)
		loop_io_stop(w->l, &w->other->io);
}

static void loop_io_reports_ready_descriptors(void)
{
	struct loop *l;
	struct pipe_watch w = { .calls = 0 };
	int fds[2];

	ASSERT_OK(loop_new(&l));
	ASSERT_OK(pipe(fds));
	w.l = l;
	loop_io_init(&w.io, fds[0], on_pipe, &w);
	ASSERT_OK(loop_io_set(l, &w.io, LOOP_READ));
	ASSERT_EQ_INT(loop_run_once(l, 0), 0);
	ASSERT_EQ_INT(write(fds[1], "x", 1), 1);
	ASSERT_EQ_INT(loop_run_once(l, 1000), 1);
	ASSERT_EQ_INT(w.calls, 1);
	ASSERT_EQ_INT(w.ready, LOOP_READ);
	loop_io_stop(l, &w.io);
	ASSERT_EQ_INT(write(fds[1], "y", 1), 1);
	ASSERT_EQ_INT(loop_run_once(l, 0), 0);
	ASSERT_EQ_INT(w.calls, 1);
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

static void loop_io_stopped_by_a_callback_gets_no_pending_event(void)
{
	struct loop *l;
	struct pipe_watch a = { .calls = 0 }, b = { .calls = 0 };
	int pa[2], pb[2];

	ASSERT_OK(loop_new(&l));
	ASSERT_OK(pipe(pa));
	ASSERT_OK(pipe(pb));
	a.l = b.l = l;
	a.other = &b;
	b.other = &a;
	loop_io_init(&a.io, pa[0], on_pipe, &a);
	loop_io_init(&b.io, pb[0], on_pipe, &b);
	ASSERT_OK(loop_io_set(l, &a.io, LOOP_READ));
	ASSERT_OK(loop_io_set(l, &b.io, LOOP_READ));
	ASSERT_EQ_INT(write(pa[1], "x", 1), 1);
	ASSERT_EQ_INT(write(pb[1], "x", 1), 1);
	/* Both are ready in one batch; whichever runs first stops the other. */
	ASSERT_EQ_INT(loop_run_once(l, 1000), 1);
	ASSERT_EQ_INT(a.calls + b.calls, 1);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	loop_free(l);
}

struct poster {
	struct loop *l;
	pthread_t loop_thread;
	atomic_int count;
	atomic_int wrong; /* posts that ran off the loop thread or out of order */
	atomic_int done;
};

struct post_item {
	struct poster *p;
	int seq;
};

static void on_post(void *arg)
{
	struct post_item *it = arg;
	struct poster *p = it->p;

	if (!pthread_equal(pthread_self(), p->loop_thread) || it->seq != atomic_load(&p->count))
		atomic_fetch_add(&p->wrong, 1);
	if (atomic_fetch_add(&p->count, 1) + 1 == 200)
		atomic_store(&p->done, 1);
	free(it);
}

static void *post_many(void *arg)
{
	struct poster *p = arg;

	for (int i = 0; i < 200; i++) {
		struct post_item *it = malloc(sizeof(*it));

		it->p = p;
		it->seq = i;
		loop_post(p->l, on_post, it);
	}
	return NULL;
}

static void loop_post_runs_on_the_loop_thread_in_order(void)
{
	struct poster p = { .loop_thread = pthread_self() };
	pthread_t th;

	ASSERT_OK(loop_new(&p.l));
	ASSERT_OK(pthread_create(&th, NULL, post_many, &p));
	run_until(p.l, &p.done);
	pthread_join(th, NULL);
	ASSERT_EQ_INT(atomic_load(&p.count), 200);
	ASSERT_EQ_INT(atomic_load(&p.wrong), 0);
	loop_free(p.l);
}

static void *stop_later(void *arg)
{
	usleep(20000);
	loop_stop(arg);
	return NULL;
}

static void loop_stop_from_another_thread_ends_loop_run(void)
{
	struct loop *l;
	pthread_t th;

	ASSERT_OK(loop_new(&l));
	ASSERT_OK(pthread_create(&th, NULL, stop_later, l));
	loop_run(l); /* blocks with nothing to do until the stop */
	pthread_join(th, NULL);
	loop_free(l);
}

static void loop_free_runs_posts_not_yet_run(void)
{
	struct loop *l;

	ASSERT_OK(loop_new(&l));
	atomic_store(&fired, 0);
	loop_post(l, set_fired, NULL);
	loop_post(l, set_fired, NULL);
	loop_free(l);
	ASSERT_EQ_INT(atomic_load(&fired), 2);
}

static atomic_int child_status;

static void on_child(void *arg, int status)
{
	atomic_store(&child_status, status);
	atomic_store(&fired, 1);
}

static void loop_child_watch_reports_the_exit_status(void)
{
	struct loop *l;
	pid_t pid;

	ASSERT_OK(loop_new(&l));
	atomic_store(&fired, 0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		usleep(20000);
		_exit(7);
	}
	ASSERT_OK(loop_child_watch(l, pid, on_child, NULL));
	run_until(l, &fired);
	ASSERT_EQ_INT(atomic_load(&fired), 1);
	ASSERT(WIFEXITED(atomic_load(&child_status)));
	ASSERT_EQ_INT(WEXITSTATUS(atomic_load(&child_status)), 7);
	ASSERT(waitpid(pid, NULL, WNOHANG) < 0); /* already reaped */
	loop_free(l);
}

struct pool_job {
	pthread_t loop_thread;
	pthread_t work_thread;
	int work_nice;
	int input;
	int output;
	atomic_int *done;
	int done_on_loop;
};

static void job_work(void *arg)
{
	struct pool_job *j = arg;

	j->work_thread = pthread_self();
	j->work_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	j->output = j->input * 2;
}

static void job_done(void *arg)
{
	struct pool_job *j = arg;

	j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
	atomic_fetch_add(j->done, 1);
}

static void pool_runs_work_off_the_loop_and_reports_on_it(void)
{
	struct loop *l;
	struct pool *p;
	struct pool_job jobs[8];
	atomic_int done = 0;
	int64_t t0 = clock_ms();

	ASSERT_OK(loop_new(&l));
	ASSERT_OK(pool_new(0, l, &p));
	for (int i = 0; i < 8; i++) {
		jobs[i] = (struct pool_job){ .loop_thread = pthread_self(), .input = i, .done = &done };
		pool_submit(p, job_work, job_done, &jobs[i]);
	}
	while (atomic_load(&done) < 8 && clock_ms() - t0 < 5000)
		loop_run_once(l, 50);
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ_INT(jobs[i].output, 2 * i);
		ASSERT(!pthread_equal(jobs[i].work_thread, pthread_self()));
		ASSERT(jobs[i].done_on_loop);
		/* Workers yield the CPU to the loop's thread. */
		ASSERT(jobs[i].work_nice > getpriority(PRIO_PROCESS, (id_t)gettid()));
	}
	pool_free(p);
	loop_free(l);
}

static void pool_free_finishes_every_submitted_job(void)
{
	struct loop *l;
	struct pool *p;
	struct pool_job jobs[16];
	atomic_int done = 0;

	ASSERT_OK(loop_new(&l));
	ASSERT_OK(pool_new(1, l, &p));
	for (int i = 0; i < 16; i++) {
		jobs[i] = (struct pool_job){ .loop_thread = pthread_self(), .input = i, .done = &done };
		pool_submit(p, job_work, job_done, &jobs[i]);
	}
	pool_free(p);
	ASSERT_EQ_INT(atomic_load(&done), 0); /* done runs on the loop, which did not run */
	loop_free(l);
	ASSERT_EQ_INT(atomic_load(&done), 16);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ_INT(jobs[i].output, 2 * i);
}

/* The threads of this process, from /proc/self/status; -1 when it cannot be read. */
static int thread_count(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Threads:", 8) == 0)
			n = atoi(line + 8);
	}
	if (f)
		fclose(f);
	return n;
}

/* Holds a worker until released. */
static void gate_work(void *arg)
{
	atomic_int *open = arg;

	while (!atomic_load(open))
		usleep(1000);
}

static void gate_done(void *arg)
{
	(void)arg;
}

/* Waits up to 5 s for the process to have n threads. */
static int wait_threads(int n)
{
	int64_t t0 = clock_ms();

	while (thread_count() != n && clock_ms() - t0 < 5000)
		usleep(1000);
	return thread_count();
}

/* An idle server keeps no pool threads: each starts when a job finds no idle worker, up to
 * the pool's size. */
static void pool_starts_workers_when_jobs_need_them(void)
{
	struct loop *l;
	struct pool *p;
	atomic_int open = 0;
	int base;

	ASSERT_OK(loop_new(&l));
	base = thread_count();
	ASSERT(base > 0);
	ASSERT_OK(pool_new(2, l, &p));
	ASSERT_EQ_INT(thread_count(), base);
	pool_submit(p, gate_work, gate_done, &open);
	ASSERT_EQ_INT(wait_threads(base + 1), base + 1);
	pool_submit(p, gate_work, gate_done, &open);
	ASSERT_EQ_INT(wait_threads(base + 2), base + 2);
	pool_submit(p, gate_work, gate_done, &open); /* waits: the pool is full */
	usleep(20000);
	ASSERT_EQ_INT(thread_count(), base + 2);
	atomic_store(&open, 1);
	pool_free(p);
	loop_free(l);
}

const struct t_case loop_tests[] = {
	T_CASE(timer_heap_orders_stops_and_rearms),
	T_CASE(timer_rearmed_in_callback_waits_for_next_run),
	T_CASE(loop_timers_fire_after_their_delay),
	T_CASE(loop_io_reports_ready_descriptors),
	T_CASE(loop_io_stopped_by_a_callback_gets_no_pending_event),
	T_CASE(loop_post_runs_on_the_loop_thread_in_order),
	T_CASE(loop_stop_from_another_thread_ends_loop_run),
	T_CASE(loop_free_runs_posts_not_yet_run),
	T_CASE(loop_child_watch_reports_the_exit_status),
	T_CASE(pool_runs_work_off_the_loop_and_reports_on_it),
	T_CASE(pool_free_finishes_every_submitted_job),
	T_CASE(pool_starts_workers_when_jobs_need_them),
	{ NULL, NULL },
};
