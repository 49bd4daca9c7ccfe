/* loop.c - the event loop of loop.h, over epoll and an eventfd.
 *
 * An iteration: run due timers, wait in epoll_wait no longer than the next timer, dispatch
 * the ready descriptors, run due timers again. Posts from other threads sit in a locked
 * queue and write the eventfd, which is watched like any descriptor; its callback runs the
 * queue in order. A watcher stopped while events for it are still pending in the current
 * batch has them struck out, so a callback may stop (and free) any other watcher. Child
 * processes are pidfds watched the same way (or a 50 ms waitpid check without them). */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "log.h"

#define LOOP_BATCH 256         /* ready descriptors taken per epoll_wait */
#define LOOP_CHILD_CHECK_MS 50 /* waitpid checks without pidfds */

struct post {
	void (*fn)(void *arg);
	void *arg;
	struct post *next;
};

struct child {
	struct loop *l;
	pid_t pid;
	struct loop_io io;     /* the pidfd, when there is one (io.fd >= 0) */
	struct timer check;    /* the waitpid check, when there is not */
	void (*cb)(void *arg, int status);
	void *arg;
	struct child *prev, *next;
};

struct loop {
	int epfd;                     /* owned */
	struct loop_io wake;          /* owned eventfd that loop_post writes */
	struct timer_heap timers;
	struct epoll_event batch[LOOP_BATCH];
	int nbatch;                   /* events of the batch being dispatched */
	int ran;                      /* callbacks run in this iteration */
	struct child *children;       /* watched children, doubly linked */
	atomic_bool stop;

	pthread_mutex_t mu;           /* guards the post queue */
	struct post *posts, **posts_end;
};

static void on_wake(void *arg, int fd, int ready);

int loop_new(struct loop **out)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	int fd;

	*out = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	timer_heap_init(&l->timers);
	pthread_mutex_init(&l->mu, NULL);
	l->posts_end = &l->posts;
	atomic_init(&l->stop, false);
	loop_io_init(&l->wake, fd, on_wake, l);
	if (l->epfd < 0 || fd < 0 || loop_io_set(l, &l->wake, LOOP_READ)) {
		log_error("loop: cannot set up epoll: %s", strerror(errno));
		loop_free(l);
		return ERR_INTERNAL;
	}
	*out = l;
	return 0;
}

/* Takes the queued posts, in order (owned list). */
static struct post *take_posts(struct loop *l)
{
	struct post *list;

	pthread_mutex_lock(&l->mu);
	list = l->posts;
	l->posts = NULL;
	l->posts_end = &l->posts;
	pthread_mutex_unlock(&l->mu);
	return list;
}

static int run_posts(struct loop *l)
{
	struct post *p = take_posts(l);
	int n = 0;

	while (p) {
		struct post *next = p->next;

		p->fn(p->arg);
		free(p);
		p = next;
		n++;
	}
	return n;
}

static void child_free(struct child *c);

