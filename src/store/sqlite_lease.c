/* sqlite_lease.c - run leases and run commands, for the SQLite store (store.h).
 *
 * A lease is two columns of the run's row, lease_owner and lease_until (Unix ms). Claiming is
 * one conditional UPDATE, so of two nodes claiming the same run exactly one sees a changed
 * row; renewing is one UPDATE of every row an owner holds. Writes a node makes for a run it
 * drives carry STORE_EXPECT_LEASE, checked in the same transaction: once another node has
 * claimed the run, the old owner's writes fail with ERR_LEASE and change nothing.
 *
 * Commands (run_commands) are rows addressed to a lease owner: the owner reads the ones not
 * yet answered, answers each in place, and the poster reads the answer and removes the row.
 * Several processes on one data directory share all of this through the database file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "sqlite_int.h"

#define CMD_MAX 64 /* commands read per store_cmd_take */

int sqlite_lease_expect(struct sqlite_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "SELECT lease_owner IS NOT DISTINCT FROM ?3 FROM objects "
				  "WHERE project = ?1 AND kind = 'run' AND id = ?2";
	sqlite3_stmt *s;
	bool row = false;
	bool mine = false;
	int err;

	err = sqlite_prep(c, SQ_LEASE_EXPECT, sql, &s, "expect lease", "sss", project,
			  op->obj.id, op->lease);
	if (!err)
		err = sqlite_step(c->db, s, "expect lease", &row);
	if (!err && row)
		mine = sqlite3_column_int(s, 0) != 0;
	if (s)
		sqlite3_reset(s);
	if (!err && !row)
		err = ERR_NOT_FOUND;
	if (!err && !mine)
		err = ERR_LEASE;
	return err;
}

/* Runs sql, an UPDATE of run op->obj.id of project setting two columns to text (?3) and i
 * (?4), on c. Errors: ERR_NOT_FOUND (no such run), ERR_DB. */
static int set_run(struct sqlite_conn *c, enum sqlite_slot slot, const char *sql,
		   const char *what, const char *project, const struct store_op *op,
		   const char *text, int64_t i)
{
	sqlite3_stmt *s;
	int err = sqlite_prep(c, slot, sql, &s, what, "sssi", project, op->obj.id, text, i);

	if (!err)
		err = sqlite_run(c->db, s, what);
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	return err;
}

int sqlite_lease_set(struct sqlite_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "UPDATE objects SET lease_owner = ?3, "
				  "lease_until = CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END "
				  "WHERE project = ?1 AND kind = 'run' AND id = ?2";

	return set_run(c, SQ_LEASE_SET, sql, "set lease", project, op, op->lease,
		       op->lease_until);
}

int sqlite_origin_set(struct sqlite_conn *c, const char *project, const struct store_op *op)
{
	static const char sql[] = "UPDATE objects SET run_key = ?3, run_include = ?4 "
				  "WHERE project = ?1 AND kind = 'run' AND id = ?2";

	return set_run(c, SQ_ORIGIN_SET, sql, "set run origin", project, op, op->run_key,
		       op->run_include);
}

int sqlite_run_origin(struct store *base, const char *project, const char *run_id,
		      char **key_hash, int64_t *include)
{
	static const char sql[] = "SELECT run_key, run_include FROM objects "
				  "WHERE project = ?1 AND kind = 'run' AND id = ?2";
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_read_fresh(st, &c);

	if (err)
		return err;
	err = sqlite_query(c->db, sql, &s, "run origin", "ss", project, run_id);
	if (!err)
		err = sqlite_step(c->db, s, "run origin", &row);
	if (!err && !row)
		err = ERR_NOT_FOUND;
	if (!err && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*key_hash = sqlite_col_dup(s, 0);
	if (!err)
		*include = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	return err;
}

int sqlite_lease_claim(struct store *base, const char *project, const char *run_id,
		       const struct store_claim *cl, bool *got)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] =
		"UPDATE objects SET lease_owner = ?3, lease_until = ?4 "
		"WHERE project = ?1 AND kind = 'run' AND id = ?2 AND (lease_owner IS NULL "
		"OR lease_owner = ?3 OR lease_until < ?5 "
		"OR (?6 AND status = 'requires_action') "
		"OR substr(lease_owner, 1, length(?7)) = ?7)";
	struct sqlite_conn *c;
	int err;

	*got = false;
	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "claim lease", "sssiiis", project, run_id, cl->owner,
			  cl->until, cl->now, (int64_t)cl->parked, cl->former);
	if (!err)
		*got = sqlite3_changes(c->db) == 1;
	return sqlite_end(st, c, err);
}

