/* pg_vs_list.c - listing the files of a vector store or of a batch on PostgreSQL (vstore.h:
 * store_vsf_list), paged like store_list: by (created_at, seq), with after/before cursors that
 * must name a file of the store, and a page with only `before` read backwards from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "pg_vs_int.h"

/* The page's SQL: $1 project, $2 vs, $3 batch, $4 status, $5 after, $6 before, $7 limit.
 * A cursor's position is read in the same statement; one that is not a file of the store
 * leaves its subquery empty, which pg_vsf_list tells apart beforehand. Owned. */
static char *list_sql(const char *batch, const char *status, const struct store_page *pg,
		      bool back)
{
	const char *dir = pg->desc != back ? "DESC" : "ASC";
	char after[160] = " AND $5::text IS NULL";
	char before[160] = " AND $6::text IS NULL";

	if (pg->after)
		snprintf(after, sizeof(after), " AND (created_at, seq) %s (SELECT created_at, seq "
			 "FROM vs_files WHERE project = $1 AND vector_store_id = $2 AND "
			 "file_id = $5)", pg->desc ? "<" : ">");
	if (pg->before)
		snprintf(before, sizeof(before), " AND (created_at, seq) %s (SELECT created_at, "
			 "seq FROM vs_files WHERE project = $1 AND vector_store_id = $2 AND "
			 "file_id = $6)", pg->desc ? ">" : "<");
	return xasprintf("SELECT file_id, body FROM vs_files WHERE project = $1 AND "
			 "vector_store_id = $2%s%s%s%s ORDER BY created_at %s, seq %s LIMIT $7",
			 batch ? " AND batch_id = $3" : " AND $3::text IS NULL",
			 status ? " AND status = $4" : " AND $4::text IS NULL", after, before, dir,
			 dir);
}

/* ERR_INVALID unless every cursor of pg names a file of vs. */
static int cursors_known(struct pg_conn *c, const char *project, const char *vs,
			 const struct store_page *pg)
{
	PGresult *r = NULL;
	int err = pgv_query(c, &r, "list files", "SELECT count(*) FROM vs_files WHERE "
			    "project = $1 AND vector_store_id = $2 AND file_id IN ($3, $4)", "ssss",
			    project, vs, pg->after, pg->before);
	int64_t want = (pg->after != NULL) + (pg->before != NULL);

	if (!err && pg->after && pg->before && strcmp(pg->after, pg->before) == 0)
		want = 1;
	if (!err && pg_col_i(r, 0, 0) < want)
		err = ERR_INVALID;
	PQclear(r);
	return err;
}

/* Moves up to limit rows of r into out, learning has_more from one more. */
static void page_rows(PGresult *r, int limit, struct store_list *out)
{
	int rows = PQntuples(r);

	out->has_more = rows > limit;
	out->n = (size_t)(rows > limit ? limit : rows);
	out->items = xcalloc(out->n + 1, sizeof(*out->items));
	for (size_t i = 0; i < out->n; i++) {
		out->items[i].id = xstrdup(PQgetvalue(r, (int)i, 0));
		out->items[i].body = xstrdup(PQgetvalue(r, (int)i, 1));
	}
}

/* Reverses the items of l: a page read backwards from `before` into page order. */
static void reverse(struct store_list *l)
{
	for (size_t i = 0; i < l->n / 2; i++) {
		struct store_item t = l->items[i];

		l->items[i] = l->items[l->n - 1 - i];
		l->items[l->n - 1 - i] = t;
	}
}

/* store_vsf_list's call, for pg_with. */
struct list_call {
	const char *project, *vs, *batch, *status;
	const struct store_page *pg;
	struct store_list *out;
};

static int page(struct pg_conn *c, void *ctx)
{
	const struct list_call *a = ctx;
	const char *project = a->project, *vs = a->vs, *batch = a->batch, *status = a->status;
	const struct store_page *pg = a->pg;
	struct store_list *out = a->out;
	bool back = pg->before && !pg->after;
	PGresult *r = NULL;
	char *sql;
	int err = 0;

	store_list_cleanup(out);
	if (pg->after || pg->before)
		err = cursors_known(c, project, vs, pg);
	if (err)
		return err;
	sql = list_sql(batch, status, pg, back);
	err = pgv_query(c, &r, "list files", sql, "ssssssi", project, vs, batch, status,
			pg->after, pg->before, (int64_t)pg->limit + 1);
	free(sql);
	if (!err)
		page_rows(r, pg->limit, out);
	PQclear(r);
	if (!err && back)
		reverse(out);
	return err;
}

int pg_vsf_list(struct store *base, const char *project, const char *vs, const char *batch,
		const char *status, const struct store_page *pg, struct store_list *out)
{
	struct list_call a = { .project = project, .vs = vs, .batch = batch, .status = status,
			       .pg = pg, .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	if (pg->limit < 1 || pg->limit > 100)
		return ERR_INVALID;
	err = pg_with(pg_of(base), page, &a);
	if (err)
		store_list_cleanup(out);
	return err;
}
