/* pg_vs.c - the files of vector stores in the PostgreSQL store (vstore.h): attaching,
 * reading, detaching, batches and expiry. Lists are in pg_vs_list.c, the ingestion jobs and
 * chunks in pg_vs_jobs.c.
 *
 * As on SQLite, counts are never computed on read: every change to a file's status updates
 * its store's and its batch's "file_counts"/"status" (and the store's "usage_bytes") in the
 * same transaction, through the SQL functions assistd_vs_recount and assistd_vs_move
 * (pg_vs_schema.c). Several nodes write at once, so every transaction that changes a store's
 * files first locks the store's object row (pg_vs_lock): changes to one store's files take
 * turns, and take their locks in one order (store, batch, files). A transaction PostgreSQL
 * still aborts for a deadlock is run again by pg_tx, so each one below starts from its
 * inputs alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "pg_vs_int.h"

int pg_vs_lock(struct pg_conn *c, const char *project, const char *vs)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "vector store", "SELECT 1 FROM objects WHERE project = $1 AND "
			    "id = $2 AND kind = 'vector_store' FOR UPDATE", "ss", project, vs);

	if (!err && PQntuples(r) == 0)
		err = ERR_NOT_FOUND;
	PQclear(r);
	return err;
}

/* Recounts the files of vs and of batch (when not NULL) into their objects. */
static int recount(struct pg_conn *c, const char *project, const char *vs, const char *batch)
{
	return pgv_query(c, NULL, "vector store counts", "SELECT assistd_vs_recount($1, $2, $3)",
			 "sss", project, vs, batch);
}

int pg_vs_move(struct pg_conn *c, const char *project, const char *vs, const char *batch,
	       const char *from, const char *to, int64_t usage)
{
	return pgv_query(c, NULL, "vector store counts", "SELECT assistd_vs_move($1, $2, $3, $4, "
			 "$5, $6)", "sssssi", project, vs, batch, from, to, usage);
}

/* Sets *out to an owned copy of the first column of the one row sql returns (NULL: no row
 * or a NULL); the parameters are the strings a, b, d. */
static int query_text(struct pg_conn *c, const char *sql, const char *what, char **out,
		      const char *a, const char *b, const char *d)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, what, sql, "sss", a, b, d);

	*out = NULL;
	if (!err && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		*out = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return err;
}

static int drop_chunks(struct pg_conn *c, const char *project, const char *vs,
		       const char *file)
{
	return pgv_query(c, NULL, "drop chunks", "DELETE FROM chunks WHERE project = $1 AND "
			 "vector_store_id = $2 AND file_id = $3", "sss", project, vs, file);
}

/* Inserts one file, replacing an earlier attachment of the same file (its chunks go), and
 * recounts the batch that file used to belong to. */
static int attach_one(struct pg_conn *c, const char *project, const char *vs,
		      const char *batch, const struct vsf_new *f)
{
	static const char sql[] =
		"INSERT INTO vs_files (project, vector_store_id, file_id, batch_id, status, "
		"filename, created_at, seq, usage_bytes, body) VALUES ($1, $2, $3, $4, "
		"'in_progress', $5, $6, nextval('vs_files_seq'), 0, $7) "
		"ON CONFLICT (project, vector_store_id, file_id) DO UPDATE SET batch_id = $4, "
		"status = 'in_progress', filename = $5, usage_bytes = 0, body = $7, "
		"seq = nextval('vs_files_seq'), claimed_by = NULL";
	char *old = NULL;
	int err = query_text(c, "SELECT batch_id FROM vs_files WHERE project = $1 AND "
			     "vector_store_id = $2 AND file_id = $3 FOR UPDATE", "attach", &old,
			     project, vs, f->file_id);

	if (!err)
		err = drop_chunks(c, project, vs, f->file_id);
	if (!err)
		err = pgv_query(c, NULL, "attach", sql, "sssssis", project, vs, f->file_id, batch,
				f->filename, f->created_at, f->body);
	if (!err && old && (!batch || strcmp(old, batch) != 0))
		err = recount(c, project, vs, old);
	free(old);
	return err;
}

