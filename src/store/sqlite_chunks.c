/* sqlite_chunks.c - ingestion jobs and the chunks they write, for the SQLite store
 * (vstore.h).
 *
 * A job is an attached file still "in_progress"; there is no separate job table, so a job
 * exists exactly as long as its file waits, and a restart finds the unfinished ones by
 * status. A job writes its chunks in several transactions, each checking the file is still in
 * progress, and ends with store_job_finish; until then searches skip its chunks, since they
 * look at completed files only. Writes add to the keyword index themselves (index_rows);
 * deletes reach it through a trigger (sqlite_migrate.c). */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "sqlite_int.h"
#include "vstore.h"

static void job_from_row(sqlite3_stmt *s, struct vs_job *j)
{
	j->project = sqlite_col_dup(s, 0);
	j->vs = sqlite_col_dup(s, 1);
	j->file = sqlite_col_dup(s, 2);
	j->filename = sqlite_col_dup(s, 3);
	j->body = sqlite_col_dup(s, 4);
	j->seq = sqlite3_column_int64(s, 5);
	if (sqlite3_column_type(s, 6) != SQLITE_NULL)
		j->batch = sqlite_col_dup(s, 6);
}

static int jobs_scan(sqlite3 *db, bool (*skip)(void *ctx, const struct vs_job *j), void *ctx,
		     struct vs_job *jobs, size_t max, size_t *n)
{
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = sqlite_query(db, "SELECT project, vector_store_id, file_id, filename, body, "
			       "seq, batch_id FROM vs_files "
			       "WHERE status = 'in_progress' ORDER BY seq", &s, "jobs", "");

	while (!err && *n < max) {
		err = sqlite_step(db, s, "jobs", &row);
		if (err || !row)
			break;
		job_from_row(s, &jobs[*n]);
		if (skip && skip(ctx, &jobs[*n]))
			vs_job_cleanup(&jobs[*n]);
		else
			(*n)++;
	}
	sqlite3_finalize(s);
	return err;
}

int sqlite_jobs_next(struct store *base, bool (*skip)(void *ctx, const struct vs_job *j),
		    void *ctx, struct vs_job *jobs, size_t max, size_t *n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_read(st, &c);

	*n = 0;
	if (err)
		return err;
	err = jobs_scan(c->db, skip, ctx, jobs, max, n);
	sqlite_read_done(st, c, err);
	if (err) {
		for (size_t i = 0; i < *n; i++)
			vs_job_cleanup(&jobs[i]);
		*n = 0;
	}
	return err;
}

static int drop_chunks(struct sqlite_conn *c, const struct vs_job *j)
{
	return sqlite_exec(c->db, "DELETE FROM chunks WHERE project = ?1 AND vector_store_id = ?2 "
			   "AND file_id = ?3", "drop chunks", "sss", j->project, j->vs, j->file);
}

int sqlite_chunks_clear(struct store *base, const struct vs_job *j)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	return sqlite_end(st, c, drop_chunks(c, j));
}

/* ERR_NOT_FOUND unless the job's file is still in progress. */
static int still_running(struct sqlite_conn *c, const struct vs_job *j)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(c->db, "SELECT 1 FROM vs_files WHERE project = ?1 AND "
			       "vector_store_id = ?2 AND file_id = ?3 AND "
			       "status = 'in_progress' AND seq = ?4", &s, "chunks", "sssi",
			       j->project, j->vs, j->file, j->seq);

	if (!err)
		err = sqlite_step(c->db, s, "chunks", &row);
	sqlite3_finalize(s);
	return !err && !row ? ERR_NOT_FOUND : err;
}

