/* sandbox_sess.c - sessions as processes: starting one, the pool, finding one by key, the
 * LRU and idle ends, killing one and freeing it once the loop has reaped it.
 *
 * A session is in one of the manager's two lists while it lives: bound (to a key) or pool.
 * Killing it takes it out at once (its key is free for a new session) and sends SIGKILL to
 * bubblewrap; it is freed when the loop reports bubblewrap gone. What a session does with
 * calls is sandbox.c's. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/metrics.h"
#include "sandbox_int.h"

void sbx_job_free(struct sbx_job *j)
{
	if (!j)
		return;
	if (j->src_fd >= 0)
		close(j->src_fd);
	free(j->code);
	free(j->name);
	free(j);
}

/* --- lists ------------------------------------------------------------------------------ */

static void list_add(struct sbx_sess **head, struct sbx_sess *sess)
{
	sess->prev = NULL;
	sess->next = *head;
	if (*head)
		(*head)->prev = sess;
	*head = sess;
}

static void list_del(struct sbx_sess **head, struct sbx_sess *sess)
{
	if (sess->prev)
		sess->prev->next = sess->next;
	else if (*head == sess)
		*head = sess->next;
	if (sess->next)
		sess->next->prev = sess->prev;
	sess->prev = NULL;
	sess->next = NULL;
}

struct sbx_sess *sbx_sess_find(const struct sbx *s, const char *key)
{
	for (struct sbx_sess *x = s->bound; x; x = x->next) {
		if (strcmp(x->key, key) == 0)
			return x;
	}
	return NULL;
}

/* The least recently used session with nothing to do, or NULL. */
static struct sbx_sess *idlest(const struct sbx *s)
{
	struct sbx_sess *best = NULL;

	for (struct sbx_sess *x = s->bound; x; x = x->next) {
		if (x->state == SBX_READY && !x->head && (!best || x->last_used < best->last_used))
			best = x;
	}
	return best;
}

/* --- results ---------------------------------------------------------------------------- */

struct posted {
	sbx_done_fn *done;
	void *ctx;
	struct sbx_result *res;
};

static void run_posted(void *arg)
{
	struct posted *p = arg;

	p->done(p->ctx, p->res);
	free(p);
}

/* Answers a call that could not run, in a later iteration. */
void sbx_refuse(struct sbx *s, sbx_done_fn *done, void *ctx, int err, const char *why)
{
	struct posted *p = xcalloc(1, sizeof(*p));

	p->done = done;
	p->ctx = ctx;
	p->res = xcalloc(1, sizeof(*p->res));
	p->res->err = err;
	p->res->logs = xstrdup(why);
	p->res->logs_len = strlen(why);
	loop_post(s->l, run_posted, p);
}

void sbx_refuse_jobs(struct sbx *s, struct sbx_job *head, const char *why)
{
	while (head) {
		struct sbx_job *next = head->next;

		if (head->code)
			sbx_refuse(s, head->done, head->ctx, ERR_UNAVAILABLE, why);
		sbx_job_free(head);
		head = next;
	}
}

/* --- session life ----------------------------------------------------------------------- */

static void on_reaped(void *arg, int status)
{
	struct sbx_sess *sess = arg;

	sess->pid = 0;
	if (sess->state != SBX_DEAD) {
		log_debug("sandbox: session %s exited (status %d)",
			  sess->key ? sess->key : "(pool)", status);
		sbx_die(sess, SBX_LIMIT_NONE, SBX_ENDED);
		return;
	}
	sbx_sess_kill(sess);
}

void sbx_idle_start(struct sbx_sess *sess)
{
	loop_timer_start(sess->s->l, &sess->idle, (int64_t)sess->s->lim.idle_s * 1000);
}

static void on_idle(void *arg)
{
	struct sbx_sess *sess = arg;

	log_debug("sandbox: session %s idle for %d s: ending it", sess->key, sess->s->lim.idle_s);
	sbx_sess_kill(sess);
}

/* Undoes a start that failed before the loop watched the child. */
static void sess_abort(struct sbx_sess *sess)
{
	loop_io_stop(sess->s->l, &sess->chan_io);
	loop_io_stop(sess->s->l, &sess->out_io);
	kill(sess->pid, SIGKILL);
	waitpid(sess->pid, NULL, 0);
	close(sess->chan);
	close(sess->out);
	free(sess);
}

