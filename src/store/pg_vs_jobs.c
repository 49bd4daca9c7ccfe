/* pg_vs_jobs.c - ingestion jobs and the chunks they write, for the PostgreSQL store
 * (vstore.h).
 *
 * As on SQLite a job is an attached file still "in_progress". Several nodes ingest at once,
 * so a node claims a job before running it (pg_vs_claim.c): store_jobs_next reads the jobs
 * with FOR UPDATE SKIP LOCKED, so that two nodes asking at once look at different rows, takes
 * the claims it can, and records itself in the rows it took. Only the claiming node may write
 * chunks or finish the job: any other gets ERR_NOT_FOUND and stops, as when the file was
 * cancelled. Each chunk's tsvector and token count are computed by the INSERT, and inserting
 * or deleting chunks with vectors notifies every node's vector cache (the triggers of
 * pg_vs_schema.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"

#define JOBS_PAGE 32 /* jobs read at a time while looking for ones to claim */

static void job_from_row(PGresult *r, int i, struct vs_job *j)
{
	j->project = xstrdup(PQgetvalue(r, i, 0));
	j->vs = xstrdup(PQgetvalue(r, i, 1));
	j->file = xstrdup(PQgetvalue(r, i, 2));
	j->filename = xstrdup(PQgetvalue(r, i, 3));
	j->body = xstrdup(PQgetvalue(r, i, 4));
	j->seq = pg_col_i(r, i, 5);
	j->batch = PQgetisnull(r, i, 6) ? NULL : xstrdup(PQgetvalue(r, i, 6));
}

/* store_jobs_next's arguments and results, for pg_tx. */
struct jobs_call {
	struct pg_vs_state *vs;
	bool (*skip)(void *ctx, const struct vs_job *j);
	void *ctx;
	struct vs_job *jobs;
	size_t max, n;
	int64_t last; /* the seq of the last job looked at */
};

/* Takes job j (already in a->jobs[a->n]) unless skip says this node runs it already or
 * another node holds its claim; records the claim in its row. */
static int take(struct pg_conn *c, struct jobs_call *a, struct vs_job *j)
{
	int err;

	if ((a->skip && a->skip(a->ctx, j)) || !pg_claim_take(a->vs, j)) {
		vs_job_cleanup(j);
		return 0;
	}
	err = pgv_query(c, NULL, "claim job", "UPDATE vs_files SET claimed_by = $4 WHERE "
			"project = $1 AND vector_store_id = $2 AND file_id = $3", "ssss",
			j->project, j->vs, j->file, a->vs->node);
	a->n++;
	return err;
}

/* Looks at the jobs after a->last, locking their rows, and takes what it can; *rows
 * receives how many it looked at. */
static int jobs_page(struct pg_conn *c, struct jobs_call *a, int *rows)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "jobs", "SELECT project, vector_store_id, file_id, filename, "
			    "body, seq, batch_id FROM vs_files WHERE status = 'in_progress' AND "
			    "seq > $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED", "ii", a->last,
			    (int64_t)JOBS_PAGE);

	*rows = err ? 0 : PQntuples(r);
	for (int i = 0; i < *rows && a->n < a->max && !err; i++) {
		job_from_row(r, i, &a->jobs[a->n]);
		a->last = a->jobs[a->n].seq;
		err = take(c, a, &a->jobs[a->n]);
	}
	PQclear(r);
	return err;
}

static void jobs_clear(struct jobs_call *a)
{
	for (size_t i = 0; i < a->n; i++)
		vs_job_cleanup(&a->jobs[i]);
	a->n = 0;
}

static int jobs_tx(struct pg_conn *c, void *ctx)
{
	struct jobs_call *a = ctx;
	int rows = JOBS_PAGE;
	int err = 0;

	jobs_clear(a);
	a->last = 0;
	while (!err && a->n < a->max && rows == JOBS_PAGE)
		err = jobs_page(c, a, &rows);
	return err;
}

int pg_jobs_next(struct store *base, bool (*skip)(void *ctx, const struct vs_job *j),
		 void *ctx, struct vs_job *jobs, size_t max, size_t *n)
{
	struct jobs_call a = { .vs = pg_of(base)->vs, .skip = skip, .ctx = ctx, .jobs = jobs,
			       .max = max };
	int err = pg_tx(pg_of(base), jobs_tx, &a);

	if (err)
		jobs_clear(&a);
	*n = a.n;
	return err;
}

