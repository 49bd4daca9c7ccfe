/* engine.c - the engine thread: its event loop, command queue, run expiry, watchers, start
 * and stop.
 *
 * The engine thread runs an event loop (base/loop.h) and nothing else: the provider's
 * sockets and timers, each waiting run's expiry timer, the commands API threads queue
 * (posted to the loop) and the prompts the worker pool has built all arrive there. API
 * threads talk to the engine only through the queue below (and events channels). Cancel,
 * tool outputs and stopping the runs of a deleted thread or assistant are answered
 * synchronously: the caller waits on a condition variable for the engine thread, which
 * answers within one loop iteration. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/metrics.h"
#include "../store/obj.h"
#include "../tools/sandbox.h"
#include "events.h"
#include "evlog.h"

#define ENGINE_STOP_WAIT_MS 2000 /* engine_stop: how long cancelled model calls may take */

enum cmd_type { CMD_START, CMD_CANCEL, CMD_OUTPUTS, CMD_STOP_RUNS };

struct cmd {
	enum cmd_type type;
	char *project;
	char *thread_id;
	char *run_id;
	jv *run;            /* CMD_START: the run just stored, owned */
	bool step_content;  /* CMD_START: events show file_search result contents */
	char *key;          /* CMD_START: the hash of the API key that created the run, or NULL */
	const jv *outputs;  /* CMD_OUTPUTS, borrowed from the waiting caller */
	struct events *ch;  /* CMD_START: a reference the command owns */
	enum store_kind deleted_kind; /* CMD_STOP_RUNS: STORE_THREAD or STORE_ASSISTANT, */
	char *deleted_id;             /* and the id of the object deleted */
	bool sync;          /* the caller waits for done */
	bool done;
	pthread_cond_t cond;
	int err;
	char *run_json;     /* answer: owned, handed to the caller */
	char *why;
	char *owner;        /* ERR_LEASE: the node driving the run (owned), or NULL */
	const char *param;
	struct events *out_ch;
	struct cmd *next;
};

struct watch {
	char *run_id;
	struct events_waker w;
	bool fired;
	struct watch *next;
};

/* --- the queue --- */

static void on_commands(void *arg);

static void push(struct engine *e, struct cmd *c)
{
	pthread_mutex_lock(&e->lock);
	c->next = NULL;
	if (e->cmds_tail)
		e->cmds_tail->next = c;
	else
		e->cmds = c;
	e->cmds_tail = c;
	pthread_mutex_unlock(&e->lock);
	loop_post(e->loop, on_commands, e);
}

static struct cmd *take_all(struct engine *e)
{
	struct cmd *list;

	pthread_mutex_lock(&e->lock);
	list = e->cmds;
	e->cmds = e->cmds_tail = NULL;
	pthread_mutex_unlock(&e->lock);
	return list;
}

static void cmd_free(struct cmd *c)
{
	free(c->project);
	free(c->thread_id);
	free(c->run_id);
	free(c->deleted_id);
	free(c->key);
	free(c->owner);
	jv_free(c->run);
	events_unref(c->ch);
	free(c);
}

/* Hands the answer to the waiting caller, who frees the command; or frees it. */
static void answer(struct engine *e, struct cmd *c)
{
	if (!c->sync) {
		cmd_free(c);
		return;
	}
	pthread_mutex_lock(&e->lock);
	c->done = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&e->lock);
}

static bool draining(struct engine *e)
{
	bool d;

	pthread_mutex_lock(&e->lock);
	d = e->draining;
	pthread_mutex_unlock(&e->lock);
	return d;
}

/* --- execs --- */

struct exec *engine_find(struct engine *e, const char *run_id)
{
	for (struct exec *x = e->execs; x; x = x->next) {
		if (strcmp(jv_get_str(x->run, "id"), run_id) == 0)
			return x;
	}
	return NULL;
}

void engine_drop(struct engine *e, struct exec *x)
{
	struct exec **p = &e->execs;

	while (*p && *p != x)
		p = &(*p)->next;
	if (*p)
		*p = x->next;
	loop_timer_stop(e->loop, &x->expiry);
	lease_mark(x, false);
	exec_free(x);
}

void engine_settle(struct engine *e, struct exec *x)
{
	if (!x->finished)
		return;
	if (x->call)
		prov_cancel(x->call);
	else if (!x->building)
		engine_drop(e, x); /* else the prompt's arrival drops it */
}

/* --- run expiry --- */

