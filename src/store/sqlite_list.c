/* sqlite_list.c - ordered pages of objects for the SQLite store: store_list, and the
 * cross-project scans store_runs_by_status, store_expired and store_id_exists.
 *
 * A collection is the objects of one project, kind and parent, ordered by (created_at, seq).
 * A page is one range scan of the objects_list index: after/before become exclusive bounds on
 * that pair, and one row past the limit tells whether there are more. The list statement
 * comes in SQ_LIST_VARIANTS shapes (bounds, run, tag or metadata filter, direction), each cached per
 * connection, so that every shape is a plain index range scan. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "sqlite_int.h"

/* A place in a collection's order. */
struct pos {
	int64_t created_at;
	int64_t seq;
};

/* How store_list fetches one page. */
struct page_query {
	int flags;         /* SQ_LIST_* */
	struct pos lo, hi; /* exclusive bounds, when SQ_LIST_GT / SQ_LIST_LT is set */
	bool reverse;      /* walk from `before` backwards, then reverse rows into page order */
};

/* Finds the position of cursor id in the collection. Errors: ERR_INVALID when the id is not
 * in it, ERR_DB. */
static int cursor_pos(struct sqlite_conn *c, const char *project, enum store_kind kind,
		      const char *parent, const char *id, struct pos *out)
{
	static const char sql[] = "SELECT created_at, seq FROM objects WHERE project = ?1 "
				  "AND id = ?2 AND kind = ?3 AND parent IS NOT DISTINCT FROM ?4";
	sqlite3_stmt *s;
	bool row = false;
	int err;

	err = sqlite_prep(c, SQ_CURSOR, sql, &s, "list", "ssss", project, id, store_kind_name(kind),
			  parent);
	if (!err)
		err = sqlite_step(c->db, s, "list", &row);
	if (!err && row) {
		out->created_at = sqlite3_column_int64(s, 0);
		out->seq = sqlite3_column_int64(s, 1);
	}
	if (s)
		sqlite3_reset(s);
	if (!err && !row)
		err = ERR_INVALID;
	return err;
}

static void set_bound(struct page_query *q, int flag, struct pos p)
{
	q->flags |= flag;
	if (flag == SQ_LIST_GT)
		q->lo = p;
	else
		q->hi = p;
}

/* Turns a page request into bounds and a walking direction. With only `before`, the page is
 * the `limit` objects just before it (the previous page), so the walk goes backwards from it;
 * otherwise it goes forwards from `after` (or the start) and `before` only stops it. */
static int plan(struct sqlite_conn *c, const char *project, enum store_kind kind,
		const char *parent, const struct store_page *pg, struct page_query *q)
{
	struct pos p;
	int err = 0;

	memset(q, 0, sizeof(*q));
	if (pg->after) {
		err = cursor_pos(c, project, kind, parent, pg->after, &p);
		if (!err)
			set_bound(q, pg->desc ? SQ_LIST_LT : SQ_LIST_GT, p);
	}
	if (!err && pg->before) {
		err = cursor_pos(c, project, kind, parent, pg->before, &p);
		if (!err)
			set_bound(q, pg->desc ? SQ_LIST_GT : SQ_LIST_LT, p);
	}
	q->reverse = pg->before && !pg->after;
	if (pg->desc != q->reverse)
		q->flags |= SQ_LIST_DESC;
	if (pg->run_id)
		q->flags |= SQ_LIST_RUN;
	if (pg->tag)
		q->flags |= SQ_LIST_TAG;
	if (pg->meta_key)
		q->flags |= SQ_LIST_META;
	return err;
}

/* The SQL of list variant flags. Parameters: ?1 project, ?2 kind, ?3 parent, ?4 run_id,
 * ?5/?6 lower bound, ?7/?8 upper bound, ?9 tag, ?10/?11 metadata key and value, ?12 row
 * limit (the highest number, so that every parameter exists in every variant). */
static char *list_sql(int flags)
{
	const char *dir = flags & SQ_LIST_DESC ? "DESC" : "ASC";

	return xasprintf("SELECT id, body FROM objects WHERE project = ?1 AND kind = ?2 "
			 "AND parent IS NOT DISTINCT FROM ?3%s%s%s%s%s "
			 "ORDER BY created_at %s, seq %s LIMIT ?12",
			 flags & SQ_LIST_RUN ? " AND run_id = ?4" : "",
			 flags & SQ_LIST_TAG ? " AND tag = ?9" : "",
			 flags & SQ_LIST_META ? " AND EXISTS (SELECT 1 FROM json_each(body, "
						"'$.metadata') WHERE key = ?10 AND value = ?11)" : "",
			 flags & SQ_LIST_GT ? " AND (created_at, seq) > (?5, ?6)" : "",
			 flags & SQ_LIST_LT ? " AND (created_at, seq) < (?7, ?8)" : "", dir, dir);
}

int sqlite_page_rows(sqlite3 *db, sqlite3_stmt *s, int limit, struct store_list *out)
{
	bool row = true;
	int err = 0;

	out->items = xcalloc((size_t)limit, sizeof(*out->items));
	while (!err) {
		err = sqlite_step(db, s, "list", &row);
		if (err || !row)
			break;
		if (out->n == (size_t)limit) {
			out->has_more = true;
			break;
		}
		out->items[out->n].id = sqlite_col_dup(s, 0);
		out->items[out->n].body = sqlite_col_dup(s, 1);
		out->n++;
	}
	sqlite3_reset(s);
	return err;
}

