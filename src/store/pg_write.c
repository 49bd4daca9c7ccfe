/* pg_write.c - store_write for the PostgreSQL store: batches of puts, deletes and checks in
 * one transaction, with the guards enforced by row locks in the database.
 *
 * Several nodes write at once, so every check locks what it checked until the commit, at READ
 * COMMITTED (each statement sees what was committed before it started):
 * - a put that replaces an object reads it FOR UPDATE, so the version and status checks hold
 *   until the commit (two writers of one run take turns, the second sees the first's status);
 * - a put that creates a child increments its parent's child_seq: that locks the parent row,
 *   fails when the parent is gone, and gives the child its place in the parent's order, so a
 *   thread's messages are ordered by commit whatever the number of writers;
 * - STORE_EXPECT_EXISTS reads FOR KEY SHARE: the object cannot be deleted before the commit;
 * - STORE_EXPECT_IDLE locks the thread FOR NO KEY UPDATE before looking for an active run, so
 *   two batches that each check a thread is idle and then start a run take turns, and the
 *   second sees the first's run;
 * - a delete locks the object and then removes what is below it, so a child created
 *   concurrently either commits first (and is removed) or finds its parent gone.
 * Lock orders differ between batches (a run's update then its thread's message; a thread's
 * delete then its runs), so PostgreSQL may abort one for a deadlock: pg_tx runs it again. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../base/status.h"
#include "pg_int.h"

static const char *col(const PGresult *res, int i)
{
	return PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
}

/* Reads what is stored under o's id into *out, locking it FOR UPDATE. */
static int lock_stored(struct pg_conn *c, const char *project, const struct store_obj *o,
		       struct store_stored *out)
{
	static const char sql[] = "SELECT kind, parent, version, status FROM objects "
				  "WHERE project = $1 AND id = $2 FOR UPDATE";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	memset(out, 0, sizeof(*out));
	pg_arg_s(&a, project);
	pg_arg_s(&a, o->id);
	err = pg_run(c, PQ_LOCK, sql, "put", &a, &res);
	if (err)
		return err;
	if (PQntuples(res) > 0)
		store_stored_fill(out, o, col(res, 0), col(res, 1), pg_col_i(res, 0, 2),
				  col(res, 3));
	PQclear(res);
	return 0;
}

/* Fails with ERR_NOT_FOUND unless o exists (under o->parent, when set); it then stays until
 * the commit. */
/* Runs sql, whose parameters are $1 project, $2 o's kind, $3 its id and $4 its parent (NULL:
 * any), and fails with ERR_NOT_FOUND when it finds or changes no row. */
static int on_obj(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
		  const char *project, const struct store_obj *o)
{
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(o->kind));
	pg_arg_s(&a, o->id);
	pg_arg_s(&a, o->parent);
	err = pg_do(c, slot, sql, what, &a, &rows);
	if (!err && rows == 0)
		err = ERR_NOT_FOUND;
	return err;
}

static int expect_exists(struct pg_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "SELECT 1 FROM objects WHERE project = $1 AND kind = $2 "
				  "AND id = $3 AND ($4::text IS NULL OR parent = $4) "
				  "FOR KEY SHARE";

	return on_obj(c, PQ_EXISTS, sql, "expect", project, o);
}

/* Takes the next place among the children of o's parent (locking the parent row) into
 * *seq. Errors: ERR_NOT_FOUND when the parent does not exist. */
static int child_seq(struct pg_conn *c, const char *project, const struct store_obj *o,
		     enum store_kind pk, int64_t *seq)
{
	static const char sql[] = "UPDATE objects SET child_seq = child_seq + 1 "
				  "WHERE project = $1 AND kind = $2 AND id = $3 "
				  "RETURNING child_seq";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	if (!o->parent)
		return ERR_NOT_FOUND;
	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(pk));
	pg_arg_s(&a, o->parent);
	err = pg_run(c, PQ_CHILD_SEQ, sql, "put", &a, &res);
	if (err)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else
		*seq = pg_col_i(res, 0, 0);
	PQclear(res);
	return err;
}