void engine_expire_at(struct exec *x, int64_t when_ms)
{
	x->expire_ms = when_ms;
	if (when_ms)
		loop_timer_start(x->e->loop, &x->expiry, when_ms - clock_ms());
	else
		loop_timer_stop(x->e->loop, &x->expiry);
}

void engine_expiry_due(void *arg)
{
	struct exec *x = arg;

	x->expire_ms = 0;
	if (x->cancelling)
		return; /* its turn is stopping already; the run ends when it has */
	run_expire(x);
	engine_settle(x->e, x);
}

/* --- commands --- */

/* Starts a run just stored (version 1). Its thread may be gone already: the run then ends
 * cancelled, unsaved, at once. */
static void do_start(struct engine *e, struct cmd *c)
{
	struct exec *x = NULL;
	int err = exec_new(e, c->project, c->run, 1, &x);

	c->run = NULL;
	if (err) {
		events_close(c->ch);
		return;
	}
	x->ch = c->ch;
	c->ch = NULL;
	x->step_content = c->step_content;
	x->key = c->key;
	c->key = NULL;
	lease_mark(x, true); /* born leased to this node (engine_lease) */
	if (draining(e)) {
		/* Shutting down: the run stays queued in the store for the next start. */
		events_close(x->ch);
		engine_drop(e, x);
		return;
	}
	run_start(x);
	engine_settle(e, x);
}

static void do_cancel(struct engine *e, struct cmd *c)
{
	struct exec *x = NULL;

	c->err = lease_lookup(e, c->project, c->thread_id, c->run_id, &x, &c->owner);
	if (!c->err)
		c->err = run_cancel(x, &c->why);
	if (!c->err)
		c->run_json = jv_dump(x->run);
	lease_after(e, x);
}

/* The run is moving on another node, so it takes no outputs: the answer one node gives. */
static void refuse_outputs(struct engine *e, struct cmd *c)
{
	struct exec *x = NULL;
	int64_t version = 0;
	jv *run = NULL;

	c->err = obj_get(e->st, c->project, STORE_RUN, c->run_id, c->thread_id, &run, &version);
	if (!c->err)
		c->err = exec_new(e, c->project, run, version, &x);
	if (!c->err)
		c->err = run_take_tool_outputs(x, c->outputs, &c->why, &c->param);
	if (x)
		engine_drop(e, x);
}

static void do_outputs(struct engine *e, struct cmd *c)
{
	struct exec *x = NULL;

	c->err = lease_lookup(e, c->project, c->thread_id, c->run_id, &x, &c->owner);
	if (c->err == ERR_LEASE) {
		refuse_outputs(e, c);
		return;
	}
	if (!c->err)
		c->err = run_take_tool_outputs(x, c->outputs, &c->why, &c->param);
	if (!c->err) {
		c->run_json = jv_dump(x->run);
		c->out_ch = events_ref(x->ch);
		if (!draining(e))
			run_start(x); /* else it stays queued for the next start */
	}
	lease_after(e, x);
}

/* True when x is a run of the thread or assistant c names. */
static bool deleted_with(const struct exec *x, const struct cmd *c)
{
	const char *member = c->deleted_kind == STORE_THREAD ? "thread_id" : "assistant_id";
	const char *id = jv_get_str(x->run, member);

	return strcmp(x->project, c->project) == 0 && id && strcmp(id, c->deleted_id) == 0;
}

static void do_stop_runs(struct engine *e, struct cmd *c)
{
	struct exec *x = e->execs;

	while (x) {
		struct exec *next = x->next;

		if (!x->finished && deleted_with(x, c)) {
			run_stop_deleted(x, c->deleted_kind);
			engine_settle(e, x);
		}
		x = next;
	}
	if (c->deleted_kind == STORE_THREAD)
		session_end_deleted(e, c->deleted_id); /* its code_interpreter session goes too */
}

static void (*const handlers[])(struct engine *e, struct cmd *c) = {
	[CMD_START] = do_start,
	[CMD_CANCEL] = do_cancel,
	[CMD_OUTPUTS] = do_outputs,
	[CMD_STOP_RUNS] = do_stop_runs,
};

static void refuse_queued(struct engine *e);

/* Posted by push: carries out every queued command. */
static void on_commands(void *arg)
{
	struct engine *e = arg;
	struct cmd *c;

	if (engine_stopping(e)) {
		refuse_queued(e);
		return;
	}
	c = take_all(e);
	while (c) {
		struct cmd *next = c->next;

		handlers[c->type](e, c);
		answer(e, c);
		c = next;
	}
}

