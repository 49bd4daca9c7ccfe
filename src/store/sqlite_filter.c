/* sqlite_filter.c - a vector store search's attribute filter (a ComparisonFilter or
 * CompoundFilter the API validated), compiled to a SQL condition on the file's attributes,
 * f.body's "attributes", with every value bound as a parameter (sqlite_int.h: struct fsql).
 *
 * A comparison is false when the attribute is missing or of another JSON type than the value,
 * so strings compare with strings and numbers with numbers; ne and nin are the negations of
 * eq and in, so they also keep files without the attribute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
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

static const struct {
	const char *type;
	const char *sql;
} cmp_ops[] = {
	{ "eq", "=" }, { "ne", "=" }, { "gt", ">" }, { "gte", ">=" }, { "lt", "<" },
	{ "lte", "<=" }, { "in", "=" }, { "nin", "=" },
};

/* The SQL operator of a comparison type (static), or NULL. */
static const char *cmp_sql(const char *type)
{
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++) {
		if (strcmp(cmp_ops[i].type, type) == 0)
			return cmp_ops[i].sql;
	}
	return NULL;
}

/* The attribute at path compared with one scalar: false (0) when the attribute is missing or
 * of another JSON type, so that strings compare with strings and numbers with numbers. */
static int scalar(struct fsql *f, int p, const char *op, const jv *v)
{
	int vp;

	if (jv_is_bool(v)) {
		if (strcmp(op, "=") != 0)
			return buf_puts(&f->b, "0");
		return buf_printf(&f->b, "coalesce(json_type(f.body, ?%d) = '%s', 0)", p,
				  jv_true(v) ? "true" : "false");
	}
	if (!jv_is_string(v) && !jv_is_number(v))
		return buf_puts(&f->b, "0");
	vp = param(f, v, NULL);
	return buf_printf(&f->b, "coalesce(json_type(f.body, ?%d) %s AND json_extract(f.body, "
			  "?%d) %s ?%d, 0)", p, jv_is_string(v) ? "= 'text'" :
			  "IN ('integer', 'real')", p, op, vp);
}

/* Any of the values equal: an "in" list (or an eq with an array value). */
static int any_of(struct fsql *f, int p, const jv *arr)
{
	int err = buf_puts(&f->b, "(0");

	for (size_t i = 0; i < jv_size(arr) && !err; i++) {
		err = buf_puts(&f->b, " OR ");
		if (!err)
			err = scalar(f, p, "=", jv_at(arr, i));
	}
	return err ? err : buf_putc(&f->b, ')');
}

static int comparison(struct fsql *f, const jv *c)
{
	const char *type = jv_get_str(c, "type");
	const char *key = jv_get_str(c, "key");
	const jv *v = jv_get(c, "value");
	bool negate = strcmp(type, "ne") == 0 || strcmp(type, "nin") == 0;
	const char *op = cmp_sql(type);
	char path[128];
	int p, err;

	/* A key SQLite's JSON paths cannot quote matches nothing. */
	if (!op || !key || strchr(key, '"') || strlen(key) > 64)
		return buf_puts(&f->b, negate ? "1" : "0");
	snprintf(path, sizeof(path), "$.attributes.\"%s\"", key);
	p = param(f, NULL, path);
	err = buf_puts(&f->b, negate ? "NOT " : "");
	if (!err && jv_is_array(v))
		return strcmp(op, "=") == 0 ? any_of(f, p, v) : buf_puts(&f->b, "0");
	return err ? err : scalar(f, p, op, v);
}

static int compound(struct fsql *f, const jv *c, int depth);

static int filter(struct fsql *f, const jv *c, int depth)
{
	const char *type = jv_get_str(c, "type");

	if (depth > JV_MAX_DEPTH)
		return ERR_INVALID;
	if (type && (strcmp(type, "and") == 0 || strcmp(type, "or") == 0))
		return compound(f, c, depth);
	return comparison(f, c);
}

static int compound(struct fsql *f, const jv *c, int depth)
{
	bool and = strcmp(jv_get_str(c, "type"), "and") == 0;
	const jv *kids = jv_get(c, "filters");
	int err = buf_printf(&f->b, "(%s", and ? "1" : "0");

	for (size_t i = 0; i < jv_size(kids) && !err; i++) {
		err = buf_puts(&f->b, and ? " AND " : " OR ");
		if (!err)
			err = filter(f, jv_at(kids, i), depth + 1);
	}
	return err ? err : buf_putc(&f->b, ')');
}

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
	return filter(f, filters, 0);
}