/* Writes the rows of the chunks table and puts their ids in ids[0..n). */
static int insert_rows(struct sqlite_conn *c, const struct vs_job *j, int64_t first,
		       const struct store_chunk *ch, size_t n, int64_t *ids)
{
	sqlite3_stmt *s = NULL;
	int err = sqlite_query(c->db, "INSERT INTO chunks (project, vector_store_id, file_id, idx, "
			       "text, scope, vec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s,
			       "chunks", "sss", j->project, j->vs, j->file);

	if (!err && sqlite3_bind_text(s, 6, sqlite_vs_scope(j->vs), -1, SQLITE_STATIC) != SQLITE_OK)
		err = sqlite_fail(c->db, "chunks");
	for (size_t i = 0; i < n && !err; i++) {
		if (sqlite3_bind_int64(s, 4, first + (int64_t)i) != SQLITE_OK ||
		    sqlite3_bind_text(s, 5, ch[i].text, (int)ch[i].len, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite_vec_bind(s, 7, ch[i].vec, ch[i].dims) != SQLITE_OK)
			err = sqlite_fail(c->db, "chunks");
		else
			err = sqlite_run(c->db, s, "chunks");
		ids[i] = sqlite3_last_insert_rowid(c->db);
	}
	sqlite3_finalize(s);
	return err;
}

/* Adds the rows to the keyword index (external content: it keeps the words, not the text),
 * one plain INSERT each. Done after all of the batch's chunks rows, never through a trigger:
 * a statement that opens a savepoint (a trigger's, or an insert into chunks, which has
 * triggers) makes FTS5 3.40 write out its pending terms as a new segment, so interleaving
 * wrote one segment a chunk and doubled the cost of indexing (BENCHMARKS.md, ingest7). */
static int index_rows(struct sqlite_conn *c, const struct vs_job *j,
		      const struct store_chunk *ch, size_t n, const int64_t *ids)
{
	sqlite3_stmt *s = NULL;
	int err = sqlite_query(c->db, "INSERT INTO chunks_fts (rowid, text, scope) "
			       "VALUES (?1, ?2, ?3)", &s, "index", "");

	if (!err && sqlite3_bind_text(s, 3, sqlite_vs_scope(j->vs), -1, SQLITE_STATIC) != SQLITE_OK)
		err = sqlite_fail(c->db, "index");
	for (size_t i = 0; i < n && !err; i++) {
		if (sqlite3_bind_int64(s, 1, ids[i]) != SQLITE_OK ||
		    sqlite3_bind_text(s, 2, ch[i].text, (int)ch[i].len, SQLITE_STATIC) != SQLITE_OK)
			err = sqlite_fail(c->db, "index");
		else
			err = sqlite_run(c->db, s, "index");
	}
	sqlite3_finalize(s);
	return err;
}

static int insert_chunks(struct sqlite_conn *c, const struct vs_job *j, int64_t first,
			 const struct store_chunk *ch, size_t n)
{
	int64_t *ids = xmalloc((n ? n : 1) * sizeof(*ids));
	int err = insert_rows(c, j, first, ch, n, ids);

	if (!err)
		err = index_rows(c, j, ch, n, ids);
	free(ids);
	return err;
}

int sqlite_chunks_add(struct store *base, const struct vs_job *j, int64_t first,
		     const struct store_chunk *c, size_t n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *conn;
	int err = sqlite_begin(st, &conn);

	if (err)
		return err;
	err = still_running(conn, j);
	if (!err)
		err = insert_chunks(conn, j, first, c, n);
	return sqlite_end(st, conn, err);
}

/* Pages of merged index one compaction step writes: about 60 ms of work for 100k chunks. */
#define COMPACT_PAGES 500

/* FTS5's merge command changes at least two rows when it did some work. */
static int merge_step(struct sqlite_conn *c, bool *more)
{
	int64_t before = sqlite3_total_changes64(c->db);
	int err = sqlite_exec(c->db, "INSERT INTO chunks_fts (chunks_fts, rank) VALUES "
			      "('merge', ?1)", "compact", "i", (int64_t)COMPACT_PAGES);

	*more = !err && sqlite3_total_changes64(c->db) - before >= 2;
	return err;
}

int sqlite_chunks_compact(struct store *base, bool *more)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	*more = false;
	if (err)
		return err;
	return sqlite_end(st, c, merge_step(c, more));
}

/* Sets the file's final status and last_error; ERR_NOT_FOUND if it was no longer running. */
static int finish_row(struct sqlite_conn *c, const struct vs_job *j, const char *status,
		      const char *code, const char *message, int64_t usage)
{
	static const char sql[] =
		"UPDATE vs_files SET status = ?4, usage_bytes = ?5, body = json_set(body, "
		"'$.status', ?4, '$.usage_bytes', ?5, '$.last_error', CASE WHEN ?6 IS NULL THEN "
		"json('null') ELSE json_object('code', ?6, 'message', ?7) END) WHERE "
		"project = ?1 AND vector_store_id = ?2 AND file_id = ?3 AND status = 'in_progress' "
		"AND seq = ?8";
	int err = sqlite_exec(c->db, sql, "finish", "ssssissi", j->project, j->vs, j->file,
			      status, usage, code, message, j->seq);

	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	return err;
}

int sqlite_job_finish(struct store *base, const struct vs_job *j, const char *status,
		     const char *code, const char *message, int64_t usage_bytes)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = finish_row(c, j, status, code, message, usage_bytes);
	if (!err && strcmp(status, "completed") != 0)
		err = drop_chunks(c, j);
	if (!err)
		err = sqlite_vs_count(c, j->project, j->vs, j->batch, "in_progress", status,
				      usage_bytes);
	return sqlite_end(st, c, err);
}

static int chunk_rows(sqlite3 *db, sqlite3_stmt *s, struct store_list *out)
{
	size_t cap = 0;
	bool row = true;
	int err = 0;

	while (!err) {
		err = sqlite_step(db, s, "content", &row);
		if (err || !row)
			break;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->items = xrealloc(out->items, cap * sizeof(*out->items));
		}
		out->items[out->n].id = sqlite_col_dup(s, 0);
		out->items[out->n].body = sqlite_col_dup(s, 1);
		out->n++;
	}
	return err;
}

int sqlite_chunks_of(struct store *base, const char *project, const char *vs, const char *file,
		    struct store_list *out)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	int err = sqlite_read(st, &c);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	err = sqlite_query(c->db, "SELECT idx, text FROM chunks WHERE project = ?1 AND "
			   "vector_store_id = ?2 AND file_id = ?3 ORDER BY idx", &s, "content",
			   "sss", project, vs, file);
	if (!err)
		err = chunk_rows(c->db, s, out);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	if (err)
		store_list_cleanup(out);
	return err;
}