bool engine_stopping(struct engine *e)
{
	bool s;

	pthread_mutex_lock(&e->lock);
	s = e->stopping;
	pthread_mutex_unlock(&e->lock);
	return s;
}

/* Posted by engine_drain: publishes how many model turns are in flight (prompts being
 * built and server tool jobs out count: their turns start even while draining). */
static void count_calls(void *arg)
{
	struct engine *e = arg;
	int n;

	if (!e->prov)
		return; /* run by loop_free, after engine_stop freed the provider */
	n = prov_calls(e->prov) + e->building + e->tool_jobs;
	pthread_mutex_lock(&e->lock);
	e->calls = n;
	pthread_mutex_unlock(&e->lock);
}

static void *engine_main(void *arg)
{
	struct engine *e = arg;

	loop_run(e->loop);
	return NULL;
}

void engine_drain(struct engine *e, int grace_ms)
{
	int64_t deadline = clock_ms() + grace_ms;
	int calls;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->draining = true;
	e->calls = 1; /* until the engine thread has counted */
	pthread_mutex_unlock(&e->lock);
	do {
		loop_post(e->loop, count_calls, e);
		usleep(10000);
		pthread_mutex_lock(&e->lock);
		calls = e->calls;
		pthread_mutex_unlock(&e->lock);
	} while (calls > 0 && clock_ms() < deadline);
	if (calls > 0)
		log_warn("engine: %d model turn(s) still running after %d ms; those runs will "
			 "fail at the next start", calls, grace_ms);
}

/* --- watchers --- */

/* Wakes the watchers of run_id. The wakes run outside the lock (a waker takes locks of its
 * own); engine_unwatch waits until none is running. */
void engine_fire_watches(struct engine *e, const char *run_id)
{
	struct events_waker *wake = NULL;
	size_t n = 0;

	pthread_mutex_lock(&e->lock);
	for (struct watch *w = e->watches; w; w = w->next) {
		if (!w->fired && (!run_id || strcmp(w->run_id, run_id) == 0)) {
			w->fired = true;
			wake = xrealloc(wake, (n + 1) * sizeof(*wake));
			wake[n++] = w->w;
		}
	}
	if (n)
		e->watch_waking++;
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++)
		wake[i].wake(wake[i].ctx);
	free(wake);
	if (!n)
		return;
	pthread_mutex_lock(&e->lock);
	if (--e->watch_waking == 0)
		pthread_cond_broadcast(&e->watch_idle);
	pthread_mutex_unlock(&e->lock);
}

void *engine_watch(struct engine *e, const char *run_id, const struct events_waker *w)
{
	struct watch *wt = xcalloc(1, sizeof(*wt));

	wt->run_id = xstrdup(run_id);
	wt->w = *w;
	pthread_mutex_lock(&e->lock);
	wt->next = e->watches;
	e->watches = wt;
	pthread_mutex_unlock(&e->lock);
	return wt;
}

void engine_unwatch(struct engine *e, void *registration)
{
	struct watch **p = &e->watches;
	struct watch *wt = registration;

	pthread_mutex_lock(&e->lock);
	while (*p && *p != wt)
		p = &(*p)->next;
	if (*p)
		*p = wt->next;
	while (e->watch_waking)
		pthread_cond_wait(&e->watch_idle, &e->lock);
	pthread_mutex_unlock(&e->lock);
	free(wt->run_id);
	free(wt);
}

/* The store's topics, from every node: a run's status moved (held polls), or its log grew
 * (followers), a command was posted or answered; STORE_TOPIC_ALL wakes them all. Runs on the thread that delivers them; see
 * store_watch. */
static void on_topic(void *ctx, const char *topic)
{
	static const struct {
		const char *prefix;
		void (*fn)(struct engine *e, const char *run_id);
	} routes[] = {
		{ EVLOG_TOPIC_RUN, engine_fire_watches },
		{ EVLOG_TOPIC_EVENTS, follow_kick },
		{ STORE_TOPIC_CMD, lease_topic_cmd },
		{ STORE_TOPIC_ANSWER, lease_topic_answer },
	};
	struct engine *e = ctx;
	bool all = strcmp(topic, STORE_TOPIC_ALL) == 0;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t len = strlen(routes[i].prefix);

		if (all)
			routes[i].fn(e, NULL);
		else if (strncmp(topic, routes[i].prefix, len) == 0)
			routes[i].fn(e, topic + len);
	}
}

/* --- the public calls --- */

