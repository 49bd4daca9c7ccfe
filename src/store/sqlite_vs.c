/* sqlite_vs.c - the files of vector stores in the SQLite store (vstore.h): attaching,
 * listing, detaching, batches, expiry and the ingestion jobs.
 *
 * Counts are never computed on read: every change to a file's status refreshes its store's
 * and its batch's "file_counts"/"status" (and the store's "usage_bytes") in the same
 * transaction, with SQLite's JSON functions, so a retrieve sends stored bytes as for any
 * object. Chunks and the keyword search are in sqlite_chunks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/id.h"
#include "sqlite_int.h"
#include "vstore.h"

/* The five counters of the files matching WHERE clause `where` (?1 project, ?2 the id). */
#define COUNTS(where)                                                                         \
	"json((SELECT json_object('in_progress', count(*) FILTER (WHERE status = 'in_progress'), " \
	"'completed', count(*) FILTER (WHERE status = 'completed'), "                         \
	"'failed', count(*) FILTER (WHERE status = 'failed'), "                               \
	"'cancelled', count(*) FILTER (WHERE status = 'cancelled'), 'total', count(*)) "      \
	"FROM vs_files WHERE " where "))"

/* Brings vector store ?2's counters, usage and status up to date (an expired store stays
 * expired). */
static const char refresh_vs_sql[] =
	"UPDATE objects SET version = version + 1, body = json_set(body, "
	"'$.file_counts', " COUNTS("project = ?1 AND vector_store_id = ?2") ", "
	"'$.usage_bytes', (SELECT coalesce(sum(usage_bytes), 0) FROM vs_files "
	"WHERE project = ?1 AND vector_store_id = ?2), "
	"'$.status', CASE WHEN json_extract(body, '$.status') = 'expired' THEN 'expired' "
	"WHEN EXISTS (SELECT 1 FROM vs_files WHERE project = ?1 AND vector_store_id = ?2 "
	"AND status = 'in_progress') THEN 'in_progress' ELSE 'completed' END) "
	"WHERE project = ?1 AND id = ?2 AND kind = 'vector_store'";

/* The same for batch ?2; a cancelled batch stays cancelled. */
static const char refresh_batch_sql[] =
	"UPDATE objects SET version = version + 1, body = json_set(body, "
	"'$.file_counts', " COUNTS("project = ?1 AND batch_id = ?2") ", "
	"'$.status', CASE WHEN json_extract(body, '$.status') = 'cancelled' THEN 'cancelled' "
	"WHEN EXISTS (SELECT 1 FROM vs_files WHERE project = ?1 AND batch_id = ?2 "
	"AND status = 'in_progress') THEN 'in_progress' ELSE 'completed' END) "
	"WHERE project = ?1 AND id = ?2 AND kind = 'vector_store_batch'";

/* Refreshes the counters of vs and of batch (when not NULL). */
static int refresh(struct sqlite_conn *c, const char *project, const char *vs, const char *batch)
{
	int err = sqlite_exec(c->db, refresh_vs_sql, "vector store counts", "ss", project, vs);

	if (!err && batch)
		err = sqlite_exec(c->db, refresh_batch_sql, "batch counts", "ss", project, batch);
	return err;
}

/* Sets *out to an owned copy of a text column of the one row sql returns (NULL: no row). */
static int query_text(struct sqlite_conn *c, const char *sql, const char *what, char **out,
		      const char *a, const char *b, const char *d)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(c->db, sql, &s, what, "sss", a, b, d);

	*out = NULL;
	if (!err)
		err = sqlite_step(c->db, s, what, &row);
	if (!err && row && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*out = sqlite_col_dup(s, 0);
	sqlite3_finalize(s);
	return err;
}

/* The batch a file of vs belongs to (owned, or NULL), before the file changes. */
static int batch_of(struct sqlite_conn *c, const char *project, const char *vs, const char *file,
		    char **batch)
{
	return query_text(c, "SELECT batch_id FROM vs_files WHERE project = ?1 AND "
			  "vector_store_id = ?2 AND file_id = ?3", "vector store file", batch,
			  project, vs, file);
}

const char *sqlite_vs_scope(const char *vs)
{
	size_t n = strlen(ID_VECTOR_STORE);

	return strncmp(vs, ID_VECTOR_STORE, n) == 0 ? vs + n : vs;
}