static void sess_link(struct sbx_sess *sess)
{
	struct sbx *s = sess->s;

	list_add(sess->key ? &s->bound : &s->pool, sess);
	if (sess->key)
		s->nbound++;
	else
		s->npool++;
	metrics_add(sess->key ? METRICS_SANDBOXES : METRICS_SANDBOXES_POOLED, 1);
	sess->listed = true;
}

static void sess_unlink(struct sbx_sess *sess)
{
	struct sbx *s = sess->s;

	if (!sess->listed)
		return;
	list_del(sess->key ? &s->bound : &s->pool, sess);
	if (sess->key)
		s->nbound--;
	else
		s->npool--;
	metrics_add(sess->key ? METRICS_SANDBOXES : METRICS_SANDBOXES_POOLED, -1);
	sess->listed = false;
}

/* Starts a session (bound to key, or pooled when key is NULL). NULL when it cannot. */
static struct sbx_sess *sess_start(struct sbx *s, const char *key)
{
	struct sbx_sess *sess = xcalloc(1, sizeof(*sess));

	sess->s = s;
	sess->data = -1;
	buf_init(&sess->frame, 0);
	buf_init(&sess->logs, s->lim.output);
	buf_init(&sess->notes, 4096);
	timer_init(&sess->idle, on_idle, sess);
	timer_init(&sess->watch, sbx_on_watch, sess);
	if (sbx_proc_spawn(&s->lim, sess)) {
		free(sess);
		return NULL;
	}
	loop_io_init(&sess->chan_io, sess->chan, sbx_on_chan, sess);
	loop_io_init(&sess->out_io, sess->out, sbx_on_out, sess);
	if (loop_io_set(s->l, &sess->chan_io, LOOP_READ) ||
	    loop_io_set(s->l, &sess->out_io, LOOP_READ) ||
	    loop_child_watch(s->l, sess->pid, on_reaped, sess)) {
		sess_abort(sess);
		return NULL;
	}
	sess->key = key ? xstrdup(key) : NULL;
	sess->last_used = clock_ms();
	sess_link(sess);
	return sess;
}

/* Keeps lim.pool sessions started ahead, unless sessions keep failing to start (the sandbox
 * broke after the server started): then no more are started until one works. */
void sbx_pool_fill(struct sbx *s)
{
	while (!s->why && !s->freeing && s->start_failures < SBX_START_FAILURES &&
	       s->npool < (size_t)s->lim.pool) {
		if (!sess_start(s, NULL))
			break;
	}
}

/* The session for key: its own, one from the pool, or a new one. NULL when the cap is
 * reached and every session is busy, or a session cannot start. */
struct sbx_sess *sbx_sess_get(struct sbx *s, const char *key)
{
	struct sbx_sess *sess = sbx_sess_find(s, key);

	if (sess)
		return sess;
	if (s->nbound >= (size_t)s->lim.max_sessions) {
		struct sbx_sess *old = idlest(s);

		if (!old)
			return NULL;
		log_debug("sandbox: %zu sessions: ending the least recently used (%s)", s->nbound,
			  old->key);
		sbx_sess_kill(old);
	}
	sess = s->pool;
	if (!sess)
		return sess_start(s, key);
	sess_unlink(sess);
	sess->key = xstrdup(key);
	sess_link(sess);
	sbx_pool_fill(s);
	return sess;
}

static void sess_free(struct sbx_sess *sess)
{
	buf_cleanup(&sess->frame);
	buf_cleanup(&sess->logs);
	buf_cleanup(&sess->notes);
	sbx_snapshot_cleanup(&sess->before);
	if (sess->cur)
		sess->cur->next = sess->head;
	sbx_refuse_jobs(sess->s, sess->cur ? sess->cur : sess->head,
			"the sandbox session was ended");
	free(sess->key);
	free(sess);
}

void sbx_sess_kill(struct sbx_sess *sess)
{
	struct sbx *s = sess->s;

	if (sess->state != SBX_DEAD) {
		sess_unlink(sess);
		sess->state = SBX_DEAD;
		loop_timer_stop(s->l, &sess->idle);
		loop_timer_stop(s->l, &sess->watch);
		loop_io_stop(s->l, &sess->chan_io);
		loop_io_stop(s->l, &sess->out_io);
		close(sess->chan);
		close(sess->out);
		if (sess->data >= 0)
			close(sess->data);
		sess->chan = sess->out = sess->data = -1;
		s->ndying++;
	}
	if (sess->pid > 0) {
		kill(sess->pid, SIGKILL);
		return;
	}
	s->ndying--;
	sess_free(sess);
}
