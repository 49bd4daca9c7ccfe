/* lease.c - run leases and commands between nodes: how several assistd processes on one store
 * share the runs, and how a run outlives the node that drove it.
 *
 * Each process is a node with an owner id, "<node>#<boot>" (the node's name, kept across
 * restarts, and a random word of this process). A run is born leased to the node that
 * created it; the engine renews all its leases in one statement every lease_ms / 3 and
 * releases each in the write that ends the run. Every write the engine makes for a run
 * carries the lease (STORE_EXPECT_LEASE, objects.c), so a node that lost a run cannot write
 * over the node that took it.
 *
 * Taking over: every LEASE_SCAN_MS a node claims the active runs whose lease lapsed (their
 * node died or hung) and those its own former process held (the node restarted: its name says
 * that process is gone), and carries each on (exec_continue): a turn cut off mid-way is run
 * again from the last completed step.
 *
 * Commands: a client's cancel or tool outputs may reach any node. A run waiting for tool
 * outputs holds no model call, so the node that receives them claims the run (from a live
 * owner too) and drives it on itself. A cancel of a run another node is driving becomes a
 * command row for that node, announced in the same transaction (STORE_TOPIC_CMD and the
 * owner): the topic makes the node read its rows at once, cancel and answer; the answer's
 * topic wakes the receiving node, which gives it to its client. A read every LEASE_CMD_MS,
 * and a poster's every LEASE_WAIT_MS, are only the safety net for a topic missed. The same
 * read counts the node's leases in the store: fewer than it holds means a run was deleted
 * with its thread (on another node: announced as STORE_TOPIC_CMD_ALL) or taken over, and the
 * affected runs are found and stopped.
 *
 * A command nobody will read stays behind: a "start" or "end" posted to a node that died
 * before reading it (its successor has another owner id), a cancel whose poster died before
 * removing the answer. Every node removes the commands older than any poster waits
 * (lease_ms + 1 s) by a margin, LEASE_CMD_KEEP_S, when it starts and then every
 * LEASE_PRUNE_MS; a live node reads its commands within LEASE_CMD_MS, so only stale ones
 * are that old. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../base/metrics.h"

#define LEASE_DEFAULT_MS 10000
#define LEASE_CMD_MS 1000    /* how often a node reads its commands unwoken (missed topics) */
#define LEASE_SCAN_MS 250    /* how often a node looks for runs whose lease lapsed */
#define LEASE_SCAN_MAX 100   /* lapsed runs taken over per look */
#define LEASE_WAIT_MS 250    /* how often a poster reads its command's answer unwoken */
#define LEASE_CMD_KEEP_S 60  /* how long a command outlives its poster's wait */
#define LEASE_PRUNE_MS 60000 /* how often stale commands are removed */

static void on_lease_tick(void *arg);
static void on_scan_tick(void *arg);
static void on_cmd_tick(void *arg);

void lease_init(struct engine *e, const char *node, int lease_ms)
{
	char boot[9] = { 0 };

	if (id_random(boot, 8))
		snprintf(boot, sizeof(boot), "%08x", (unsigned)getpid());
	snprintf(e->former, sizeof(e->former), "%s#", node);
	snprintf(e->owner, sizeof(e->owner), "%s%s", e->former, boot);
	store_cmd_topic(e->cmd_topic, e->owner);
	e->lease_ms = lease_ms > 0 ? lease_ms : LEASE_DEFAULT_MS;
	timer_init(&e->lease_tick, on_lease_tick, e);
	timer_init(&e->scan_tick, on_scan_tick, e);
	timer_init(&e->cmd_tick, on_cmd_tick, e);
	loop_timer_start(e->loop, &e->lease_tick, e->lease_ms / 3);
	loop_timer_start(e->loop, &e->scan_tick, LEASE_SCAN_MS);
	loop_timer_start(e->loop, &e->cmd_tick, LEASE_CMD_MS);
	log_info("engine: node %s, leases of %d ms", e->owner, e->lease_ms);
}

int64_t lease_until(const struct engine *e)
{
	return clock_unix_ms() + e->lease_ms;
}

void engine_lease(const struct engine *e, const char **owner, int64_t *until)
{
	*owner = e->owner;
	*until = lease_until(e);
}

void lease_mark(struct exec *x, bool held)
{
	if (x->leased == held)
		return;
	x->leased = held;
	x->e->leased += held ? 1 : -1;
	metrics_add(METRICS_LEASES, held ? 1 : -1);
}