int sqlite_lease_renew(struct store *base, const char *owner, int64_t until,
		       int64_t *held)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "UPDATE objects SET lease_until = ?2 WHERE lease_owner = ?1";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	*held = 0;
	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_LEASE_RENEW, sql, &s, "renew leases", "si", owner, until);
	if (!err)
		err = sqlite_run(c->db, s, "renew leases");
	if (!err)
		*held = sqlite3_changes(c->db);
	return sqlite_end(st, c, err);
}

int sqlite_lease_lapsed(struct store *base, const struct store_claim *cl, int limit,
			struct store_list *out, char ***projects)
{
	struct sqlite_store *st = sqlite_of(base);
	char list[256];
	char sql[768];
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	*projects = NULL;
	sqlite_active_list(list, sizeof(list));
	snprintf(sql, sizeof(sql),
		 "SELECT project, id, body FROM objects WHERE kind = 'run' AND status IN (%s) "
		 "AND (lease_owner IS NULL OR lease_until < ?1 "
		 "OR substr(lease_owner, 1, length(?2)) = ?2) AND lease_owner IS DISTINCT FROM ?3 "
		 "ORDER BY created_at, seq LIMIT ?4", list);
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = sqlite_query(c->db, sql, &s, "lapsed leases", "issi", cl->now, cl->former,
			   cl->owner, (int64_t)limit);
	if (!err)
		err = sqlite_push_all(c->db, s, "lapsed leases", out, projects);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	if (err) {
		store_projects_free(*projects, out->n);
		*projects = NULL;
		store_list_cleanup(out);
	}
	return err;
}

/* *owner receives the lease owner of object id of kind (owned; NULL when nobody holds it or,
 * when now is not 0, the lease lapsed before now); *row whether the object exists. */
static int owner_of(struct sqlite_store *st, const char *kind, const char *project,
		    const char *id, int64_t now, char **owner, bool *row)
{
	static const char sql[] = "SELECT lease_owner FROM objects WHERE project = ?1 "
				  "AND kind = ?2 AND id = ?3 AND (?4 = 0 OR lease_until >= ?4)";
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	int err;

	*owner = NULL;
	*row = false;
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = sqlite_query(c->db, sql, &s, "lease owner", "sssi", project, kind, id, now);
	if (!err)
		err = sqlite_step(c->db, s, "lease owner", row);
	if (!err && *row && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*owner = sqlite_col_dup(s, 0);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	return err;
}

int sqlite_lease_owner(struct store *base, const char *project, const char *run_id,
		       char **owner)
{
	bool row = false;
	int err = owner_of(sqlite_of(base), "run", project, run_id, 0, owner, &row);

	return !err && !row ? ERR_NOT_FOUND : err;
}

/* --- commands --- */

/* Runs sql, a write of one statement with parameters a, b, i (as many as types names), in
 * its own transaction. */
static int write_one(struct sqlite_store *st, const char *sql, const char *what, const char *types,
		     const char *a, const char *b, int64_t i)
{
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = sqlite_exec(c->db, sql, what, types, a, b, i);
	return sqlite_end(st, c, err);
}

/* Ends the write transaction on c (err: how it went so far), announcing topic with it. */
static int end_announced(struct sqlite_store *st, struct sqlite_conn *c, int err,
			 const char *topic)
{
	if (!err)
		err = sqlite_notify_in(st, c, topic);
	err = sqlite_end(st, c, err);
	if (!err)
		sqlite_notify_local(st, topic);
	return err;
}

int sqlite_cmd_post(struct store *base, const char *id, const char *project,
		    const char *run_id, const char *owner, const char *kind, int64_t now)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "INSERT INTO run_commands (id, project, run_id, owner, kind, "
				  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	char topic[STORE_TOPIC_MAX + 1];
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	store_cmd_topic(topic, owner);
	err = sqlite_exec(c->db, sql, "post command", "sssssi", id, project, run_id, owner, kind,
			  now);
	return end_announced(st, c, err, topic);
}

static void cmd_row(sqlite3_stmt *s, struct store_cmd *cmd)
{
	cmd->id = sqlite_col_dup(s, 0);
	cmd->project = sqlite_col_dup(s, 1);
	cmd->run_id = sqlite_col_dup(s, 2);
	cmd->kind = sqlite_col_dup(s, 3);
}

