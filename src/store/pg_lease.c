/* pg_lease.c - run leases and run commands, for the PostgreSQL store (store.h).
 *
 * The same columns and table as the SQLite store (schema.h, SCHEMA_LEASES), for any number of
 * nodes at once:
 * - a claim is one UPDATE of the row a `SELECT ... FOR UPDATE SKIP LOCKED` picked, so two
 *   nodes claiming the same run never wait on each other and exactly one gets it (a row
 *   another node is writing right now is skipped: that node is alive);
 * - STORE_EXPECT_LEASE reads the run's owner FOR SHARE: a claim by another node waits until
 *   the batch that checked the lease has committed, so the new owner loads the run with
 *   everything the old owner wrote, and the old owner's next batch fails;
 * - renewing is one UPDATE of every row an owner holds (objects_lease index).
 * Commands are rows of run_commands, as on SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "pg_int.h"

#define CMD_MAX 64 /* commands read per pg_cmd_take */

int pg_lease_expect(struct pg_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "SELECT lease_owner IS NOT DISTINCT FROM $3::text FROM objects "
				  "WHERE project = $1 AND kind = 'run' AND id = $2 FOR SHARE";
	struct pg_args a = { 0 };
	PGresult *res = NULL;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, op->obj.id);
	pg_arg_s(&a, op->lease);
	err = pg_run(c, PQ_LEASE_EXPECT, sql, "expect lease", &a, &res);
	if (!err && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else if (!err && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		err = ERR_LEASE;
	PQclear(res);
	return err;
}

/* Runs sql, an UPDATE of run op->obj.id of project setting two columns to s ($3) and i
 * ($4), on c. Errors: ERR_NOT_FOUND (no such run), ERR_DB. */
static int set_run(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
		   const char *project, const struct store_op *op, const char *s, int64_t i)
{
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, op->obj.id);
	pg_arg_s(&a, s);
	pg_arg_i(&a, i);
	err = pg_do(c, slot, sql, what, &a, &rows);
	if (!err && rows == 0)
		err = ERR_NOT_FOUND;
	return err;
}

int pg_lease_set(struct pg_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "UPDATE objects SET lease_owner = $3, "
				  "lease_until = CASE WHEN $3::text IS NULL THEN NULL ELSE $4::bigint END "
				  "WHERE project = $1 AND kind = 'run' AND id = $2";

	return set_run(c, PQ_LEASE_SET, sql, "set lease", project, op, op->lease,
		       op->lease_until);
}

int pg_origin_set(struct pg_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "UPDATE objects SET run_key = $3, run_include = $4 "
				  "WHERE project = $1 AND kind = 'run' AND id = $2";

	return set_run(c, PQ_ORIGIN_SET, sql, "set run origin", project, op, op->run_key,
		       op->run_include);
}

/* Runs sql, a SELECT of run run_id's row ($1 project, $2 id): *res holds the row on success
 * (the caller clears it), and a run that does not exist is ERR_NOT_FOUND. */
static int run_row(struct store *base, const char *sql, const char *what, const char *project,
		   const char *run_id, PGresult **res)
{
	struct pg_args a = { 0 };
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, run_id);
	err = pg_stmt_once(pg_of(base), sql, what, &a, res);
	if (!err && PQntuples(*res) == 0)
		err = ERR_NOT_FOUND;
	if (err) {
		PQclear(*res);
		*res = NULL;
	}
	return err;
}

int pg_run_origin(struct store *base, const char *project, const char *run_id,
		  char **key_hash, int64_t *include)
{
	static const char sql[] = "SELECT run_key, run_include FROM objects "
				  "WHERE project = $1 AND kind = 'run' AND id = $2";
	PGresult *res = NULL;
	int err = run_row(base, sql, "run origin", project, run_id, &res);

	if (!err && !PQgetisnull(res, 0, 0))
		*key_hash = pg_col_dup(res, 0, 0);
	if (!err && !PQgetisnull(res, 0, 1))
		*include = pg_col_i(res, 0, 1);
	PQclear(res);
	return err;
}

int pg_lease_claim(struct store *base, const char *project, const char *run_id,
		   const struct store_claim *cl, bool *got)
{
	static const char sql[] =
		"UPDATE objects SET lease_owner = $3, lease_until = $4 WHERE (project, id) IN "
		"(SELECT project, id FROM objects WHERE project = $1 AND kind = 'run' AND id = $2 "
		"AND (lease_owner IS NULL OR lease_owner = $3 OR lease_until < $5 "
		"OR ($6::int = 1 AND status = 'requires_action') "
		"OR left(lease_owner, length($7::text)) = $7::text) FOR UPDATE SKIP LOCKED)";
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, run_id);
	pg_arg_s(&a, cl->owner);
	pg_arg_i(&a, cl->until);
	pg_arg_i(&a, cl->now);
	pg_arg_i(&a, cl->parked);
	pg_arg_s(&a, cl->former);
	err = pg_stmt_rows(pg_of(base), PQ_LEASE_CLAIM, sql, "claim lease", &a, &rows);
	*got = !err && rows == 1;
	return err;
}