/* One call's arguments, for the transactions below. */
struct vs_call {
	const char *project, *vs, *batch, *file, *attrs;
	const struct store_obj *create;
	const struct vsf_new *files;
	size_t n;
	int64_t now, day_s;
	char *body; /* owned: what the call returns */
};

static int attach_tx(struct pg_conn *c, void *ctx)
{
	struct vs_call *a = ctx;
	struct store_op op = { .type = STORE_PUT, .expect_version = -1 };
	int err = 0;

	if (a->create) {
		op.obj = *a->create;
		err = pg_apply(c, a->project, &op);
	}
	if (!err)
		err = pg_vs_lock(c, a->project, a->vs);
	for (size_t i = 0; i < a->n && !err; i++)
		err = attach_one(c, a->project, a->vs, a->batch, &a->files[i]);
	if (!err)
		err = recount(c, a->project, a->vs, a->batch);
	return err;
}

int pg_vsf_attach(struct store *base, const char *project, const char *vs,
		  const struct store_obj *create, const char *batch, const struct vsf_new *files,
		  size_t n)
{
	struct vs_call a = { .project = project, .vs = vs, .batch = batch, .create = create,
			     .files = files, .n = n };
	int err = pg_tx(pg_of(base), attach_tx, &a);

	if (!err && n > 0)
		pg_vs_changed(pg_of(base), project, vs);
	return err;
}

static int get_fn(struct pg_conn *c, void *ctx)
{
	struct vs_call *a = ctx;
	int err;

	free(a->body);
	err = query_text(c, "SELECT body FROM vs_files WHERE project = $1 AND "
			 "vector_store_id = $2 AND file_id = $3", "vector store file", &a->body,
			 a->project, a->vs, a->file);
	return !err && !a->body ? ERR_NOT_FOUND : err;
}

int pg_vsf_get(struct store *base, const char *project, const char *vs, const char *file,
	       char **body)
{
	struct vs_call a = { .project = project, .vs = vs, .file = file };
	int err = pg_with(pg_of(base), get_fn, &a);

	if (err) {
		free(a.body);
		a.body = NULL;
	}
	*body = a.body;
	return err;
}

/* Sets *body to the owned first column of the one row r holds; ERR_NOT_FOUND without one. */
static int one_body(PGresult *r, char **body)
{
	free(*body);
	*body = NULL;
	if (PQntuples(r) == 0)
		return ERR_NOT_FOUND;
	*body = xstrdup(PQgetvalue(r, 0, 0));
	return 0;
}

static int attributes_tx(struct pg_conn *c, void *ctx)
{
	static const char sql[] = "UPDATE vs_files SET body = jsonb_set(body, '{attributes}', "
				  "$4::jsonb) WHERE project = $1 AND vector_store_id = $2 AND "
				  "file_id = $3 RETURNING body";
	struct vs_call *a = ctx;
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "attributes", sql, "ssss", a->project, a->vs, a->file,
			    a->attrs);

	if (!err)
		err = one_body(r, &a->body);
	PQclear(r);
	return err;
}

/* Runs fn in a transaction and hands over the body it read (*body: owned, or NULL). */
static int body_tx(struct store *base, int (*fn)(struct pg_conn *c, void *ctx),
		   struct vs_call *a, char **body)
{
	int err = pg_tx(pg_of(base), fn, a);

	if (err) {
		free(a->body);
		a->body = NULL;
	}
	*body = a->body;
	return err;
}

int pg_vsf_set_attributes(struct store *base, const char *project, const char *vs,
			  const char *file, const char *attrs, char **body)
{
	struct vs_call a = { .project = project, .vs = vs, .file = file, .attrs = attrs };

	return body_tx(base, attributes_tx, &a, body);
}