/* The UPDATE moving one file from counter ?4 to counter ?5 (has_from/has_to false: a file
 * comes or goes) in object ?2, and adding ?3 to usage_bytes when usage. The status follows the
 * new in_progress count (dip is how it changes), except an expired store or a cancelled batch,
 * which stay so. Owned. */
static char *count_sql(bool has_from, bool has_to, int dip, bool usage)
{
	return xasprintf(
		"UPDATE objects SET version = version + 1, body = json_set(body%s%s, "
		"'$.file_counts.total', json_extract(body, '$.file_counts.total') + %d, "
		"'$.status', CASE WHEN json_extract(body, '$.status') IN ('expired', "
		"'cancelled') THEN json_extract(body, '$.status') WHEN json_extract(body, "
		"'$.file_counts.in_progress') + %d > 0 THEN 'in_progress' ELSE 'completed' "
		"END%s) "
		"WHERE project = ?1 AND id = ?2",
		has_from ? ", '$.file_counts.' || ?4, "
			   "json_extract(body, '$.file_counts.' || ?4) - 1" : "",
		has_to ? ", '$.file_counts.' || ?5, "
			 "json_extract(body, '$.file_counts.' || ?5) + 1" : "",
		(int)has_to - (int)has_from, dip,
		usage ? ", '$.usage_bytes', json_extract(body, '$.usage_bytes') + ?3" : "");
}

static int is_ip(const char *status)
{
	return status && strcmp(status, "in_progress") == 0;
}

/* Runs a count_sql statement for object id; ?3..?5 are bound when the statement uses them. */
static int count_run(struct sqlite_conn *c, const char *sql, const char *project,
		     const char *id, int64_t usage, const char *from, const char *to)
{
	sqlite3_stmt *s = NULL;
	int n;
	int err = sqlite_query(c->db, sql, &s, "vector store counts", "ss", project, id);

	n = s ? sqlite3_bind_parameter_count(s) : 0;
	if (!err && ((n >= 3 && sqlite3_bind_int64(s, 3, usage) != SQLITE_OK) ||
		     (n >= 4 && sqlite3_bind_text(s, 4, from, -1, SQLITE_STATIC) != SQLITE_OK) ||
		     (n >= 5 && sqlite3_bind_text(s, 5, to, -1, SQLITE_STATIC) != SQLITE_OK)))
		err = sqlite_fail(c->db, "vector store counts");
	if (!err)
		err = sqlite_run(c->db, s, "vector store counts");
	sqlite3_finalize(s);
	return err;
}

int sqlite_vs_count(struct sqlite_conn *c, const char *project, const char *vs,
		    const char *batch, const char *from, const char *to, int64_t usage)
{
	int dip = is_ip(to) - is_ip(from);
	char *sql;
	int err;

	/* json_set applies its paths in turn on the old values: the same counter twice would
	 * lose the decrement, so an unchanged status changes only the usage. */
	if (from && to && strcmp(from, to) == 0)
		from = to = NULL;
	sql = count_sql(from != NULL, to != NULL, dip, true);
	err = count_run(c, sql, project, vs, usage, from, to);
	free(sql);
	if (!err && batch) {
		sql = count_sql(from != NULL, to != NULL, dip, false);
		err = count_run(c, sql, project, batch, usage, from, to);
		free(sql);
	}
	return err;
}

static int chunks_drop(struct sqlite_conn *c, const char *project, const char *vs,
		       const char *file)
{
	return sqlite_exec(c->db, "DELETE FROM chunks WHERE project = ?1 AND vector_store_id = ?2 "
			   "AND file_id = ?3", "drop chunks", "sss", project, vs, file);
}

/* Inserts one file, replacing an earlier attachment of the same file, and refreshes the batch
 * that file used to belong to. */