int pg_lease_renew(struct store *base, const char *owner, int64_t until, int64_t *held)
{
	static const char sql[] = "UPDATE objects SET lease_until = $2 WHERE lease_owner = $1";
	struct pg_args a = { 0 };

	*held = 0;
	pg_arg_s(&a, owner);
	pg_arg_i(&a, until);
	return pg_stmt_rows(pg_of(base), PQ_LEASE_RENEW, sql, "renew leases", &a, held);
}

int pg_lease_lapsed(struct store *base, const struct store_claim *cl, int limit,
		    struct store_list *out, char ***projects)
{
	static const char sql[] =
		"SELECT project, id, body FROM objects WHERE kind = 'run' "
		"AND status = ANY ($1::text[]) AND (lease_owner IS NULL OR lease_until < $2 "
		"OR left(lease_owner, length($3::text)) = $3::text) "
		"AND lease_owner IS DISTINCT FROM $4::text ORDER BY created_at, seq LIMIT $5";
	struct pg_args a = { 0 };
	char active[256];

	pg_active_statuses(active, sizeof(active));
	pg_arg_s(&a, active);
	pg_arg_i(&a, cl->now);
	pg_arg_s(&a, cl->former);
	pg_arg_s(&a, cl->owner);
	pg_arg_i(&a, limit);
	return pg_scan(pg_of(base), PQ_LEASE_LAPSED, sql, "lapsed leases", &a, out, projects);
}

int pg_lease_owner(struct store *base, const char *project, const char *run_id, char **owner)
{
	static const char sql[] = "SELECT lease_owner FROM objects "
				  "WHERE project = $1 AND kind = 'run' AND id = $2";
	PGresult *res = NULL;
	int err;

	*owner = NULL;
	err = run_row(base, sql, "lease owner", project, run_id, &res);
	if (!err && !PQgetisnull(res, 0, 0))
		*owner = pg_col_dup(res, 0, 0);
	PQclear(res);
	return err;
}

/* --- commands --- */

/* One write and the topic announced with it (announced_tx). */
struct announced {
	enum pg_slot slot;
	const char *sql;
	const char *what;
	const struct pg_args *a;
	const char *topic;
};

static int announced_tx(struct pg_conn *c, void *ctx)
{
	const struct announced *w = ctx;
	int err = pg_do(c, w->slot, w->sql, w->what, w->a, NULL);

	return err ? err : pg_notify_in(c, w->topic);
}

int pg_cmd_post(struct store *base, const char *id, const char *project, const char *run_id,
		const char *owner, const char *kind, int64_t now)
{
	static const char sql[] = "INSERT INTO run_commands (id, project, run_id, owner, kind, "
				  "created_at) VALUES ($1, $2, $3, $4, $5, $6)";
	char topic[STORE_TOPIC_MAX + 1];
	struct pg_args a = { 0 };
	struct announced w = { PQ_CMD_POST, sql, "post command", &a, topic };

	store_cmd_topic(topic, owner);
	pg_arg_s(&a, id);
	pg_arg_s(&a, project);
	pg_arg_s(&a, run_id);
	pg_arg_s(&a, owner);
	pg_arg_s(&a, kind);
	pg_arg_i(&a, now);
	return pg_tx(pg_of(base), announced_tx, &w);
}

/* What pg_cmd_take asks and receives. */
struct take {
	const char *owner;
	struct store_cmd **cmds;
	size_t *n;
	int64_t *held;
};

/* The unanswered commands of owner, and the count of its leases, on c. */
static int take_on(struct pg_conn *c, const char *owner, struct store_cmd **cmds, size_t *n,
		   int64_t *held)
{
	static const char sql[] = "SELECT id, project, run_id, kind FROM run_commands "
				  "WHERE owner = $1 AND NOT answered ORDER BY created_at LIMIT $2";
	static const char count[] = "SELECT COUNT(*) FROM objects WHERE lease_owner = $1 "
				    "AND kind = 'run'";
	struct pg_args a = { 0 };
	PGresult *res = NULL;
	int err;

	pg_arg_s(&a, owner);
	pg_arg_i(&a, CMD_MAX);
	err = pg_run(c, PQ_CMD_TAKE, sql, "take commands", &a, &res);
	for (int r = 0; !err && r < PQntuples(res); r++) {
		*cmds = xrealloc(*cmds, (*n + 1) * sizeof(**cmds));
		(*cmds)[*n].id = pg_col_dup(res, r, 0);
		(*cmds)[*n].project = pg_col_dup(res, r, 1);
		(*cmds)[*n].run_id = pg_col_dup(res, r, 2);
		(*cmds)[(*n)++].kind = pg_col_dup(res, r, 3);
	}
	PQclear(res);
	res = NULL;
	a.n = 1;
	if (!err)
		err = pg_run(c, PQ_LEASE_COUNT, count, "count leases", &a, &res);
	if (!err)
		*held = pg_col_i(res, 0, 0);
	PQclear(res);
	return err;
}