/* Inserts a new object with version 1: a child at its parent's next place, a top-level
 * object at the next value of objects_order. Errors: ERR_NOT_FOUND (no parent), ERR_CONFLICT
 * (the id is taken). */
static int insert(struct pg_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] =
		"INSERT INTO objects (project, kind, id, parent, run_id, status, created_at, seq, "
		"version, body, tag, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		"COALESCE($8::bigint, nextval('objects_order')), 1, $9, $10, "
		"NULLIF($11::bigint, 0)) "
		"ON CONFLICT DO NOTHING";
	struct pg_args a = { 0 };
	enum store_kind pk;
	int64_t seq = 0, rows = 0;
	bool child = store_parent_kind(o->kind, &pk);
	int err = child ? child_seq(c, project, o, pk, &seq) : 0;

	if (err)
		return err;
	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(o->kind));
	pg_arg_s(&a, o->id);
	pg_arg_s(&a, o->parent);
	pg_arg_s(&a, o->run_id);
	pg_arg_s(&a, o->status);
	pg_arg_i(&a, o->created_at);
	if (child)
		pg_arg_i(&a, seq);
	else
		pg_arg_s(&a, NULL);
	pg_arg_s(&a, o->body);
	pg_arg_s(&a, o->tag);
	pg_arg_i(&a, o->expires_at);
	err = pg_do(c, PQ_INSERT, sql, "put", &a, &rows);
	if (!err && rows == 0)
		err = ERR_CONFLICT;
	return err;
}

/* Replaces the body and mutable columns; kind, parent, created_at and seq stay. */
static int update(struct pg_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "UPDATE objects SET run_id = $3, status = $4, body = $5, "
				  "tag = $6, expires_at = NULLIF($7::bigint, 0), "
				  "version = version + 1 WHERE project = $1 AND id = $2";
	struct pg_args a = { 0 };

	pg_arg_s(&a, project);
	pg_arg_s(&a, o->id);
	pg_arg_s(&a, o->run_id);
	pg_arg_s(&a, o->status);
	pg_arg_s(&a, o->body);
	pg_arg_s(&a, o->tag);
	pg_arg_i(&a, o->expires_at);
	return pg_do(c, PQ_UPDATE, sql, "put", &a, NULL);
}

/* A put of a new id that lost the race to a concurrent put of the same id: with
 * expect_version 0 it becomes a replace, so the transaction runs again (ERR_TIMEOUT is
 * pg_tx's "retry"). */
static int insert_or_retry(struct pg_conn *c, const char *project, const struct store_op *op)
{
	int err = insert(c, project, &op->obj);

	return err == ERR_CONFLICT && op->expect_version == 0 ? ERR_TIMEOUT : err;
}

static int put(struct pg_conn *c, const char *project, const struct store_op *op)
{
	struct store_stored old = { 0 };
	bool insert = false;
	int err = 0;

	assert(op->obj.body && (unsigned)op->obj.kind < STORE_KIND_COUNT);
	if (op->expect_version >= 0)
		err = lock_stored(c, project, &op->obj, &old);
	if (!err)
		err = store_put_decide(op, &old, &insert);
	if (err)
		return err;
	return insert ? insert_or_retry(c, project, op) : update(c, project, &op->obj);
}

static int delete_children(struct pg_conn *c, const char *project, enum store_kind child,
			   const char *id)
{
	static const char sql[] = "DELETE FROM objects "
				  "WHERE project = $1 AND kind = $2 AND parent = $3";
	struct pg_args a = { 0 };

	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(child));
	pg_arg_s(&a, id);
	return pg_do(c, PQ_DEL_CHILDREN, sql, "delete", &a, NULL);
}

/* Deletes the objects of kind grand whose parent is an object of kind child under id. */
static int delete_grandchildren(struct pg_conn *c, const char *project, enum store_kind grand,
				enum store_kind child, const char *id)
{
	static const char sql[] =
		"DELETE FROM objects WHERE project = $1 AND kind = $2 AND parent IN "
		"(SELECT id FROM objects WHERE project = $1 AND kind = $3 AND parent = $4)";
	struct pg_args a = { 0 };

	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(grand));
	pg_arg_s(&a, store_kind_name(child));
	pg_arg_s(&a, id);
	return pg_do(c, PQ_DEL_GRAND, sql, "delete", &a, NULL);
}

