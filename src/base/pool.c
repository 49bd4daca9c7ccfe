/* pool.c - the worker pool of pool.h: a locked job queue and N threads taking from it.
 *
 * A worker takes the oldest job, runs work without any lock held, then posts done to the
 * loop. Stopping lets the workers empty the queue first, so a submitted job always gets
 * its done callback. Workers run at a lower CPU priority than the rest of the process:
 * on a machine short of CPU, the thread relaying tokens goes first. Workers start when work
 * comes: a job that finds no idle worker starts one, up to the pool's size, so an idle server
 * keeps no threads (stacks, malloc arenas) for a pool it has not used. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

#define POOL_NICE 10 /* added to a worker's nice value */

struct job {
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
	struct job *next;
};

struct pool {
	struct loop *l;      /* borrowed */
	int max;             /* threads at most */

	pthread_mutex_t mu;  /* guards the fields below */
	pthread_cond_t cv;   /* a job was queued, or quit was set */
	pthread_t *threads;  /* owned; max slots, nthreads of them started */
	int nthreads;
	int idle;            /* workers waiting in take() */
	int njobs;           /* jobs queued, not yet taken */
	struct job *jobs, **jobs_end;
	bool quit;
};

/* The next job, waiting for one; NULL once quitting with the queue empty. Owned. */
static struct job *take(struct pool *p)
{
	struct job *j;

	pthread_mutex_lock(&p->mu);
	p->idle++;
	while (!p->jobs && !p->quit)
		pthread_cond_wait(&p->cv, &p->mu);
	p->idle--;
	j = p->jobs;
	if (j) {
		p->njobs--;
		p->jobs = j->next;
		if (!p->jobs)
			p->jobs_end = &p->jobs;
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* Lowers the calling thread's priority: on Linux, the nice value is per thread, and
 * raising it needs no privilege. */
static void lower_priority(void)
{
	int now = getpriority(PRIO_PROCESS, (id_t)gettid());

	if (setpriority(PRIO_PROCESS, (id_t)gettid(), now + POOL_NICE) != 0)
		log_debug("pool: cannot lower a worker's priority: %s", strerror(errno));
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	lower_priority();
	for (j = take(p); j; j = take(p)) {
		j->work(j->arg);
		loop_post(p->l, j->done, j->arg);
		free(j);
	}
	return NULL;
}

int pool_new(int threads, struct loop *l, struct pool **out)
{
	struct pool *p = xcalloc(1, sizeof(*p));

	p->l = l;
	p->max = threads > 0 ? threads : POOL_DEFAULT_THREADS;
	p->jobs_end = &p->jobs;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threads = xcalloc((size_t)p->max, sizeof(*p->threads));
	*out = p;
	return 0;
}

/* Starts one more worker when a new job would otherwise wait for a busy one: every idle
 * worker is already promised to a queued job. Called with p->mu held. False when no worker
 * exists and none can be started. */
static bool grow(struct pool *p)
{
	if (p->idle > p->njobs || p->nthreads == p->max)
		return true;
	if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) == 0) {
		p->nthreads++;
		return true;
	}
	log_error("pool: cannot start worker thread %d", p->nthreads + 1);
	return p->nthreads > 0;
}

void pool_free(struct pool *p)
{
	int n;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	n = p->nthreads;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

void pool_submit(struct pool *p, void (*work)(void *arg), void (*done)(void *arg), void *arg)
{
	struct job *j = xmalloc(sizeof(*j));
	bool queued;

	j->work = work;
	j->done = done;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	queued = grow(p);
	if (queued) {
		*p->jobs_end = j;
		p->jobs_end = &j->next;
		p->njobs++;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (queued)
		return;
	/* No worker at all: the job runs here rather than never. */
	work(arg);
	loop_post(p->l, done, arg);
	free(j);
}
