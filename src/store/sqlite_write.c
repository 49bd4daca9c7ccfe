/* sqlite_write.c - store_write and its one-op shortcuts, for the SQLite store.
 *
 * A batch runs in one BEGIN IMMEDIATE transaction on one pooled connection while holding the
 * process's write lock; the first op that fails rolls the whole batch back and its error is
 * returned. Deleting an object deletes everything below it (see store_tree[]); a new object is
 * written only while its parent exists, so nothing is ever left without one; a run or step
 * changes status only as the table in base/status.c allows. Reads, lists and keys are
 * elsewhere (sqlite.c, sqlite_list.c, sqlite_keys.c). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../base/status.h"
#include "sqlite_int.h"

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int peek(struct sqlite_conn *c, const char *project, const struct store_obj *o,
		struct store_stored *out)
{
	static const char sql[] = "SELECT kind, parent, version, status FROM objects "
				  "WHERE project = ?1 AND id = ?2";
	sqlite3_stmt *s = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	err = sqlite_prep(c, SQ_PEEK, sql, &s, "put", "ss", project, o->id);
	if (!err)
		err = sqlite_step(c->db, s, "put", &out->found);
	if (!err && out->found)
		store_stored_fill(out, o, col_text(s, 0), col_text(s, 1),
				  sqlite3_column_int64(s, 2), col_text(s, 3));
	if (s)
		sqlite3_reset(s);
	return err;
}

/* Fails with ERR_NOT_FOUND unless o exists (under o->parent, when set). */
static int expect_exists(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "SELECT 1 FROM objects WHERE project = ?1 AND kind = ?2 "
				  "AND id = ?3 AND (?4 IS NULL OR parent = ?4)";
	sqlite3_stmt *s;
	bool row = false;
	int err;

	err = sqlite_prep(c, SQ_EXISTS, sql, &s, "expect", "ssss", project,
			  store_kind_name(o->kind), o->id, o->parent);
	if (!err)
		err = sqlite_step(c->db, s, "expect", &row);
	if (s)
		sqlite3_reset(s);
	if (!err && !row)
		err = ERR_NOT_FOUND;
	return err;
}

/* Fails with ERR_NOT_FOUND unless the object o hangs under (its thread, its run) exists. A
 * put that creates an object checks this in its transaction, so no write ever creates an
 * orphan, whoever deleted the parent and whenever. Top-level kinds have no parent. */
static int expect_parent(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	struct store_obj parent = { .id = o->parent };

	if (!store_parent_kind(o->kind, &parent.kind))
		return 0;
	return o->parent ? expect_exists(c, project, &parent) : ERR_NOT_FOUND;
}

/* Inserts a new object with version 1 and the next seq. Errors: ERR_CONFLICT if the id is
 * taken. */
static int insert(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] =
		"INSERT INTO objects (project, kind, id, parent, run_id, status, created_at, seq, "
		"version, body, tag, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"(SELECT COALESCE(MAX(seq), 0) + 1 FROM objects), 1, ?8, ?9, NULLIF(?10, 0)) "
		"ON CONFLICT DO NOTHING";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_INSERT, sql, &s, "put", "ssssssissi", project,
			  store_kind_name(o->kind), o->id, o->parent, o->run_id, o->status,
			  (int64_t)o->created_at, o->body, o->tag, o->expires_at);
	if (!err)
		err = sqlite_run(c->db, s, "put");
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_CONFLICT;
	return err;
}

/* Replaces the body and mutable columns; kind, parent, created_at and seq stay. */
static int update(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "UPDATE objects SET run_id = ?3, status = ?4, body = ?5, "
				  "tag = ?6, expires_at = NULLIF(?7, 0), version = version + 1 "
				  "WHERE project = ?1 AND id = ?2";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_UPDATE, sql, &s, "put", "ssssssi", project, o->id, o->run_id,
			  o->status, o->body, o->tag, o->expires_at);
	if (!err)
		err = sqlite_run(c->db, s, "put");
	return err;
}

/* Inserts o once its parent is known to exist. */
static int insert_child(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	int err = expect_parent(c, project, o);

	if (!err)
		err = insert(c, project, o);
	return err;
}

