/* sqlite_filter.c - a vector store search's attribute filter compiled to a SQL condition on
 * the file's attributes, f.body's "attributes", with every value bound as a parameter
 * (sqlite_int.h: struct fsql). The walk and its semantics are filter.c's; here is how one
 * comparison reads in SQLite's JSON functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "filter.h"
#include "sqlite_int.h"

/* Adds a parameter (a JSON value, or a path when v is NULL) and returns its number. */
static int param(struct fsql *f, const jv *v, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->vals = xrealloc(f->vals, f->cap * sizeof(*f->vals));
		f->paths = xrealloc(f->paths, f->cap * sizeof(*f->paths));
	}
	f->vals[f->n] = v;
	f->paths[f->n] = path ? xstrdup(path) : NULL;
	return f->first + (int)f->n++;
}

/* The attribute key compared with one scalar (filter.h). A key SQLite's JSON paths cannot
 * quote matches nothing. */
static int scalar(void *ctx, struct buf *b, const char *key, const char *op, const jv *v)
{
	struct fsql *f = ctx;
	char path[128];
	int p, vp;

	if (strchr(key, '"') || strlen(key) > 64)
		return buf_puts(b, "0");
	snprintf(path, sizeof(path), "$.attributes.\"%s\"", key);
	p = param(f, NULL, path);
	if (jv_is_bool(v)) {
		if (strcmp(op, "=") != 0)
			return buf_puts(b, "0");
		return buf_printf(b, "coalesce(json_type(f.body, ?%d) = '%s', 0)", p,
				  jv_true(v) ? "true" : "false");
	}
	if (!jv_is_string(v) && !jv_is_number(v))
		return buf_puts(b, "0");
	vp = param(f, v, NULL);
	return buf_printf(b, "coalesce(json_type(f.body, ?%d) %s AND json_extract(f.body, "
			  "?%d) %s ?%d, 0)", p, jv_is_string(v) ? "= 'text'" :
			  "IN ('integer', 'real')", p, op, vp);
}

static const struct filter_dialect dialect = { .yes = "1", .no = "0", .scalar = scalar };

void sqlite_filter_cleanup(struct fsql *f)
{
	buf_cleanup(&f->b);
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->vals);
}

int sqlite_filter_bind(sqlite3_stmt *s, const struct fsql *f)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < f->n && rc == SQLITE_OK; i++) {
		int at = f->first + (int)i;
		const jv *v = f->vals[i];

		if (!v)
			rc = sqlite3_bind_text(s, at, f->paths[i], -1, SQLITE_STATIC);
		else if (jv_is_string(v))
			rc = sqlite3_bind_text(s, at, jv_str(v), (int)jv_strlen(v), SQLITE_STATIC);
		else
			rc = sqlite3_bind_double(s, at, jv_number(v));
	}
	return rc;
}

int sqlite_filter_compile(struct fsql *f, const jv *filters, int first)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->b, 0);
	f->first = first;
	if (!filters)
		return buf_puts(&f->b, "1");
	return filter_walk(&f->b, filters, &dialect, f);
}