/* Removes one file of vs (the store's row is locked) and its chunks, and takes it out of the
 * counters. */
static int detach(struct pg_conn *c, const char *project, const char *vs, const char *file)
{
	static const char sql[] = "DELETE FROM vs_files WHERE project = $1 AND "
				  "vector_store_id = $2 AND file_id = $3 "
				  "RETURNING batch_id, status, usage_bytes";
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "detach", sql, "sss", project, vs, file);

	if (!err && PQntuples(r) == 0)
		err = ERR_NOT_FOUND;
	if (!err)
		err = drop_chunks(c, project, vs, file);
	if (!err)
		err = pg_vs_move(c, project, vs, PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0),
				 PQgetvalue(r, 0, 1), NULL, -pg_col_i(r, 0, 2));
	PQclear(r);
	return err;
}

static int detach_tx(struct pg_conn *c, void *ctx)
{
	struct vs_call *a = ctx;
	int err = pg_vs_lock(c, a->project, a->vs);

	return err ? err : detach(c, a->project, a->vs, a->file);
}

int pg_vsf_detach(struct store *base, const char *project, const char *vs, const char *file)
{
	struct vs_call a = { .project = project, .vs = vs, .file = file };
	int err = pg_tx(pg_of(base), detach_tx, &a);

	if (!err)
		pg_vs_changed(pg_of(base), project, vs);
	return err;
}

int pg_vs_forget(struct pg_conn *c, const char *project, const char *file)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "forget", "SELECT o.id FROM objects o JOIN vs_files f ON "
			    "f.project = o.project AND f.vector_store_id = o.id WHERE "
			    "o.project = $1 AND f.file_id = $2 ORDER BY o.id FOR UPDATE OF o",
			    "ss", project, file);

	for (int i = 0; !err && i < PQntuples(r); i++)
		err = detach(c, project, PQgetvalue(r, i, 0), file);
	PQclear(r);
	return err;
}

int pg_vs_drop(struct pg_conn *c, const char *project, const char *vs)
{
	int err = pgv_query(c, NULL, "drop store", "DELETE FROM chunks WHERE project = $1 AND "
			    "vector_store_id = $2", "ss", project, vs);

	if (!err)
		err = pgv_query(c, NULL, "drop store", "DELETE FROM vs_files WHERE project = $1 "
				"AND vector_store_id = $2", "ss", project, vs);
	return err;
}

/* Marks the batch cancelled, and its files still in progress too (their chunks go), when it
 * is in progress. */
static int cancel(struct pg_conn *c, const char *project, const char *vs, const char *batch)
{
	static const char mark[] =
		"UPDATE objects SET version = version + 1, body = jsonb_set(body::jsonb, "
		"'{status}', '\"cancelled\"') WHERE project = $1 AND id = $2 AND "
		"kind = 'vector_store_batch' AND parent = $3 AND "
		"body::jsonb->>'status' = 'in_progress' RETURNING 1";
	static const char stop[] =
		"WITH s AS (UPDATE vs_files SET status = 'cancelled', claimed_by = NULL, "
		"body = jsonb_set(body, '{status}', '\"cancelled\"') "
		"WHERE project = $1 AND batch_id = $2 AND status = 'in_progress' "
		"RETURNING vector_store_id, file_id) "
		"DELETE FROM chunks c USING s WHERE c.project = $1 AND "
		"c.vector_store_id = s.vector_store_id AND c.file_id = s.file_id";
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "cancel batch", mark, "sss", project, batch, vs);
	bool marked = !err && PQntuples(r) > 0;

	PQclear(r);
	if (marked)
		err = pgv_query(c, NULL, "cancel batch", stop, "ss", project, batch);
	if (marked && !err)
		err = recount(c, project, vs, batch);
	return err;
}