static int attach_one(struct sqlite_conn *c, const char *project, const char *vs,
		      const char *batch, const struct vsf_new *f)
{
	static const char sql[] =
		"INSERT INTO vs_files (project, vector_store_id, file_id, batch_id, status, "
		"filename, created_at, seq, usage_bytes, body) VALUES (?1, ?2, ?3, ?4, "
		"'in_progress', ?5, ?6, (SELECT coalesce(max(seq), 0) + 1 FROM vs_files), 0, ?7) "
		"ON CONFLICT DO UPDATE SET batch_id = ?4, status = 'in_progress', filename = ?5, "
		"usage_bytes = 0, body = ?7, "
		"seq = (SELECT coalesce(max(seq), 0) + 1 FROM vs_files)";
	char *old = NULL;
	int err = batch_of(c, project, vs, f->file_id, &old);

	if (!err)
		err = chunks_drop(c, project, vs, f->file_id);
	if (!err)
		err = sqlite_exec(c->db, sql, "attach", "sssssis", project, vs, f->file_id, batch,
				  f->filename, f->created_at, f->body);
	if (!err && old && (!batch || strcmp(old, batch) != 0))
		err = sqlite_exec(c->db, refresh_batch_sql, "batch counts", "ss", project, old);
	free(old);
	return err;
}

static int vs_exists(struct sqlite_conn *c, const char *project, const char *vs)
{
	char *id = NULL;
	int err = query_text(c, "SELECT id FROM objects WHERE project = ?1 AND id = ?2 AND "
			     "kind = ?3", "vector store", &id, project, vs,
			     store_kind_name(STORE_VECTOR_STORE));

	if (!err && !id)
		err = ERR_NOT_FOUND;
	free(id);
	return err;
}

int sqlite_vsf_attach(struct store *base, const char *project, const char *vs,
		     const struct store_obj *create, const char *batch,
		     const struct vsf_new *files, size_t n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct store_op op = { .type = STORE_PUT, .expect_version = -1 };
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	if (create) {
		op.obj = *create;
		err = sqlite_apply(c, project, &op);
	}
	if (!err)
		err = vs_exists(c, project, vs);
	for (size_t i = 0; i < n && !err; i++)
		err = attach_one(c, project, vs, batch, &files[i]);
	if (!err)
		err = refresh(c, project, vs, batch);
	return sqlite_end(st, c, err);
}

int sqlite_vsf_get(struct store *base, const char *project, const char *vs, const char *file,
		  char **body)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_read(st, &c);

	*body = NULL;
	if (err)
		return err;
	err = query_text(c, "SELECT body FROM vs_files WHERE project = ?1 AND "
			 "vector_store_id = ?2 AND file_id = ?3", "vector store file", body,
			 project, vs, file);
	if (!err && !*body)
		err = ERR_NOT_FOUND;
	sqlite_read_done(st, c, err);
	return err;
}

int sqlite_vsf_set_attributes(struct store *base, const char *project, const char *vs,
			     const char *file, const char *attrs, char **body)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "UPDATE vs_files SET body = json_set(body, '$.attributes', "
				  "json(?4)) WHERE project = ?1 AND vector_store_id = ?2 AND "
				  "file_id = ?3";
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	*body = NULL;
	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "attributes", "ssss", project, vs, file, attrs);
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	if (!err)
		err = query_text(c, "SELECT body FROM vs_files WHERE project = ?1 AND "
				 "vector_store_id = ?2 AND file_id = ?3", "attributes", body,
				 project, vs, file);
	err = sqlite_end(st, c, err);
	if (err) {
		free(*body);
		*body = NULL;
	}
	return err;
}

/* A file's batch (owned, or NULL), status and usage, before it changes. */
struct file_state {
	char *batch;
	char status[16];
	int64_t usage;
};

static int file_state(struct sqlite_conn *c, const char *project, const char *vs,
		      const char *file, struct file_state *fs)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(c->db, "SELECT batch_id, status, usage_bytes FROM vs_files WHERE "
			       "project = ?1 AND vector_store_id = ?2 AND file_id = ?3", &s,
			       "vector store file", "sss", project, vs, file);

	memset(fs, 0, sizeof(*fs));
	if (!err)
		err = sqlite_step(c->db, s, "vector store file", &row);
	if (!err && row) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			fs->batch = sqlite_col_dup(s, 0);
		snprintf(fs->status, sizeof(fs->status), "%s", sqlite3_column_text(s, 1));
		fs->usage = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return !err && !row ? ERR_NOT_FOUND : err;
}

/* Removes one file of vs and its chunks, and takes it out of the counters. */
static int detach(struct sqlite_conn *c, const char *project, const char *vs, const char *file)
{
	struct file_state fs;
	int err = file_state(c, project, vs, file, &fs);

	if (!err)
		err = sqlite_exec(c->db, "DELETE FROM vs_files WHERE project = ?1 AND "
				  "vector_store_id = ?2 AND file_id = ?3", "detach", "sss",
				  project, vs, file);
	if (!err)
		err = chunks_drop(c, project, vs, file);
	if (!err)
		err = sqlite_vs_count(c, project, vs, fs.batch, fs.status, NULL, -fs.usage);
	free(fs.batch);
	return err;
}