static struct store_claim claim_now(const struct engine *e, bool parked)
{
	struct store_claim c = { .owner = e->owner, .former = e->former,
				 .now = clock_unix_ms(), .until = lease_until(e),
				 .parked = parked };

	return c;
}

/* Gives x's lease back (it was only loaded to answer a command, or ended elsewhere). */
static void release(struct exec *x)
{
	struct store_op ops[2] = {
		{ .type = STORE_EXPECT_LEASE, .obj = { .kind = STORE_RUN,
						       .id = jv_get_str(x->run, "id") },
		  .lease = x->e->owner },
		{ .type = STORE_SET_LEASE, .obj = { .kind = STORE_RUN,
						    .id = jv_get_str(x->run, "id") } },
	};

	if (x->leased && store_write(x->e->st, x->project, ops, 2) == ERR_DB)
		log_warn("run %s: its lease could not be released; it lapses",
			 jv_get_str(x->run, "id"));
	lease_mark(x, false);
}

/* --- taking over --- */

static void take_one(struct engine *e, const char *project, const char *run_id)
{
	struct store_claim c = claim_now(e, false);
	struct exec *x = NULL;
	bool got = false;

	if (engine_find(e, run_id) || store_lease_claim(e->st, project, run_id, &c, &got) ||
	    !got)
		return;
	if (exec_load(e, project, NULL, run_id, true, &x))
		return;
	log_info("run %s taken over (%s)", run_id, status_run_name(x->status));
	exec_continue(x);
	engine_settle(e, x);
}

int lease_take_lapsed(struct engine *e)
{
	struct store_claim c = claim_now(e, false);
	struct store_list l = { 0 };
	char **projects = NULL;
	int err = store_lease_lapsed(e->st, &c, LEASE_SCAN_MAX, &l, &projects);

	for (size_t i = 0; !err && i < l.n; i++)
		take_one(e, projects[i], l.items[i].id);
	store_projects_free(projects, err ? 0 : l.n);
	store_list_cleanup(&l);
	return err;
}

static void on_lease_tick(void *arg)
{
	struct engine *e = arg;
	int64_t held = 0;

	if (store_lease_renew(e->st, e->owner, lease_until(e), &held))
		log_warn("engine: the run leases could not be renewed");
	loop_timer_start(e->loop, &e->lease_tick, e->lease_ms / 3);
}

/* Often, so that a dead node's run moves within LEASE_SCAN_MS of its lease lapsing. */
static void on_scan_tick(void *arg)
{
	struct engine *e = arg;

	if (lease_take_lapsed(e))
		log_warn("engine: lapsed runs could not be read");
	loop_timer_start(e->loop, &e->scan_tick, LEASE_SCAN_MS);
}

/* --- runs this node holds that went away --- */

/* Some leases of this node are gone from the store: finds the runs and stops them. A
 * deleted run (its thread went) ends as engine_stop_runs would end it, and its thread's
 * session here too; a run another node took over is let go (that node writes it now;
 * run_lose hands its stream to the log). */
static void check_held(struct engine *e)
{
	struct exec *x = e->execs;

	while (x) {
		struct exec *next = x->next;
		char *owner = NULL;
		int err = 0;

		bool live = x->leased && !x->finished && !x->gone;

		if (live)
			err = store_lease_owner(e->st, x->project, jv_get_str(x->run, "id"), &owner);
		if (live && err == ERR_NOT_FOUND) {
			session_end_deleted(e, jv_get_str(x->run, "thread_id"));
			run_stop_deleted(x, STORE_THREAD);
			engine_settle(e, x);
		} else if (live && !err && strcmp(owner ? owner : "", e->owner)) {
			run_lose(x);
			engine_settle(e, x);
		}
		free(owner);
		x = next;
	}
}

/* --- commands --- */

/* The commands nobody waits an answer for: each removes its row itself. */
static const struct {
	const char *kind;
	void (*fn)(struct engine *e, const struct store_cmd *cmd);
} unanswered[] = {
	{ LEASE_CMD_START, session_start_handed },
	{ LEASE_CMD_END, session_end_handed },
};