/* Reads the unanswered commands of owner on c into *cmds. */
static int read_cmds(struct sqlite_conn *c, const char *owner, struct store_cmd **cmds,
		     size_t *n)
{
	static const char sql[] = "SELECT id, project, run_id, kind FROM run_commands "
				  "WHERE owner = ?1 AND NOT answered ORDER BY created_at LIMIT ?2";
	sqlite3_stmt *s;
	bool row = true;
	int err = sqlite_prep(c, SQ_CMD_TAKE, sql, &s, "take commands", "si", owner,
			      (int64_t)CMD_MAX);

	while (!err && row) {
		err = sqlite_step(c->db, s, "take commands", &row);
		if (err || !row)
			break;
		*cmds = xrealloc(*cmds, (*n + 1) * sizeof(**cmds));
		cmd_row(s, &(*cmds)[(*n)++]);
	}
	if (s)
		sqlite3_reset(s);
	return err;
}

static int count_leases(struct sqlite_conn *c, const char *owner, int64_t *held)
{
	static const char sql[] = "SELECT COUNT(*) FROM objects WHERE lease_owner = ?1 "
				  "AND kind = 'run'";
	sqlite3_stmt *s;
	bool row = false;
	int err = sqlite_prep(c, SQ_LEASE_COUNT, sql, &s, "count leases", "s", owner);

	if (!err)
		err = sqlite_step(c->db, s, "count leases", &row);
	if (!err && row)
		*held = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	return err;
}

int sqlite_cmd_take(struct store *base, const char *owner, struct store_cmd **cmds,
		    size_t *n, int64_t *held)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	*cmds = NULL;
	*n = 0;
	*held = 0;
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = read_cmds(c, owner, cmds, n);
	if (!err)
		err = count_leases(c, owner, held);
	sqlite_read_done(st, c, err);
	if (err) {
		store_cmds_free(*cmds, *n);
		*cmds = NULL;
		*n = 0;
	}
	return err;
}

int sqlite_cmd_answer(struct store *base, const char *id, int err, const char *answer)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "UPDATE run_commands SET answered = TRUE, answer = ?2, "
				  "err = ?3 WHERE id = ?1";
	char topic[STORE_TOPIC_MAX + 1];
	struct sqlite_conn *c;
	int rc;

	snprintf(topic, sizeof(topic), "%s%s", STORE_TOPIC_ANSWER, id);
	rc = sqlite_begin(st, &c);
	if (rc)
		return rc;
	rc = sqlite_exec(c->db, sql, "answer command", "ssi", id, answer, err);
	return end_announced(st, c, rc, topic);
}

/* Reads the answer of command id on c. */
static int read_answer(struct sqlite_conn *c, const char *id, bool *done, int *err_out,
		       char **answer)
{
	static const char sql[] = "SELECT answered, err, answer FROM run_commands WHERE id = ?1";
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(c->db, sql, &s, "command result", "s", id);

	if (!err)
		err = sqlite_step(c->db, s, "command result", &row);
	if (!err && !row)
		err = ERR_NOT_FOUND;
	if (!err && sqlite3_column_int(s, 0)) {
		*done = true;
		*err_out = sqlite3_column_int(s, 1);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			*answer = sqlite_col_dup(s, 2);
	}
	sqlite3_finalize(s);
	return err;
}

int sqlite_cmd_result(struct store *base, const char *id, bool *done, int *err_out,
		      char **answer)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	*done = false;
	*err_out = 0;
	*answer = NULL;
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = read_answer(c, id, done, err_out, answer);
	sqlite_read_done(st, c, err);
	if (!err && *done)
		err = sqlite_cmd_remove(base, id);
	return err;
}

int sqlite_cmd_remove(struct store *base, const char *id)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "DELETE FROM run_commands WHERE id = ?1";

	return write_one(st, sql, "remove command", "s", id, NULL, 0);
}

int sqlite_cmd_prune(struct store *base, int64_t before, int64_t *removed)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = sqlite_exec(c->db, "DELETE FROM run_commands WHERE created_at < ?1",
			  "prune commands", "i", before);
	if (!err)
		*removed = sqlite3_changes(c->db);
	return sqlite_end(st, c, err);
}

/* --- code_interpreter sessions --- */

int sqlite_session_hold(struct store *base, const char *project, const char *thread_id,
			const char *owner, int64_t until)
{
	static const char sql[] = "UPDATE objects SET lease_owner = ?3, lease_until = ?4 "
				  "WHERE project = ?1 AND kind = 'thread' AND id = ?2";
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "hold session", "sssi", project, thread_id, owner, until);
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	return sqlite_end(st, c, err);
}

int sqlite_session_owner(struct store *base, const char *project, const char *thread_id,
			 int64_t now, char **owner)
{
	bool row = false;

	return owner_of(sqlite_of(base), "thread", project, thread_id, now, owner, &row);
}