/* A store_delete_below callback: ctx is the connection, project first. */
struct below {
	struct pg_conn *c;
	const char *project;
};

static int delete_set(void *ctx, enum store_kind kind, enum store_kind via, const char *id)
{
	const struct below *b = ctx;

	if (via == STORE_KIND_COUNT)
		return delete_children(b->c, b->project, kind, id);
	return delete_grandchildren(b->c, b->project, kind, via, id);
}

/* Deletes o (checking its parent when o->parent is set) and everything below it. */
static int delete_obj(struct pg_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "DELETE FROM objects WHERE project = $1 AND kind = $2 "
				  "AND id = $3 AND ($4::text IS NULL OR parent = $4)";
	int err = on_obj(c, PQ_DEL_SELF, sql, "delete", project, o);

	if (!err)
		err = store_delete_below(o->kind, o->id, delete_set,
					 &(struct below){ .c = c, .project = project });
	if (!err && o->kind == STORE_VECTOR_STORE)
		err = pg_vs_drop(c, project, o->id);
	if (!err && o->kind == STORE_FILE)
		err = pg_vs_forget(c, project, o->id);
	return err;
}

void pg_active_statuses(char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "{");
	const char *sep = "";

	for (int s = 0; s < RUN_STATUS_COUNT && n < len; s++) {
		if (!status_run_active(s))
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%s", sep, status_run_name(s));
		sep = ",";
	}
	if (n < len)
		snprintf(out + n, len - n, "}");
}

/* Fails with ERR_CONFLICT if thread has a run in an active status; the thread stays locked,
 * so no run starts on it before the commit. */
static int expect_idle(struct pg_conn *c, const char *project, const char *thread)
{
	static const char lock[] = "SELECT 1 FROM objects WHERE project = $1 AND kind = $2 "
				   "AND id = $3 FOR NO KEY UPDATE";
	static const char sql[] = "SELECT 1 FROM objects WHERE project = $1 AND kind = $2 "
				  "AND parent = $3 AND status = ANY ($4::text[]) LIMIT 1";
	struct pg_args a = { 0 };
	char active[256];
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(STORE_THREAD));
	pg_arg_s(&a, thread);
	err = pg_do(c, PQ_LOCK_THREAD, lock, "expect idle", &a, NULL);
	if (err)
		return err;
	pg_active_statuses(active, sizeof(active));
	a.v[1] = store_kind_name(STORE_RUN);
	pg_arg_s(&a, active);
	err = pg_do(c, PQ_IDLE, sql, "expect idle", &a, &rows);
	if (!err && rows > 0)
		err = ERR_CONFLICT;
	return err;
}

int pg_apply(struct pg_conn *c, const char *project, const struct store_op *op)
{
	assert(op->obj.id);
	switch (op->type) {
	case STORE_PUT:
		return put(c, project, op);
	case STORE_DELETE:
		return delete_obj(c, project, &op->obj);
	case STORE_EXPECT_EXISTS:
		return expect_exists(c, project, &op->obj);
	case STORE_EXPECT_IDLE:
		return expect_idle(c, project, op->obj.id);
	case STORE_EXPECT_LEASE:
		return pg_lease_expect(c, project, op);
	case STORE_SET_LEASE:
		return pg_lease_set(c, project, op);
	case STORE_SET_RUN_ORIGIN:
		return pg_origin_set(c, project, op);
	}
	return ERR_INTERNAL;
}

/* A batch, for pg_tx. */
struct batch {
	const char *project;
	const struct store_op *ops;
	size_t n;
};

static int apply_all(struct pg_conn *c, void *ctx)
{
	const struct batch *b = ctx;
	int err = 0;

	for (size_t i = 0; i < b->n && !err; i++)
		err = pg_apply(c, b->project, &b->ops[i]);
	return err;
}

int pg_write(struct store *base, const char *project, const struct store_op *ops, size_t n)
{
	struct batch b = { .project = project, .ops = ops, .n = n };

	return pg_tx(pg_of(base), apply_all, &b);
}