static struct cmd *cmd_new(enum cmd_type type, const char *project, const char *thread_id,
			   const char *run_id)
{
	struct cmd *c = xcalloc(1, sizeof(*c));

	c->type = type;
	c->project = xstrdup(project);
	c->thread_id = thread_id ? xstrdup(thread_id) : NULL;
	c->run_id = xstrdup(run_id);
	return c;
}

/* Queues c and waits for the engine's answer. Errors: ERR_UNAVAILABLE when stopping. */
static int call_sync(struct engine *e, struct cmd *c)
{
	c->sync = true;
	pthread_cond_init(&c->cond, NULL);
	pthread_mutex_lock(&e->lock);
	if (e->stopping) {
		pthread_mutex_unlock(&e->lock);
		c->err = ERR_UNAVAILABLE;
		return c->err;
	}
	pthread_mutex_unlock(&e->lock);
	push(e, c);
	pthread_mutex_lock(&e->lock);
	while (!c->done)
		pthread_cond_wait(&c->cond, &e->lock);
	pthread_mutex_unlock(&e->lock);
	pthread_cond_destroy(&c->cond);
	return c->err;
}

/* Sends one of a new run's first events to its channel and its log. */
static void announce(struct engine *e, struct events *ch, const char *project, const jv *run,
		     const char *name, const char *data)
{
	const char *id = jv_get_str(run, "id");

	if (id)
		evlog_add(e->log, project, id, name, data);
	events_append(ch, name, data);
}

struct events *engine_start_run(struct engine *e, const char *project, const char *run_json,
				const char *thread_json, bool step_content, const char *key_hash)
{
	struct events *ch = events_new();
	char why[128];
	jv *run = jv_parse(run_json, strlen(run_json), why, sizeof(why));
	struct cmd *c;

	metrics_run_entered(RUN_QUEUED); /* the API stored it queued */
	if (thread_json)
		announce(e, ch, project, run, "thread.created", thread_json);
	announce(e, ch, project, run, "thread.run.created", run_json);
	announce(e, ch, project, run, "thread.run.queued", run_json);
	if (!run || engine_stopping(e)) {
		events_close(ch); /* the stored run starts at the next start-up */
		jv_free(run);
		return ch;
	}
	c = cmd_new(CMD_START, project, NULL, jv_get_str(run, "id"));
	c->ch = events_ref(ch);
	c->run = run;
	c->step_content = step_content;
	c->key = key_hash ? xstrdup(key_hash) : NULL;
	push(e, c);
	return ch;
}

#define CANCEL_TRIES 3 /* a node that stops answering is waited for a lease time each */

int engine_cancel(struct engine *e, const char *project, const char *thread_id,
		  const char *run_id, char **run_json, char **why)
{
	int err = ERR_LEASE;

	*run_json = *why = NULL;
	for (int i = 0; i < CANCEL_TRIES && err == ERR_LEASE; i++) {
		struct cmd *c = cmd_new(CMD_CANCEL, project, thread_id, run_id);

		err = call_sync(e, c);
		*run_json = c->run_json;
		*why = c->why;
		c->run_json = c->why = NULL;
		if (err == ERR_LEASE && c->owner) /* another node drives it: ask that node */
			err = lease_cancel_remote(e, project, run_id, c->owner, run_json, why);
		cmd_free(c);
	}
	if (err == ERR_LEASE) {
		*why = xstrdup("The node running this run did not answer; try again.");
		err = ERR_UNAVAILABLE;
	}
	return err;
}

int engine_take_tool_outputs(struct engine *e, const char *project, const char *thread_id,
			     const char *run_id, const jv *outputs, char **run_json,
			     struct events **ch, char **why, const char **param)
{
	struct cmd *c = cmd_new(CMD_OUTPUTS, project, thread_id, run_id);
	int err;

	c->outputs = outputs;
	err = call_sync(e, c);
	*run_json = c->run_json;
	*why = c->why;
	*param = c->param;
	if (ch) {
		*ch = c->out_ch;
	} else if (c->out_ch) {
		events_decline(c->out_ch);
		events_unref(c->out_ch);
	}
	c->run_json = c->why = NULL;
	cmd_free(c);
	return err;
}