static int put(struct sqlite_conn *c, const char *project, const struct store_op *op)
{
	struct store_stored old = { 0 };
	bool insert = false;
	int err = 0;

	assert(op->obj.body && (unsigned)op->obj.kind < STORE_KIND_COUNT);
	if (op->expect_version >= 0)
		err = peek(c, project, &op->obj, &old);
	if (!err)
		err = store_put_decide(op, &old, &insert);
	if (err)
		return err;
	return insert ? insert_child(c, project, &op->obj) : update(c, project, &op->obj);
}

static int delete_children(struct sqlite_conn *c, const char *project, enum store_kind child,
			   const char *id)
{
	static const char sql[] = "DELETE FROM objects "
				  "WHERE project = ?1 AND kind = ?2 AND parent = ?3";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_DEL_CHILDREN, sql, &s, "delete", "sss", project,
			  store_kind_name(child), id);
	if (!err)
		err = sqlite_run(c->db, s, "delete");
	return err;
}

/* Deletes the objects of kind grand whose parent is an object of kind child under id. */
static int delete_grandchildren(struct sqlite_conn *c, const char *project,
				enum store_kind grand, enum store_kind child, const char *id)
{
	static const char sql[] =
		"DELETE FROM objects WHERE project = ?1 AND kind = ?2 AND parent IN "
		"(SELECT id FROM objects WHERE project = ?1 AND kind = ?3 AND parent = ?4)";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_DEL_GRAND, sql, &s, "delete", "ssss", project,
			  store_kind_name(grand), store_kind_name(child), id);
	if (!err)
		err = sqlite_run(c->db, s, "delete");
	return err;
}

/* A store_delete_below callback: ctx is the connection, project first. */
struct below {
	struct sqlite_conn *c;
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
static int delete_obj(struct sqlite_conn *c, const char *project, const struct store_obj *o)
{
	static const char sql[] = "DELETE FROM objects WHERE project = ?1 AND kind = ?2 "
				  "AND id = ?3 AND (?4 IS NULL OR parent = ?4)";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_DEL_SELF, sql, &s, "delete", "ssss", project,
			  store_kind_name(o->kind), o->id, o->parent);
	if (!err)
		err = sqlite_run(c->db, s, "delete");
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	if (!err)
		err = store_delete_below(o->kind, o->id, delete_set,
					 &(struct below){ .c = c, .project = project });
	if (!err && o->kind == STORE_VECTOR_STORE)
		err = sqlite_vs_drop(c, project, o->id);
	if (!err && o->kind == STORE_FILE)
		err = sqlite_vs_forget(c, project, o->id);
	return err;
}

void sqlite_active_list(char *sql, size_t len)
{
	size_t n = 0;
	const char *sep = "";

	sql[0] = '\0';
	for (int s = 0; s < RUN_STATUS_COUNT && n < len; s++) {
		if (!status_run_active(s))
			continue;
		n += (size_t)snprintf(sql + n, len - n, "%s'%s'", sep, status_run_name(s));
		sep = ", ";
	}
}

/* The query of expect_idle, its status list written from the status table. */
static void idle_sql(char *sql, size_t len)
{
	char list[256];

	sqlite_active_list(list, sizeof(list));
	snprintf(sql, len, "SELECT 1 FROM objects WHERE project = ?1 AND kind = ?2 AND "
			   "parent = ?3 AND status IN (%s) LIMIT 1", list);
}

/* Fails with ERR_CONFLICT if thread has a run in an active status (see store.h). */
static int expect_idle(struct sqlite_conn *c, const char *project, const char *thread)
{
	char sql[512];
	sqlite3_stmt *s;
	bool row = false;
	int err;

	idle_sql(sql, sizeof(sql));
	err = sqlite_prep(c, SQ_IDLE, sql, &s, "expect idle", "sss", project,
			  store_kind_name(STORE_RUN), thread);
	if (!err)
		err = sqlite_step(c->db, s, "expect idle", &row);
	if (s)
		sqlite3_reset(s);
	if (!err && row)
		err = ERR_CONFLICT;
	return err;
}

int sqlite_apply(struct sqlite_conn *c, const char *project, const struct store_op *op)
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
		return sqlite_lease_expect(c, project, op);
	case STORE_SET_LEASE:
		return sqlite_lease_set(c, project, op);
	case STORE_SET_RUN_ORIGIN:
		return sqlite_origin_set(c, project, op);
	}
	return ERR_INTERNAL;
}

int sqlite_write(struct store *base, const char *project, const struct store_op *ops, size_t n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = sqlite_apply(c, project, &ops[i]);
	return sqlite_end(st, c, err);
}
