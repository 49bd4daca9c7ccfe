/* session.c - code_interpreter sessions across nodes: a new run of a thread whose sandbox
 * session lives on another node is driven by that node.
 *
 * A node that runs code for a thread records itself as the holder of the thread's session
 * (store_session_hold, from the tool's prepare phase); the hold is renewed with the node's
 * run leases and lapses when the node dies. A run created on node B for a thread whose
 * session node A holds, and which may call code_interpreter, is born leased to A instead of
 * B: B logs its first events (thread.run.created, thread.run.queued) and posts A a "start"
 * command (a row and its topic, as a cancel); A loads the run and starts it, and B's client
 * streams it from the run event log (engine_follow) or polls it as any run. When the holder
 * is dead (its hold lapsed) the run stays on B, which starts a new session with the thread's
 * files. Handing over the whole run, rather than each call, keeps one node driving a run
 * and reuses the lease, command and event-log paths unchanged.
 *
 * Deleting a thread ends its session on the node that holds it: the deleting node reads the
 * holder before the delete (the hold goes with the thread's row) and posts it an "end"
 * command after, whose topic makes the holder end the session at once. A holder that was
 * running code for one of the thread's runs also ends it when it finds the run deleted
 * (lease.c). */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../tools/sandbox.h"
#include "evlog.h"

/* True when run (its tools) may call code_interpreter. */
static bool runs_code(const jv *run)
{
	const jv *tools = jv_get(run, "tools");

	for (size_t i = 0; i < jv_size(tools); i++) {
		const char *type = jv_get_str(jv_at(tools, i), "type");

		if (type && strcmp(type, "code_interpreter") == 0)
			return true;
	}
	return false;
}

char *engine_session_holder(struct engine *e, const char *project, const char *thread_id)
{
	char *owner = NULL;

	if (store_session_owner(e->st, project, thread_id, clock_unix_ms(), &owner))
		log_warn("thread %s: the node of its code_interpreter session could not be looked "
			 "up", thread_id);
	if (owner && strcmp(owner, e->owner) == 0) {
		free(owner);
		owner = NULL;
	}
	return owner;
}

char *engine_session_node(struct engine *e, const char *project, const jv *run)
{
	const char *thread_id = jv_get_str(run, "thread_id");

	if (!thread_id || !runs_code(run))
		return NULL;
	return engine_session_holder(e, project, thread_id);
}

/* Logs the first events of a handed run (thread.created when thread_json is not NULL),
 * before its node can log any. */
static int log_first(struct engine *e, const char *project, const char *run_id,
		     const char *run_json, const char *thread_json)
{
	struct store_event evs[3];
	char topic[STORE_TOPIC_MAX + 1];
	const char *topics[1] = { topic };
	size_t n = 0;

	if (thread_json)
		evs[n++] = (struct store_event){ project, run_id, "thread.created", thread_json,
						 false };
	evs[n++] = (struct store_event){ project, run_id, "thread.run.created", run_json, false };
	evs[n++] = (struct store_event){ project, run_id, "thread.run.queued", run_json, false };
	snprintf(topic, sizeof(topic), "%s%s", EVLOG_TOPIC_EVENTS, run_id);
	return store_events_append(e->st, evs, n, topics, 1, NULL);
}

/* The run could not be handed to owner: its lease is let go, so that the first node to look
 * for lapsed runs starts it (owner would renew it without knowing of it). */
static void let_go(struct engine *e, const char *project, const char *run_id,
		   const char *owner)
{
	struct store_op op = { .type = STORE_SET_LEASE,
			       .obj = { .kind = STORE_RUN, .id = run_id } };

	log_warn("run %s could not be handed to node %s; the first node to look starts it",
		 run_id, owner);
	if (store_write(e->st, project, &op, 1))
		log_warn("run %s: its lease could not be let go; it waits for node %s", run_id,
			 owner);
}

struct events *engine_hand_run(struct engine *e, const char *project, const char *run_json,
			       const char *thread_json, const char *owner)
{
	char why[128];
	char id[48];
	jv *run = jv_parse(run_json, strlen(run_json), why, sizeof(why));
	const char *run_id = jv_get_str(run, "id");
	struct events *ch;
	int err = id_new("cmd_", id, sizeof(id));

	if (!run_id) { /* the API's own text: cannot happen */
		jv_free(run);
		ch = events_new();
		events_close(ch);
		return ch;
	}
	if (!err)
		err = log_first(e, project, run_id, run_json, thread_json);
	if (!err)
		err = store_cmd_post(e->st, id, project, run_id, owner, LEASE_CMD_START,
				     clock_unix());
	if (err)
		let_go(e, project, run_id, owner);
	ch = engine_follow(e, project, run_id, 0);
	jv_free(run);
	return ch;
}

void engine_end_session(struct engine *e, const char *project, const char *thread_id,
			const char *holder)
{
	char id[48];
	int err;

	if (!holder)
		return;
	err = id_new("cmd_", id, sizeof(id));
	if (!err)
		err = store_cmd_post(e->st, id, project, thread_id, holder, LEASE_CMD_END,
				     clock_unix());
	if (err)
		log_warn("thread %s: node %s could not be told to end its code_interpreter "
			 "session; the session ends when it has been idle long enough", thread_id,
			 holder);
}

void session_end_handed(struct engine *e, const struct store_cmd *cmd)
{
	if (store_cmd_remove(e->st, cmd->id)) /* nobody waits for an answer */
		log_warn("engine: command %s could not be removed", cmd->id);
	session_end_deleted(e, cmd->run_id);
}

void session_end_deleted(struct engine *e, const char *thread_id)
{
	size_t had;

	if (!e->tools.sbx)
		return;
	had = sbx_sessions(e->tools.sbx);
	sbx_end(e->tools.sbx, thread_id);
	if (sbx_sessions(e->tools.sbx) < had)
		log_info("thread %s was deleted: its code_interpreter session ended", thread_id);
}

void session_start_handed(struct engine *e, const struct store_cmd *cmd)
{
	struct exec *x = NULL;
	char *owner = NULL;

	if (store_cmd_remove(e->st, cmd->id)) /* nobody waits for an answer */
		log_warn("engine: command %s could not be removed", cmd->id);
	if (lease_lookup(e, cmd->project, NULL, cmd->run_id, &x, &owner) == 0) {
		log_info("run %s handed to this node (its thread's code_interpreter session)",
			 cmd->run_id);
		lease_after(e, x); /* a queued run starts */
	}
	free(owner);
}
