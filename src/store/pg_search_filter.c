/* pg_search_filter.c - a vector store search's attribute filter compiled to a SQL condition
 * on the file's attributes, f.body->'attributes' (JSONB), for the PostgreSQL store
 * (pg_vs_int.h: struct pg_fsql). The walk and its semantics are filter.c's; here is how one
 * comparison reads on JSONB. Keys and values are parameters, never SQL text; strings compare
 * bytewise (COLLATE "C"), as SQLite compares them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "filter.h"
#include "pg_vs_int.h"

/* Adds a parameter (an owned text) and returns its number. */
static int param(struct pg_fsql *f, char *text)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->vals = xrealloc(f->vals, f->cap * sizeof(*f->vals));
	}
	f->vals[f->n] = text;
	return f->first + (int)f->n++;
}

/* The attribute key compared with one scalar (filter.h). */
static int scalar(void *ctx, struct buf *b, const char *key, const char *op, const jv *v)
{
	struct pg_fsql *f = ctx;
	int p = param(f, xstrdup(key));

	if (jv_is_bool(v)) {
		if (strcmp(op, "=") != 0)
			return buf_puts(b, "false");
		return buf_printf(b, "coalesce(f.body->'attributes'->$%d::text = '%s'::jsonb, "
				  "false)", p, jv_true(v) ? "true" : "false");
	}
	if (jv_is_string(v))
		return buf_printf(b, "coalesce(jsonb_typeof(f.body->'attributes'->$%d::text) = "
				  "'string' AND (f.body->'attributes'->>$%d::text) COLLATE \"C\" %s "
				  "$%d::text COLLATE \"C\", false)", p, p, op,
				  param(f, xstrndup(jv_str(v), jv_strlen(v))));
	if (!jv_is_number(v))
		return buf_puts(b, "false");
	return buf_printf(b, "coalesce(CASE WHEN jsonb_typeof(f.body->'attributes'->$%d::text) "
			  "= 'number' THEN (f.body->'attributes'->>$%d::text)::float8 %s "
			  "$%d::float8 END, false)", p, p, op,
			  param(f, xasprintf("%.17g", jv_number(v))));
}

static const struct filter_dialect dialect = { .yes = "true", .no = "false", .scalar = scalar };

void pg_filter_cleanup(struct pg_fsql *f)
{
	buf_cleanup(&f->b);
	for (size_t i = 0; i < f->n; i++)
		free(f->vals[i]);
	free(f->vals);
}

int pg_filter_compile(struct pg_fsql *f, const jv *filters, int first)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->b, 0);
	f->first = first;
	if (!filters)
		return buf_puts(&f->b, "true");
	return filter_walk(&f->b, filters, &dialect, f);
}