void engine_stop_runs(struct engine *e, const char *project, enum store_kind kind,
		      const char *id)
{
	struct cmd *c = cmd_new(CMD_STOP_RUNS, project, NULL, "");

	c->deleted_kind = kind;
	c->deleted_id = xstrdup(id);
	(void)call_sync(e, c); /* a stopping engine leaves the runs to the next start */
	cmd_free(c);
	if (kind == STORE_ASSISTANT)
		lease_stop_assistant(e, project, id); /* its runs other nodes drive */
	else if (store_notify(e->st, STORE_TOPIC_CMD_ALL)) /* nodes count their leases now */
		log_warn("engine: the deletion of thread %s could not be announced", id);
}

int engine_start(const struct engine_config *cfg, struct engine **out)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	int err;

	e->st = cfg->st;
	e->tools.st = cfg->st;
	e->tools.vs_day_s = cfg->vs_day_s > 0 ? cfg->vs_day_s : 86400;
	e->tools.bs = cfg->bs;
	e->tools.emb = cfg->emb;
	e->run_expiry_s = cfg->run_expiry_s > 0 ? cfg->run_expiry_s : 600;
	e->lim = cfg->lim;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->watch_idle, NULL);
	pthread_mutex_init(&e->follow_mu, NULL);
	model_cache_init(&e->models);
	pthread_cond_init(&e->answered, NULL);
	err = evlog_new(cfg->st, &e->log);
	if (!err)
		err = loop_new(&e->loop);
	if (!err)
		err = pool_new(cfg->pool_threads, e->loop, &e->pool);
	if (!err)
		err = prov_new(&cfg->prov, e->loop, &e->prov);
	if (!err && cfg->sandbox)
		err = sbx_new(cfg->sandbox, e->loop, &e->tools.sbx);
	if (!err) {
		lease_init(e, cfg->node ? cfg->node : "node", cfg->lease_ms);
		e->tools.node = e->owner;
		e->tools.hold_ms = e->lease_ms;
		e->store_reg = store_watch(cfg->st, on_topic, e); /* once the loop and owner are */
		err = lease_take_lapsed(e);
	}
	if (!err && pthread_create(&e->thread, NULL, engine_main, e) != 0)
		err = ERR_INTERNAL;
	if (err) {
		engine_stop(e);
		return err;
	}
	e->started = true;
	*out = e;
	return 0;
}

/* Answers every queued command with ERR_UNAVAILABLE. */
static void refuse_queued(struct engine *e)
{
	struct cmd *c = take_all(e);

	while (c) {
		struct cmd *next = c->next;

		c->err = ERR_UNAVAILABLE;
		if (c->ch)
			events_close(c->ch);
		answer(e, c);
		c = next;
	}
}

/* Stops every model call and waits (briefly) for their callbacks, and for the prompts
 * the pool has built (the pool is gone, so their arrival is posted already). This thread
 * runs the loop now: the engine thread has ended. */
static void drain_calls(struct engine *e)
{
	int64_t deadline = clock_ms() + ENGINE_STOP_WAIT_MS;
	bool busy = true;

	for (struct exec *x = e->execs; x; x = x->next) {
		if (x->call)
			prov_cancel(x->call);
	}
	while (busy && clock_ms() < deadline) {
		busy = false;
		for (struct exec *x = e->execs; x; x = x->next)
			busy = busy || x->call || x->building;
		if (busy)
			loop_run_once(e->loop, 50);
	}
}

void engine_stop(struct engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_mutex_unlock(&e->lock);
	if (e->started) {
		loop_stop(e->loop);
		pthread_join(e->thread, NULL);
	}
	if (e->lease_ms) {
		loop_timer_stop(e->loop, &e->lease_tick);
		loop_timer_stop(e->loop, &e->scan_tick);
		loop_timer_stop(e->loop, &e->cmd_tick);
	}
	pool_free(e->pool);
	tools_stop(e);
	refuse_queued(e);
	if (e->prov)
		drain_calls(e);
	if (e->lease_ms)
		lease_stop(e);
	while (e->execs)
		engine_drop(e, e->execs);
	if (e->store_reg)
		store_unwatch(e->st, e->store_reg);
	follow_stop_all(e);
	while (e->watches)
		engine_unwatch(e, e->watches);
	prov_free(e->prov);
	e->prov = NULL;
	sbx_free(e->tools.sbx); /* its pending calls come back in loop_free, then dropped */
	loop_free(e->loop); /* runs what is still posted: queued commands are refused */
	evlog_free(e->log); /* writes the events of the runs that just ended */
	pthread_mutex_destroy(&e->follow_mu);
	model_cache_cleanup(&e->models);
	pthread_cond_destroy(&e->watch_idle);
	pthread_cond_destroy(&e->answered);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