static int fetch(struct sqlite_conn *c, const char *project, enum store_kind kind,
		 const char *parent, const struct store_page *pg, const struct page_query *q,
		 struct store_list *out)
{
	int slot = SQ_LIST + q->flags;
	char *sql = c->stmts[slot] ? NULL : list_sql(q->flags);
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, (enum sqlite_slot)slot, sql, &s, "list", "ssssiiiisssi",
			  project, store_kind_name(kind), parent, pg->run_id, q->lo.created_at,
			  q->lo.seq, q->hi.created_at, q->hi.seq, pg->tag, pg->meta_key,
			  pg->meta_value, (int64_t)pg->limit + 1);
	free(sql);
	if (!err)
		err = sqlite_page_rows(c->db, s, pg->limit, out);
	if (!err && q->reverse)
		store_list_reverse(out);
	return err;
}

int sqlite_list(struct store *base, const char *project, enum store_kind kind, const char *parent,
	       const struct store_page *pg, struct store_list *out)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	struct page_query q;
	int err;

	memset(out, 0, sizeof(*out));
	if (pg->limit < 1 || pg->limit > STORE_LIST_MAX)
		return ERR_INVALID;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = plan(c, project, kind, parent, pg, &q);
	if (!err)
		err = fetch(c, project, kind, parent, pg, &q, out);
	sqlite_read_done(st, c, err);
	if (err)
		store_list_cleanup(out);
	return err;
}

/* The SQL for runs in n statuses: ?1 the run kind, ?2.. the statuses. */
static char *runs_sql(size_t n)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	err = buf_puts(&b, "SELECT project, id, body FROM objects WHERE kind = ?1 AND status IN (");
	for (size_t i = 0; i < n && !err; i++)
		err = buf_printf(&b, "%s?%zu", i ? ", " : "", i + 2);
	if (!err)
		err = buf_puts(&b, ") ORDER BY created_at, seq");
	if (err) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_release(&b);
}

/* Appends the current row (project, id, body) to out and *projects. */
static void push_row(sqlite3_stmt *s, struct store_list *out, char ***projects, size_t *cap)
{
	if (out->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		out->items = xrealloc(out->items, *cap * sizeof(*out->items));
		*projects = xrealloc(*projects, *cap * sizeof(**projects));
	}
	(*projects)[out->n] = sqlite_col_dup(s, 0);
	out->items[out->n].id = sqlite_col_dup(s, 1);
	out->items[out->n].body = sqlite_col_dup(s, 2);
	out->n++;
}

/* Rows (project, id, body) of s into out and *projects until the statement ends. */
int sqlite_push_all(sqlite3 *db, sqlite3_stmt *s, const char *what, struct store_list *out,
		    char ***projects)
{
	size_t cap = 0;
	bool row = true;
	int err = 0;

	while (!err && row) {
		err = sqlite_step(db, s, what, &row);
		if (!err && row)
			push_row(s, out, projects, &cap);
	}
	sqlite3_reset(s);
	return err;
}

/* Runs once at start-up, so its statement is prepared for the call and not cached. */
static int runs_query(sqlite3 *db, const char *const *statuses, size_t n, struct store_list *out,
		      char ***projects)
{
	char *sql = runs_sql(n);
	sqlite3_stmt *s = NULL;
	int err = 0;

	if (!sql || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite_bind(s, "s", store_kind_name(STORE_RUN)) != SQLITE_OK) {
		err = sqlite_fail(db, "runs by status");
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (sqlite3_bind_text(s, (int)i + 2, statuses[i], -1, SQLITE_STATIC) != SQLITE_OK)
			err = sqlite_fail(db, "runs by status");
	}
	if (!err)
		err = sqlite_push_all(db, s, "runs by status", out, projects);
out:
	sqlite3_finalize(s);
	free(sql);
	return err;
}

int sqlite_runs_by_status(struct store *base, const char *const *statuses, size_t n,
			 struct store_list *out, char ***projects)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	memset(out, 0, sizeof(*out));
	*projects = NULL;
	if (n == 0)
		return 0;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = runs_query(c->db, statuses, n, out, projects);
	sqlite_read_done(st, c, err);
	if (err) {
		store_projects_free(*projects, out->n);
		*projects = NULL;
		store_list_cleanup(out);
	}
	return err;
}

int sqlite_expired(struct store *base, const char *project, enum store_kind kind, int64_t now,
		  int limit, struct store_list *out, char ***projects)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT project, id, body FROM objects WHERE expires_at <= ?1 "
				  "AND kind = ?2 AND (?3 IS NULL OR project = ?3) "
				  "ORDER BY expires_at LIMIT ?4";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	memset(out, 0, sizeof(*out));
	*projects = NULL;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_EXPIRED, sql, &s, "expired", "issi", now, store_kind_name(kind),
			  project, (int64_t)limit);
	if (!err)
		err = sqlite_push_all(c->db, s, "expired", out, projects);
	sqlite_read_done(st, c, err);
	if (err) {
		store_projects_free(*projects, out->n);
		*projects = NULL;
		store_list_cleanup(out);
	}
	return err;
}

int sqlite_id_exists(struct store *base, enum store_kind kind, const char *id, bool *found)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT 1 FROM objects WHERE id = ?1 AND kind = ?2 LIMIT 1";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	*found = false;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_ID_EXISTS, sql, &s, "id exists", "ss", id, store_kind_name(kind));
	if (!err) {
		err = sqlite_step(c->db, s, "id exists", found);
		sqlite3_reset(s);
	}
	sqlite_read_done(st, c, err);
	return err;
}