/* Carries out a command another node posted, and answers it. */
static void do_remote(struct engine *e, const struct store_cmd *cmd)
{
	struct exec *x = engine_find(e, cmd->run_id);
	char *why = NULL;
	char *json = NULL;
	int err = ERR_LEASE;

	for (size_t i = 0; i < sizeof(unanswered) / sizeof(unanswered[0]); i++) {
		if (strcmp(cmd->kind, unanswered[i].kind) == 0) {
			unanswered[i].fn(e, cmd);
			return;
		}
	}
	if (x && x->leased && !x->lost && strcmp(x->project, cmd->project) == 0 &&
	    strcmp(cmd->kind, LEASE_CMD_CANCEL) == 0)
		err = run_cancel(x, &why);
	if (!err)
		json = jv_dump(x->run);
	if (store_cmd_answer(e->st, cmd->id, err, err ? why : json))
		log_warn("engine: command %s could not be answered", cmd->id);
	if (x)
		engine_settle(e, x);
	free(why);
	free(json);
}

/* Carries out the commands posted to this node; counts its leases. */
static void read_cmds(struct engine *e)
{
	struct store_cmd *cmds = NULL;
	size_t n = 0;
	int64_t held = 0;

	if (!store_cmd_take(e->st, e->owner, &cmds, &n, &held)) {
		for (size_t i = 0; i < n; i++)
			do_remote(e, &cmds[i]);
		if (held < e->leased)
			check_held(e);
	}
	for (struct exec *x = e->execs, *next; x; x = next) {
		next = x->next;
		if (x->lost)
			engine_settle(e, x); /* stops its model call: the turn is another's now */
	}
	store_cmds_free(cmds, n);
}

/* Removes the commands no node will read any more (see the top of the file). */
static void prune_cmds(struct engine *e)
{
	int64_t before = clock_unix() - (e->lease_ms / 1000 + 1) - LEASE_CMD_KEEP_S;
	int64_t removed = 0;

	e->cmd_prune_at = clock_ms() + LEASE_PRUNE_MS;
	if (store_cmd_prune(e->st, before, &removed))
		log_warn("engine: stale commands could not be removed; the next try is in %d s",
			 LEASE_PRUNE_MS / 1000);
	else if (removed)
		log_info("engine: %lld stale command(s) removed (their nodes are gone)",
			 (long long)removed);
}

static void on_cmd_tick(void *arg)
{
	struct engine *e = arg;

	read_cmds(e);
	if (clock_ms() >= e->cmd_prune_at)
		prune_cmds(e);
	loop_timer_start(e->loop, &e->cmd_tick, LEASE_CMD_MS);
}

/* Posted by lease_topic_cmd. */
static void on_cmd_kick(void *arg)
{
	struct engine *e = arg;

	__atomic_store_n(&e->cmd_kicked, false, __ATOMIC_SEQ_CST);
	read_cmds(e);
}

void lease_topic_cmd(struct engine *e, const char *rest)
{
	const char *mine = e->cmd_topic + strlen(STORE_TOPIC_CMD);

	if (rest && strcmp(rest, mine) && strcmp(rest, "*")) /* "*": STORE_TOPIC_CMD_ALL */
		return;
	if (!__atomic_exchange_n(&e->cmd_kicked, true, __ATOMIC_SEQ_CST))
		loop_post(e->loop, on_cmd_kick, e); /* one read for a burst of topics */
}

void lease_topic_answer(struct engine *e, const char *rest)
{
	(void)rest; /* each poster reads its own command's row */
	pthread_mutex_lock(&e->lock);
	e->answers++;
	pthread_cond_broadcast(&e->answered);
	pthread_mutex_unlock(&e->lock);
}