int sqlite_vsf_detach(struct store *base, const char *project, const char *vs, const char *file)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	return sqlite_end(st, c, detach(c, project, vs, file));
}

/* The vector stores file is in (owned list of owned ids). */
static int stores_of(struct sqlite_conn *c, const char *project, const char *file,
		     char ***ids, size_t *n)
{
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = sqlite_query(c->db, "SELECT vector_store_id FROM vs_files WHERE project = ?1 "
			       "AND file_id = ?2", &s, "forget", "ss", project, file);

	*ids = NULL;
	*n = 0;
	while (!err && row) {
		err = sqlite_step(c->db, s, "forget", &row);
		if (err || !row)
			break;
		*ids = xrealloc(*ids, (*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = sqlite_col_dup(s, 0);
	}
	sqlite3_finalize(s);
	return err;
}

int sqlite_vs_forget(struct sqlite_conn *c, const char *project, const char *file)
{
	char **ids = NULL;
	size_t n = 0;
	int err = stores_of(c, project, file, &ids, &n);

	for (size_t i = 0; i < n && !err; i++)
		err = detach(c, project, ids[i], file);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return err;
}

int sqlite_vsf_cancel_batch(struct store *base, const char *project, const char *vs,
			   const char *batch, char **body)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char mark[] =
		"UPDATE objects SET body = json_set(body, '$.status', 'cancelled') WHERE "
		"project = ?1 AND id = ?2 AND kind = 'vector_store_batch' AND parent = ?3 AND "
		"json_extract(body, '$.status') = 'in_progress'";
	static const char stop[] =
		"UPDATE vs_files SET status = 'cancelled', body = json_set(body, '$.status', "
		"'cancelled') WHERE project = ?1 AND batch_id = ?2 AND status = 'in_progress'";
	static const char drop[] =
		"DELETE FROM chunks WHERE project = ?1 AND (vector_store_id, file_id) IN (SELECT "
		"vector_store_id, file_id FROM vs_files WHERE project = ?1 AND batch_id = ?2 AND "
		"status = 'cancelled')";
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	*body = NULL;
	if (err)
		return err;
	err = sqlite_exec(c->db, mark, "cancel batch", "sss", project, batch, vs);
	if (!err && sqlite3_changes(c->db) > 0) {
		err = sqlite_exec(c->db, stop, "cancel batch", "ss", project, batch);
		if (!err)
			err = sqlite_exec(c->db, drop, "cancel batch", "ss", project, batch);
		if (!err)
			err = refresh(c, project, vs, batch);
	}
	if (!err)
		err = query_text(c, "SELECT body FROM objects WHERE project = ?1 AND id = ?2 AND "
				 "parent = ?3 AND kind = 'vector_store_batch'", "cancel batch",
				 body, project, batch, vs);
	if (!err && !*body)
		err = ERR_NOT_FOUND;
	err = sqlite_end(st, c, err);
	if (err) {
		free(*body);
		*body = NULL;
	}
	return err;
}

int sqlite_vs_touch(struct store *base, const char *project, const char *vs, int64_t now,
		   int64_t day_s)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] =
		"UPDATE objects SET version = version + 1, body = json_set(body, "
		"'$.last_active_at', ?3, '$.expires_at', CASE WHEN json_type(body, "
		"'$.expires_after') = 'object' THEN ?3 + json_extract(body, "
		"'$.expires_after.days') * ?4 ELSE json_extract(body, '$.expires_at') END) "
		"WHERE project = ?1 AND id = ?2 AND kind = 'vector_store' AND "
		"json_extract(body, '$.last_active_at') IS NOT ?3";
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "touch", "ssii", project, vs, now, day_s);
	return sqlite_end(st, c, err);
}

int sqlite_vs_expire(struct store *base, int64_t now)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] =
		"UPDATE objects SET version = version + 1, body = json_set(body, '$.status', "
		"'expired') WHERE kind = 'vector_store' AND json_extract(body, '$.expires_at') "
		"<= ?1 AND json_extract(body, '$.status') <> 'expired'";
	struct sqlite_conn *c;
	int err = sqlite_begin(st, &c);

	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "expire", "i", now);
	return sqlite_end(st, c, err);
}

