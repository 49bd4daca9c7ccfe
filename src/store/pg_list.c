/* pg_list.c - ordered pages of objects for the PostgreSQL store: store_list, and the
 * cross-project scans store_runs_by_status, store_expired and store_id_exists.
 *
 * The same pages as the SQLite store (sqlite_list.c): a collection is the objects of one
 * project, kind and parent ordered by (created_at, seq); after/before become exclusive bounds
 * on that pair, found in the same statement as the page, so each page is one statement and
 * sees one committed snapshot. One row past the limit tells whether there are more. The
 * statement comes in one shape per combination of filters and direction, each prepared once
 * per connection. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_int.h"

/* Variant flags of the list statement; slot PQ_LIST + flags caches that variant. */
enum {
	PL_RUN = 1,   /* filter by run_id */
	PL_GT = 2,    /* lower bound: the cursor in $5 */
	PL_LT = 4,    /* upper bound: the cursor in $6 */
	PL_DESC = 8,  /* walk newest first */
	PL_TAG = 16,  /* filter by tag */
	PL_META = 32, /* filter by one metadata key and value */
};

/* The position of cursor $n in the collection, as a row value. */
#define CURSOR_POS(n)                                                                      \
	"(SELECT c.created_at, c.seq FROM objects c WHERE c.project = $1 AND c.id = $" n \
	" AND c.kind = $2 AND c.parent IS NOT DISTINCT FROM $3)"

/* The SQL of list variant flags. Parameters: $1 project, $2 kind, $3 parent, $4 run_id,
 * $5 lower-bound cursor, $6 upper-bound cursor, $7 tag, $8/$9 metadata key and value, $10
 * row limit. A cursor that is not in the collection makes its bound NULL: no rows (the
 * caller tells that apart, see cursors_ok). */
static char *list_sql(int flags)
{
	const char *dir = flags & PL_DESC ? "DESC" : "ASC";

	return xasprintf("SELECT id, body FROM objects WHERE project = $1 AND kind = $2 "
			 "AND parent IS NOT DISTINCT FROM $3::text%s%s%s%s%s "
			 "ORDER BY created_at %s, seq %s LIMIT $10::bigint",
			 flags & PL_RUN ? " AND run_id = $4" : " AND $4::text IS NULL",
			 flags & PL_TAG ? " AND tag = $7" : " AND $7::text IS NULL",
			 flags & PL_META ? " AND (body::jsonb -> 'metadata') ->> $8::text = $9"
					 : " AND $8::text IS NULL AND $9::text IS NULL",
			 flags & PL_GT ? " AND (created_at, seq) > " CURSOR_POS("5")
				       : " AND $5::text IS NULL",
			 flags & PL_LT ? " AND (created_at, seq) < " CURSOR_POS("6")
				       : " AND $6::text IS NULL",
			 dir, dir);
}

/* How store_list fetches one page: which cursor bounds which side, and the direction. */
struct page_query {
	int flags;
	const char *lo, *hi; /* cursor ids of the exclusive bounds, or NULL */
	bool reverse; /* walk from `before` backwards, then reverse rows into page order */
};

static void plan(const struct store_page *pg, struct page_query *q)
{
	memset(q, 0, sizeof(*q));
	q->lo = pg->desc ? pg->before : pg->after;
	q->hi = pg->desc ? pg->after : pg->before;
	q->reverse = pg->before && !pg->after;
	q->flags = (q->lo ? PL_GT : 0) | (q->hi ? PL_LT : 0) | (pg->run_id ? PL_RUN : 0) |
		   (pg->tag ? PL_TAG : 0) | (pg->meta_key ? PL_META : 0) |
		   (pg->desc != q->reverse ? PL_DESC : 0);
}

/* Fails with ERR_INVALID unless every cursor of pg is in the collection. Asked only when a
 * page with cursors came back empty: a cursor that exists gives its page rows or none. */
static int cursors_ok(struct pg_conn *c, const char *project, enum store_kind kind,
		      const char *parent, const struct store_page *pg)
{
	static const char sql[] = "SELECT count(*) FROM objects WHERE project = $1 AND kind = $2 "
				  "AND parent IS NOT DISTINCT FROM $3::text AND id IN ($4, $5)";
	struct pg_args a = { 0 };
	PGresult *res;
	int64_t want = (pg->after ? 1 : 0) + (pg->before ? 1 : 0);
	int err;

	if (pg->after && pg->before && strcmp(pg->after, pg->before) == 0)
		want = 1;
	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(kind));
	pg_arg_s(&a, parent);
	pg_arg_s(&a, pg->after);
	pg_arg_s(&a, pg->before);
	err = pg_run(c, PQ_CURSOR, sql, "list", &a, &res);
	if (err)
		return err;
	if (pg_col_i(res, 0, 0) != want)
		err = ERR_INVALID;
	PQclear(res);
	return err;
}

/* Reads up to limit rows (id, body) of res into out; a row more sets has_more. */
static void page_rows(const PGresult *res, int limit, struct store_list *out)
{
	int rows = PQntuples(res);

	out->items = xcalloc((size_t)limit, sizeof(*out->items));
	for (int r = 0; r < rows && r < limit; r++) {
		out->items[r].id = pg_col_dup(res, r, 0);
		out->items[r].body = pg_col_dup(res, r, 1);
		out->n++;
	}
	out->has_more = rows > limit;
}