void loop_free(struct loop *l)
{
	if (!l)
		return;
	/* A post may post again (a completion handing on to the next step): run until quiet. */
	while (run_posts(l) > 0)
		;
	while (l->children)
		child_free(l->children);
	timer_heap_cleanup(&l->timers);
	if (l->wake.fd >= 0)
		close(l->wake.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* --- Posts --- */

static void on_wake(void *arg, int fd, int ready)
{
	struct loop *l = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("loop: eventfd read: %s", strerror(errno));
	l->ran += run_posts(l);
}

/* Makes the loop's epoll_wait return (or the next one not wait). */
static void wake(struct loop *l)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the loop wakes anyway. */
	if (write(l->wake.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("loop: eventfd write: %s", strerror(errno));
}

void loop_post(struct loop *l, void (*fn)(void *arg), void *arg)
{
	struct post *p = xmalloc(sizeof(*p));

	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&l->mu);
	*l->posts_end = p;
	l->posts_end = &p->next;
	pthread_mutex_unlock(&l->mu);
	wake(l);
}

void loop_stop(struct loop *l)
{
	atomic_store(&l->stop, true);
	wake(l);
}

/* --- Timers --- */

void loop_timer_start(struct loop *l, struct timer *t, int64_t delay_ms)
{
	timer_start(&l->timers, t, clock_ms() + (delay_ms > 0 ? delay_ms : 0));
}

void loop_timer_stop(struct loop *l, struct timer *t)
{
	timer_stop(&l->timers, t);
}

/* --- Descriptors --- */

void loop_io_init(struct loop_io *io, int fd, void (*fn)(void *arg, int fd, int ready),
		  void *arg)
{
	io->fd = fd;
	io->events = 0;
	io->fn = fn;
	io->arg = arg;
}

/* Strikes io out of the batch being dispatched. */
static void forget_pending(struct loop *l, const struct loop_io *io)
{
	for (int i = 0; i < l->nbatch; i++) {
		if (l->batch[i].data.ptr == io)
			l->batch[i].data.ptr = NULL;
	}
}

static int ctl(struct loop *l, struct loop_io *io, int op, int events)
{
	struct epoll_event ev = { .data.ptr = io };

	ev.events = (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
	if (epoll_ctl(l->epfd, op, io->fd, &ev) == 0)
		return 0;
	/* A closed descriptor leaves the set by itself, and its number may come back. */
	if (errno == EEXIST || errno == ENOENT) {
		op = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if (epoll_ctl(l->epfd, op, io->fd, &ev) == 0)
			return 0;
	}
	log_error("loop: epoll_ctl(%d): %s", io->fd, strerror(errno));
	return ERR_INTERNAL;
}

void loop_io_stop(struct loop *l, struct loop_io *io)
{
	if (io->events)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->events = 0;
	forget_pending(l, io);
}

int loop_io_set(struct loop *l, struct loop_io *io, int events)
{
	int err;

	events &= LOOP_READ | LOOP_WRITE;
	if (!events) {
		loop_io_stop(l, io);
		return 0;
	}
	if (events == io->events)
		return 0;
	err = ctl(l, io, io->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, events);
	if (err)
		loop_io_stop(l, io);
	else
		io->events = events;
	return err;
}

static int ready_of(uint32_t ev)
{
	return (ev & EPOLLIN ? LOOP_READ : 0) | (ev & EPOLLOUT ? LOOP_WRITE : 0) |
	       (ev & (EPOLLERR | EPOLLHUP) ? LOOP_ERROR : 0);
}

static void dispatch(struct loop *l)
{
	for (int i = 0; i < l->nbatch; i++) {
		struct loop_io *io = l->batch[i].data.ptr;

		if (!io)
			continue;
		io->fn(io->arg, io->fd, ready_of(l->batch[i].events));
		l->ran++;
	}
	l->nbatch = 0;
}

/* --- Running --- */

int loop_run_once(struct loop *l, int timeout_ms)
{
	int wait;
	int n;

	l->ran = timer_heap_run(&l->timers, clock_ms());
	wait = timer_heap_wait_ms(&l->timers, clock_ms(), timeout_ms);
	if (l->ran > 0 || atomic_load(&l->stop))
		wait = 0;
	n = epoll_wait(l->epfd, l->batch, LOOP_BATCH, wait);
	if (n < 0 && errno != EINTR)
		log_warn("loop: epoll_wait: %s", strerror(errno));
	l->nbatch = n > 0 ? n : 0;
	dispatch(l);
	l->ran += timer_heap_run(&l->timers, clock_ms());
	return l->ran;
}

void loop_run(struct loop *l)
{
	while (!atomic_load(&l->stop))
		loop_run_once(l, -1);
	atomic_store(&l->stop, false);
}

/* --- Child processes --- */

static void child_free(struct child *c)
{
	struct loop *l = c->l;

	if (c->io.fd >= 0) {
		loop_io_stop(l, &c->io);
		close(c->io.fd);
	}
	loop_timer_stop(l, &c->check);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* Reaps the child if it has exited: runs its callback and frees the watch. */
static void child_check(struct child *c)
{
	int status = 0;
	pid_t got = waitpid(c->pid, &status, WNOHANG);

	if (got == 0) {
		if (c->io.fd < 0)
			loop_timer_start(c->l, &c->check, LOOP_CHILD_CHECK_MS);
		return;
	}
	if (got < 0)
		log_warn("loop: waitpid(%d): %s", (int)c->pid, strerror(errno));
	c->cb(c->arg, got < 0 ? -1 : status);
	child_free(c);
}

static void on_pidfd(void *arg, int fd, int ready)
{
	child_check(arg);
}

static void on_check(void *arg)
{
	child_check(arg);
}

int loop_child_watch(struct loop *l, pid_t pid, void (*cb)(void *arg, int status), void *arg)
{
	struct child *c = xcalloc(1, sizeof(*c));

	c->l = l;
	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	timer_init(&c->check, on_check, c);
	loop_io_init(&c->io, pidfd_open(pid, 0), on_pidfd, c);
	if (c->io.fd < 0 && errno != ENOSYS) {
		log_error("loop: pidfd_open(%d): %s", (int)pid, strerror(errno));
		free(c);
		return ERR_INTERNAL;
	}
	c->next = l->children;
	if (l->children)
		l->children->prev = c;
	l->children = c;
	if (c->io.fd < 0)
		loop_timer_start(l, &c->check, 0);
	else if (loop_io_set(l, &c->io, LOOP_READ)) {
		child_free(c);
		return ERR_INTERNAL;
	}
	return 0;
}