static int cancel_tx(struct pg_conn *c, void *ctx)
{
	struct vs_call *a = ctx;
	PGresult *r = NULL;
	int err = pg_vs_lock(c, a->project, a->vs);

	if (!err)
		err = cancel(c, a->project, a->vs, a->batch);
	if (!err)
		err = pgv_query(c, &r, "cancel batch", "SELECT body FROM objects WHERE "
				"project = $1 AND id = $2 AND parent = $3 AND "
				"kind = 'vector_store_batch'", "sss", a->project, a->batch, a->vs);
	if (!err)
		err = one_body(r, &a->body);
	PQclear(r);
	return err;
}

int pg_vsf_cancel_batch(struct store *base, const char *project, const char *vs,
			const char *batch, char **body)
{
	struct vs_call a = { .project = project, .vs = vs, .batch = batch };
	int err = body_tx(base, cancel_tx, &a, body);

	if (!err)
		pg_vs_changed(pg_of(base), project, vs);
	return err;
}

static int touch_tx(struct pg_conn *c, void *ctx)
{
	static const char sql[] =
		"UPDATE objects SET version = version + 1, body = jsonb_set(jsonb_set("
		"body::jsonb, '{last_active_at}', to_jsonb($3::bigint)), '{expires_at}', "
		"CASE WHEN jsonb_typeof(body::jsonb->'expires_after') = 'object' THEN "
		"to_jsonb($3::bigint + (body::jsonb#>>'{expires_after,days}')::bigint * "
		"$4::bigint) ELSE coalesce(body::jsonb->'expires_at', 'null') END) "
		"WHERE project = $1 AND id = $2 AND kind = 'vector_store' AND "
		"(body::jsonb->'last_active_at') IS DISTINCT FROM to_jsonb($3::bigint)";
	struct vs_call *a = ctx;

	return pgv_query(c, NULL, "touch", sql, "ssii", a->project, a->vs, a->now, a->day_s);
}

int pg_vs_touch(struct store *base, const char *project, const char *vs, int64_t now,
		int64_t day_s)
{
	struct vs_call a = { .project = project, .vs = vs, .now = now, .day_s = day_s };

	return pg_tx(pg_of(base), touch_tx, &a);
}

static int expire_tx(struct pg_conn *c, void *ctx)
{
	static const char sql[] =
		"UPDATE objects SET version = version + 1, body = jsonb_set(body::jsonb, "
		"'{status}', '\"expired\"') WHERE kind = 'vector_store' AND "
		"jsonb_typeof(body::jsonb->'expires_at') = 'number' AND "
		"(body::jsonb->>'expires_at')::float8 <= $1::bigint AND "
		"body::jsonb->>'status' <> 'expired'";
	const struct vs_call *a = ctx;

	return pgv_query(c, NULL, "expire", sql, "i", a->now);
}

int pg_vs_expire(struct store *base, int64_t now)
{
	struct vs_call a = { .now = now };

	return pg_tx(pg_of(base), expire_tx, &a);
}

/* --- The vector-store side's state --- */

struct pg_vs_state *pg_vs_open(struct store *st, const char *conninfo)
{
	struct pg_vs_state *s = xcalloc(1, sizeof(*s));
	char host[16] = "";
	char rnd[9] = "";

	(void)gethostname(host, sizeof(host) - 1);
	if (id_random(rnd, sizeof(rnd) - 1) != 0)
		snprintf(rnd, sizeof(rnd), "%08x", (unsigned)clock_us());
	snprintf(s->node, sizeof(s->node), "%s-%d-%s", host, (int)getpid(), rnd);
	s->conninfo = xstrdup(conninfo);
	pthread_mutex_init(&s->claim_mu, NULL);
	s->vec = pg_vec_cache_new(st);
	s->df = pg_df_new();
	return s;
}

void pg_vs_close(struct pg_vs_state *s)
{
	if (!s)
		return;
	pg_vec_cache_free(s->vec);
	pg_df_free(s->df);
	PQfinish(s->claims);
	pthread_mutex_destroy(&s->claim_mu);
	free(s->conninfo);
	free(s);
}