int sqlite_vs_drop(struct sqlite_conn *c, const char *project, const char *vs)
{
	int err = sqlite_exec(c->db, "DELETE FROM chunks WHERE project = ?1 AND "
			      "vector_store_id = ?2", "drop store", "ss", project, vs);

	if (!err)
		err = sqlite_exec(c->db, "DELETE FROM vs_files WHERE project = ?1 AND "
				  "vector_store_id = ?2", "drop store", "ss", project, vs);
	return err;
}

/* --- Lists --- */

/* The position of file id in the list, or ERR_INVALID. */
static int vsf_pos(struct sqlite_conn *c, const char *project, const char *vs, const char *id,
		   int64_t pos[2])
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(c->db, "SELECT created_at, seq FROM vs_files WHERE project = ?1 "
			       "AND vector_store_id = ?2 AND file_id = ?3", &s, "list files",
			       "sss", project, vs, id);

	if (!err)
		err = sqlite_step(c->db, s, "list files", &row);
	if (!err && row) {
		pos[0] = sqlite3_column_int64(s, 0);
		pos[1] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return !err && !row ? ERR_INVALID : err;
}

/* The page's SQL: ?1 project, ?2 vs, ?3 batch, ?4 status, ?5/?6 after, ?7/?8 before, ?9 limit.
 * Like store_list, a page with only `before` walks backwards from it. Owned. */
static char *vsf_list_sql(const char *batch, const char *status, const struct store_page *pg,
			  bool back)
{
	const char *dir = pg->desc != back ? "DESC" : "ASC";
	char after[64] = "";
	char before[64] = "";

	if (pg->after)
		snprintf(after, sizeof(after), " AND (created_at, seq) %s (?5, ?6)",
			 pg->desc ? "<" : ">");
	if (pg->before)
		snprintf(before, sizeof(before), " AND (created_at, seq) %s (?7, ?8)",
			 pg->desc ? ">" : "<");
	return xasprintf("SELECT file_id, body FROM vs_files WHERE project = ?1 AND "
			 "vector_store_id = ?2%s%s%s%s ORDER BY created_at %s, seq %s LIMIT ?9",
			 batch ? " AND batch_id = ?3" : "", status ? " AND status = ?4" : "",
			 after, before, dir, dir);
}

static int vsf_page(struct sqlite_conn *c, const char *project, const char *vs,
		    const char *batch, const char *status, const struct store_page *pg,
		    struct store_list *out)
{
	int64_t lo[2] = { 0, 0 }, hi[2] = { 0, 0 };
	bool back = pg->before && !pg->after;
	sqlite3_stmt *s = NULL;
	char *sql;
	int err = 0;

	if (pg->after)
		err = vsf_pos(c, project, vs, pg->after, lo);
	if (!err && pg->before)
		err = vsf_pos(c, project, vs, pg->before, hi);
	if (err)
		return err;
	sql = vsf_list_sql(batch, status, pg, back);
	err = sqlite_query(c->db, sql, &s, "list files", "ssssiiiii", project, vs, batch, status,
			   lo[0], lo[1], hi[0], hi[1], (int64_t)pg->limit + 1);
	free(sql);
	if (!err)
		err = sqlite_page_rows(c->db, s, pg->limit, out);
	sqlite3_finalize(s);
	if (!err && back)
		store_list_reverse(out);
	return err;
}

int sqlite_vsf_list(struct store *base, const char *project, const char *vs, const char *batch,
		   const char *status, const struct store_page *pg, struct store_list *out)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	memset(out, 0, sizeof(*out));
	if (pg->limit < 1 || pg->limit > 100)
		return ERR_INVALID;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = vsf_page(c, project, vs, batch, status, pg, out);
	sqlite_read_done(st, c, err);
	if (err)
		store_list_cleanup(out);
	return err;
}

/* The partial index vs_files_jobs holds exactly these rows, so this reads no table. */
int sqlite_jobs_count(struct store *base, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM vs_files WHERE status = 'in_progress'";
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_read(st, &c);

	*n = 0;
	if (err)
		return err;
	err = sqlite_query(c->db, sql, &s, "jobs count", "");
	if (!err)
		err = sqlite_step(c->db, s, "jobs count", &row);
	if (!err && row)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	return err;
}