static int fetch(struct pg_conn *c, const char *project, enum store_kind kind,
		 const char *parent, const struct store_page *pg, struct store_list *out)
{
	struct page_query q;
	struct pg_args a = { 0 };
	char *sql;
	PGresult *res;
	int err;

	plan(pg, &q);
	pg_arg_s(&a, project);
	pg_arg_s(&a, store_kind_name(kind));
	pg_arg_s(&a, parent);
	pg_arg_s(&a, pg->run_id);
	pg_arg_s(&a, q.lo);
	pg_arg_s(&a, q.hi);
	pg_arg_s(&a, pg->tag);
	pg_arg_s(&a, pg->meta_key);
	pg_arg_s(&a, pg->meta_key ? pg->meta_value : NULL);
	pg_arg_i(&a, (int64_t)pg->limit + 1);
	sql = c->prepared[PQ_LIST + q.flags] ? NULL : list_sql(q.flags);
	err = pg_run(c, (enum pg_slot)(PQ_LIST + q.flags), sql, "list", &a, &res);
	free(sql);
	if (err)
		return err;
	page_rows(res, pg->limit, out);
	PQclear(res);
	if (q.reverse)
		store_list_reverse(out);
	return 0;
}

/* A store_list call, for pg_with. */
struct list_call {
	const char *project;
	enum store_kind kind;
	const char *parent;
	const struct store_page *pg;
	struct store_list *out;
};

static int list_run(struct pg_conn *c, void *ctx)
{
	struct list_call *l = ctx;
	int err;

	store_list_cleanup(l->out); /* a second attempt starts over */
	err = fetch(c, l->project, l->kind, l->parent, l->pg, l->out);
	if (!err && l->out->n == 0 && (l->pg->after || l->pg->before))
		err = cursors_ok(c, l->project, l->kind, l->parent, l->pg);
	return err;
}

int pg_list(struct store *base, const char *project, enum store_kind kind, const char *parent,
	    const struct store_page *pg, struct store_list *out)
{
	struct list_call l = { project, kind, parent, pg, out };
	int err;

	memset(out, 0, sizeof(*out));
	if (pg->limit < 1 || pg->limit > STORE_LIST_MAX)
		return ERR_INVALID;
	err = pg_with(pg_of(base), list_run, &l);
	if (err)
		store_list_cleanup(out);
	return err;
}

/* Appends rows (project, id, body) of res to out and *projects (sized to fit). */
static void push_rows(const PGresult *res, struct store_list *out, char ***projects)
{
	int rows = PQntuples(res);

	out->items = xcalloc((size_t)rows + 1, sizeof(*out->items));
	*projects = xcalloc((size_t)rows + 1, sizeof(**projects));
	for (int r = 0; r < rows; r++) {
		(*projects)[r] = pg_col_dup(res, r, 0);
		out->items[r].id = pg_col_dup(res, r, 1);
		out->items[r].body = pg_col_dup(res, r, 2);
		out->n++;
	}
}

int pg_scan(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
		const struct pg_args *a, struct store_list *out, char ***projects)
{
	PGresult *res = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	*projects = NULL;
	err = pg_stmt(st, slot, sql, what, a, &res);
	if (err)
		return err;
	push_rows(res, out, projects);
	PQclear(res);
	return 0;
}

/* The statuses as a PostgreSQL array literal; NULL when one cannot be written as one. */
static char *status_array(const char *const *statuses, size_t n)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	err = buf_puts(&b, "{");
	for (size_t i = 0; i < n && !err; i++) {
		if (strpbrk(statuses[i], "{},\"\\ ") || !*statuses[i])
			err = ERR_INVALID;
		else
			err = buf_printf(&b, "%s%s", i ? "," : "", statuses[i]);
	}
	if (!err)
		err = buf_puts(&b, "}");
	if (err) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_release(&b);
}

int pg_runs_by_status(struct store *base, const char *const *statuses, size_t n,
		      struct store_list *out, char ***projects)
{
	static const char sql[] = "SELECT project, id, body FROM objects WHERE kind = $1 "
				  "AND status = ANY ($2::text[]) ORDER BY created_at, seq";
	struct pg_args a = { 0 };
	char *arr;
	int err;

	memset(out, 0, sizeof(*out));
	*projects = NULL;
	if (n == 0)
		return 0;
	arr = status_array(statuses, n);
	if (!arr)
		return ERR_INVALID;
	pg_arg_s(&a, store_kind_name(STORE_RUN));
	pg_arg_s(&a, arr);
	err = pg_scan(pg_of(base), PQ_RUNS, sql, "runs by status", &a, out, projects);
	free(arr);
	return err;
}

int pg_expired(struct store *base, const char *project, enum store_kind kind, int64_t now,
	       int limit, struct store_list *out, char ***projects)
{
	static const char sql[] = "SELECT project, id, body FROM objects WHERE expires_at <= $1 "
				  "AND kind = $2 AND ($3::text IS NULL OR project = $3) "
				  "ORDER BY expires_at LIMIT $4";
	struct pg_args a = { 0 };

	pg_arg_i(&a, now);
	pg_arg_s(&a, store_kind_name(kind));
	pg_arg_s(&a, project);
	pg_arg_i(&a, limit);
	return pg_scan(pg_of(base), PQ_EXPIRED, sql, "expired", &a, out, projects);
}

int pg_id_exists(struct store *base, enum store_kind kind, const char *id, bool *found)
{
	static const char sql[] = "SELECT 1 FROM objects WHERE id = $1 AND kind = $2 LIMIT 1";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	*found = false;
	pg_arg_s(&a, id);
	pg_arg_s(&a, store_kind_name(kind));
	err = pg_stmt(pg_of(base), PQ_ID_EXISTS, sql, "id exists", &a, &res);
	if (err)
		return err;
	*found = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}