/* How many answers were announced so far (wait_answer's starting point). */
static uint64_t answers_seen(struct engine *e)
{
	uint64_t n;

	pthread_mutex_lock(&e->lock);
	n = e->answers;
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* Waits until an answer after the seen-th is announced, or LEASE_WAIT_MS. */
static void wait_answer(struct engine *e, uint64_t seen)
{
	struct timespec ts = clock_deadline(LEASE_WAIT_MS);

	pthread_mutex_lock(&e->lock);
	while (e->answers == seen && pthread_cond_timedwait(&e->answered, &e->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&e->lock);
}

int lease_cancel_remote(struct engine *e, const char *project, const char *run_id,
			const char *owner, char **run_json, char **why)
{
	int64_t deadline = clock_ms() + e->lease_ms + 1000;
	char id[48];
	char *answer = NULL;
	bool done = false;
	int result = 0;
	int err = id_new("cmd_", id, sizeof(id));

	if (!err)
		err = store_cmd_post(e->st, id, project, run_id, owner, LEASE_CMD_CANCEL,
				     clock_unix());
	while (!err && !done) {
		uint64_t seen = answers_seen(e);

		err = store_cmd_result(e->st, id, &done, &result, &answer);
		if (!err && !done && clock_ms() > deadline) {
			if (store_cmd_remove(e->st, id)) /* its owner is gone: retry */
				log_warn("engine: command %s could not be removed", id);
			return ERR_LEASE;
		}
		if (!err && !done)
			wait_answer(e, seen);
	}
	if (err)
		return err;
	if (result == 0)
		*run_json = answer;
	else
		*why = answer;
	return result;
}

/* True when the stored run (its JSON) belongs to assistant id and is not being cancelled
 * already (this node's own runs of it were, just before). */
static bool run_of(const char *body, const char *id)
{
	char why[64];
	jv *run = jv_parse(body, strlen(body), why, sizeof(why));
	const char *asst = run ? jv_get_str(run, "assistant_id") : NULL;
	const char *status = run ? jv_get_str(run, "status") : NULL;
	bool yes = asst && strcmp(asst, id) == 0 && status &&
		   strcmp(status, status_run_name(RUN_CANCELLING)) != 0;

	jv_free(run);
	return yes;
}

void lease_stop_assistant(struct engine *e, const char *project, const char *id)
{
	const char *active[RUN_STATUS_COUNT];
	struct store_list l = { 0 };
	char **projects = NULL;
	size_t n = 0;
	int err;

	for (int s = 0; s < RUN_STATUS_COUNT; s++) {
		if (status_run_active(s))
			active[n++] = status_run_name(s);
	}
	err = store_runs_by_status(e->st, active, n, &l, &projects);
	for (size_t i = 0; !err && i < l.n; i++) {
		char *json = NULL;
		char *why = NULL;

		if (strcmp(projects[i], project) == 0 && run_of(l.items[i].body, id) &&
		    engine_cancel(e, project, NULL, l.items[i].id, &json, &why) == 0)
			log_info("run %s stopped: its assistant was deleted", l.items[i].id);
		free(json);
		free(why);
	}
	store_projects_free(projects, err ? 0 : l.n);
	store_list_cleanup(&l);
}

/* --- a client's command about a run --- */

/* Claims run_id (parked runs too) and loads it. */
static int claim_load(struct engine *e, const char *project, const char *thread_id,
		      const char *run_id, struct exec **out, char **owner)
{
	struct store_claim c = claim_now(e, true);
	bool got = false;
	int err = store_lease_claim(e->st, project, run_id, &c, &got);

	if (!err && !got) {
		err = store_lease_owner(e->st, project, run_id, owner);
		return err ? err : ERR_LEASE;
	}
	if (!err)
		err = exec_load(e, project, thread_id, run_id, true, out);
	return err;
}

int lease_lookup(struct engine *e, const char *project, const char *thread_id,
		 const char *run_id, struct exec **out, char **owner)
{
	struct exec *x = engine_find(e, run_id);

	*out = NULL;
	*owner = NULL;
	/* A run waiting for outputs may have been taken over meanwhile: read it again. */
	if (x && x->status == RUN_REQUIRES_ACTION && !x->call && !x->building) {
		engine_drop(e, x);
		x = NULL;
	}
	if (x && !x->lost) {
		if ((thread_id && strcmp(jv_get_str(x->run, "thread_id"), thread_id)) ||
		    strcmp(x->project, project))
			return ERR_NOT_FOUND;
		*out = x;
		return 0;
	}
	return claim_load(e, project, thread_id, run_id, out, owner);
}

void lease_after(struct engine *e, struct exec *x)
{
	if (!x)
		return;
	if (!x->finished && !x->call && !x->building && !x->tools_running &&
	    !status_run_terminal(x->status) && !x->expire_ms)
		exec_continue(x); /* loaded for the command: it goes on here */
	if (!x->finished && status_run_terminal(x->status)) {
		release(x); /* loaded only to answer */
		engine_drop(e, x);
		return;
	}
	engine_settle(e, x);
}

void lease_stop(struct engine *e)
{
	int64_t held = 0;

	if (e->owner[0] && store_lease_renew(e->st, e->owner, 0, &held))
		log_warn("engine: leases could not be let go; other nodes wait for them to lapse");
	else if (held)
		log_info("engine: %lld lease(s) of runs and code_interpreter sessions let go "
			 "for other nodes", (long long)held);
}