/* The partial index vs_files_jobs holds exactly these rows. */
int pg_jobs_count(struct store *base, int64_t *n)
{
	PGresult *r = NULL;
	int err = pg_stmt_once(pg_of(base), "SELECT count(*) FROM vs_files WHERE "
			       "status = 'in_progress'", "jobs count", NULL, &r);

	*n = err ? 0 : pg_col_i(r, 0, 0);
	PQclear(r);
	return err;
}

static int drop_chunks(struct pg_conn *c, const struct vs_job *j)
{
	return pgv_query(c, NULL, "drop chunks", "DELETE FROM chunks WHERE project = $1 AND "
			 "vector_store_id = $2 AND file_id = $3", "sss", j->project, j->vs,
			 j->file);
}

static int clear_tx(struct pg_conn *c, void *ctx)
{
	return drop_chunks(c, ctx);
}

int pg_chunks_clear(struct store *base, const struct vs_job *j)
{
	int err = pg_tx(pg_of(base), clear_tx, (void *)j);

	if (!err)
		pg_vs_changed(pg_of(base), j->project, j->vs);
	return err;
}

/* ERR_NOT_FOUND unless the job's file is still in progress, attached as the job knows it,
 * and claimed by this node; its row stays locked until the chunks are in. */
static int still_mine(struct pg_conn *c, const char *node, const struct vs_job *j)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "chunks", "SELECT 1 FROM vs_files WHERE project = $1 AND "
			    "vector_store_id = $2 AND file_id = $3 AND status = 'in_progress' AND "
			    "seq = $4 AND claimed_by = $5 FOR SHARE", "sssis", j->project, j->vs,
			    j->file, j->seq, node);

	if (!err && PQntuples(r) == 0)
		err = ERR_NOT_FOUND;
	PQclear(r);
	return err;
}

/* The INSERT of n chunks: $1..$3 the file, then index, text and vector of each. Owned. */
static char *insert_sql(size_t n)
{
	struct buf b;
	int err;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	err = buf_puts(&b, "INSERT INTO chunks (project, vector_store_id, file_id, idx, text, "
		       "tsv, len, vec) SELECT $1, $2, $3, v.idx, v.text, v.tsv, (SELECT "
		       "coalesce(sum(array_length(positions, 1)), 0) FROM unnest(v.tsv)), v.vec "
		       "FROM (SELECT x.idx, x.text, to_tsvector('assistd_text', x.text) AS tsv, "
		       "x.vec FROM (VALUES ");
	for (size_t i = 0; i < n && !err; i++)
		err = buf_printf(&b, "%s($%zu::bigint, $%zu::text, $%zu::bytea)", i ? ", " : "",
				 4 + 3 * i, 5 + 3 * i, 6 + 3 * i);
	if (!err)
		err = buf_puts(&b, ") AS x(idx, text, vec)) AS v");
	return buf_release(&b);
}

static int insert_chunks(struct pg_conn *c, const struct vs_job *j, int64_t first,
			 const struct store_chunk *ch, size_t n)
{
	struct pgv_params p;
	char *sql = insert_sql(n);
	int err;

	pgv_params_init(&p);
	pgv_param_str(&p, j->project);
	pgv_param_str(&p, j->vs);
	pgv_param_str(&p, j->file);
	for (size_t i = 0; i < n; i++) {
		pgv_param_int(&p, first + (int64_t)i);
		pgv_param_bin(&p, ch[i].text, ch[i].len);
		pgv_param_bin(&p, ch[i].vec, ch[i].vec ? (size_t)ch[i].dims * sizeof(float) : 0);
	}
	err = pgv_exec(c, NULL, "chunks", sql, &p, false);
	pgv_params_cleanup(&p);
	free(sql);
	return err;
}

/* A job's call, for pg_tx. */
struct job_call {
	const char *node;
	const struct vs_job *j;
	int64_t first;
	const struct store_chunk *c;
	size_t n;
	const char *status, *code, *message;
	int64_t usage;
};

static int add_tx(struct pg_conn *c, void *ctx)
{
	const struct job_call *a = ctx;
	int err = still_mine(c, a->node, a->j);

	if (!err && a->n > 0)
		err = insert_chunks(c, a->j, a->first, a->c, a->n);
	return err;
}