static int take_run(struct pg_conn *c, void *ctx)
{
	struct take *t = ctx;

	store_cmds_free(*t->cmds, *t->n); /* a second attempt starts over */
	*t->cmds = NULL;
	*t->n = 0;
	return take_on(c, t->owner, t->cmds, t->n, t->held);
}

int pg_cmd_take(struct store *base, const char *owner, struct store_cmd **cmds, size_t *n,
		int64_t *held)
{
	struct take t = { owner, cmds, n, held };
	int err;

	*cmds = NULL;
	*n = 0;
	*held = 0;
	err = pg_with(pg_of(base), take_run, &t);
	if (err) {
		store_cmds_free(*cmds, *n);
		*cmds = NULL;
		*n = 0;
	}
	return err;
}

int pg_cmd_answer(struct store *base, const char *id, int err, const char *answer)
{
	static const char sql[] = "UPDATE run_commands SET answered = TRUE, answer = $2, "
				  "err = $3 WHERE id = $1";
	char topic[STORE_TOPIC_MAX + 1];
	struct pg_args a = { 0 };
	struct announced w = { PQ_CMD_ANSWER, sql, "answer command", &a, topic };

	snprintf(topic, sizeof(topic), "%s%s", STORE_TOPIC_ANSWER, id);
	pg_arg_s(&a, id);
	pg_arg_s(&a, answer);
	pg_arg_i(&a, err);
	return pg_tx(pg_of(base), announced_tx, &w);
}

int pg_cmd_result(struct store *base, const char *id, bool *done, int *err_out, char **answer)
{
	static const char sql[] = "SELECT answered, err, answer FROM run_commands WHERE id = $1";
	struct pg_args a = { 0 };
	PGresult *res = NULL;
	int err;

	*done = false;
	*err_out = 0;
	*answer = NULL;
	pg_arg_s(&a, id);
	err = pg_stmt_once(pg_of(base), sql, "command result", &a, &res);
	if (!err && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	if (!err && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		*done = true;
		*err_out = (int)pg_col_i(res, 0, 1);
		if (!PQgetisnull(res, 0, 2))
			*answer = pg_col_dup(res, 0, 2);
	}
	PQclear(res);
	if (!err && *done)
		err = pg_cmd_remove(base, id);
	return err;
}

int pg_cmd_remove(struct store *base, const char *id)
{
	static const char sql[] = "DELETE FROM run_commands WHERE id = $1";
	struct pg_args a = { 0 };

	pg_arg_s(&a, id);
	return pg_stmt_rows(pg_of(base), PQ_CMD_REMOVE, sql, "remove command", &a, NULL);
}

int pg_cmd_prune(struct store *base, int64_t before, int64_t *removed)
{
	static const char sql[] = "DELETE FROM run_commands WHERE created_at < $1";
	struct pg_args a = { 0 };

	pg_arg_i(&a, before);
	return pg_stmt_rows(pg_of(base), PQ_CMD_PRUNE, sql, "prune commands", &a, removed);
}

/* --- code_interpreter sessions --- */

int pg_session_hold(struct store *base, const char *project, const char *thread_id,
		    const char *owner, int64_t until)
{
	static const char sql[] = "UPDATE objects SET lease_owner = $3, lease_until = $4 "
				  "WHERE project = $1 AND kind = 'thread' AND id = $2";
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, thread_id);
	pg_arg_s(&a, owner);
	pg_arg_i(&a, until);
	err = pg_stmt_rows(pg_of(base), PQ_SESSION_HOLD, sql, "hold session", &a, &rows);
	if (!err && rows == 0)
		err = ERR_NOT_FOUND;
	return err;
}

int pg_session_owner(struct store *base, const char *project, const char *thread_id,
		     int64_t now, char **owner)
{
	static const char sql[] = "SELECT lease_owner FROM objects WHERE project = $1 "
				  "AND kind = 'thread' AND id = $2 AND lease_until >= $3";
	struct pg_args a = { 0 };
	PGresult *res = NULL;
	int err;

	*owner = NULL;
	pg_arg_s(&a, project);
	pg_arg_s(&a, thread_id);
	pg_arg_i(&a, now);
	err = pg_stmt(pg_of(base), PQ_SESSION_OWNER, sql, "session owner", &a, &res);
	if (!err && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*owner = pg_col_dup(res, 0, 0);
	PQclear(res);
	return err;
}