int pg_chunks_add(struct store *base, const struct vs_job *j, int64_t first,
		  const struct store_chunk *c, size_t n)
{
	struct job_call a = { .node = pg_of(base)->vs->node, .j = j, .first = first, .c = c,
			      .n = n };
	int err = pg_tx(pg_of(base), add_tx, &a);

	if (!err)
		pg_vs_changed(pg_of(base), j->project, j->vs);
	if (err == ERR_NOT_FOUND)
		pg_claim_drop(pg_of(base)->vs, j);
	return err;
}

/* Sets the file's final status and last_error; ERR_NOT_FOUND if this node no longer runs
 * it. */
static int finish_row(struct pg_conn *c, const char *node, const struct vs_job *j,
		      const char *status, const char *code, const char *message, int64_t usage)
{
	static const char sql[] =
		"UPDATE vs_files SET status = $4, usage_bytes = $5, claimed_by = NULL, "
		"body = jsonb_set(jsonb_set(jsonb_set(body, '{status}', "
		"to_jsonb($4::text)), '{usage_bytes}', to_jsonb($5::bigint)), '{last_error}', "
		"CASE WHEN $6::text IS NULL THEN 'null'::jsonb ELSE jsonb_build_object('code', "
		"$6::text, 'message', $7::text) END) WHERE project = $1 AND vector_store_id = $2 "
		"AND file_id = $3 AND status = 'in_progress' AND seq = $8 AND claimed_by = $9 "
		"RETURNING 1";
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "finish", sql, "ssssissis", j->project, j->vs, j->file,
			    status, usage, code, message, j->seq, node);

	if (!err && PQntuples(r) == 0)
		err = ERR_NOT_FOUND;
	PQclear(r);
	return err;
}

static int finish_tx(struct pg_conn *c, void *ctx)
{
	const struct job_call *a = ctx;
	const struct vs_job *j = a->j;
	int err = pg_vs_lock(c, j->project, j->vs);

	if (!err)
		err = finish_row(c, a->node, j, a->status, a->code, a->message, a->usage);
	if (!err && strcmp(a->status, "completed") != 0)
		err = drop_chunks(c, j);
	if (!err)
		err = pg_vs_move(c, j->project, j->vs, j->batch, "in_progress", a->status,
				 a->usage);
	return err;
}

int pg_job_finish(struct store *base, const struct vs_job *j, const char *status,
		  const char *code, const char *message, int64_t usage_bytes)
{
	struct job_call a = { .node = pg_of(base)->vs->node, .j = j, .status = status,
			      .code = code, .message = message, .usage = usage_bytes };
	int err = pg_tx(pg_of(base), finish_tx, &a);

	pg_claim_drop(pg_of(base)->vs, j);
	if (!err && strcmp(status, "completed") != 0)
		pg_vs_changed(pg_of(base), j->project, j->vs);
	return err;
}

/* store_chunks_of's call, for pg_with. */
struct chunks_call {
	const char *project, *vs, *file;
	struct store_list *out;
};

static int chunks_fn(struct pg_conn *c, void *ctx)
{
	struct chunks_call *a = ctx;
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "content", "SELECT idx, text FROM chunks WHERE project = $1 "
			    "AND vector_store_id = $2 AND file_id = $3 ORDER BY idx", "sss",
			    a->project, a->vs, a->file);

	store_list_cleanup(a->out);
	a->out->n = err ? 0 : (size_t)PQntuples(r);
	a->out->items = a->out->n ? xcalloc(a->out->n, sizeof(*a->out->items)) : NULL;
	for (size_t i = 0; i < a->out->n; i++) {
		a->out->items[i].id = xstrdup(PQgetvalue(r, (int)i, 0));
		a->out->items[i].body = xstrdup(PQgetvalue(r, (int)i, 1));
	}
	PQclear(r);
	return err;
}

int pg_chunks_of(struct store *base, const char *project, const char *vs, const char *file,
		 struct store_list *out)
{
	struct chunks_call a = { .project = project, .vs = vs, .file = file, .out = out };

	memset(out, 0, sizeof(*out));
	return pg_with(pg_of(base), chunks_fn, &a);
}

/* Nothing to compact: PostgreSQL's GIN index keeps no segments to merge (its pending list is
 * merged by autovacuum and by gin_pending_list_limit). */
int pg_chunks_compact(struct store *base, bool *more)
{
	(void)base;
	*more = false;
	return 0;
}
