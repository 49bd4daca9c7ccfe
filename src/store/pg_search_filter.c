/* pg_search_filter.c - a vector store search's attribute filter (a ComparisonFilter or
 * CompoundFilter the API validated) compiled to a SQL condition on the file's attributes,
 * f.body->'attributes' (JSONB), for the PostgreSQL store (pg_vs_int.h: struct pg_fsql). Keys
 * and values are parameters, never SQL text.
 *
 * The semantics are sqlite_filter.c's: a comparison is false when the attribute is missing or
 * of another JSON type than the value (strings compare with strings, bytewise as SQLite
 * does, numbers with numbers); ne and nin are the negations of eq and in, so they also keep
 * files without the attribute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
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

/* The attribute named by parameter p compared with one scalar; never NULL. */
static int scalar(struct pg_fsql *f, int p, const char *op, const jv *v)
{
	if (jv_is_bool(v)) {
		if (strcmp(op, "=") != 0)
			return buf_puts(&f->b, "false");
		return buf_printf(&f->b, "coalesce(f.body->'attributes'->$%d::text = '%s'::jsonb, false)",
				  p, jv_true(v) ? "true" : "false");
	}
	if (jv_is_string(v))
		return buf_printf(&f->b, "coalesce(jsonb_typeof(f.body->'attributes'->$%d::text) = "
				  "'string' AND (f.body->'attributes'->>$%d::text) COLLATE \"C\" %s "
				  "$%d::text COLLATE \"C\", false)", p, p, op,
				  param(f, xstrndup(jv_str(v), jv_strlen(v))));
	if (!jv_is_number(v))
		return buf_puts(&f->b, "false");
	return buf_printf(&f->b, "coalesce(CASE WHEN jsonb_typeof(f.body->'attributes'->$%d::text) = "
			  "'number' THEN (f.body->'attributes'->>$%d::text)::float8 %s $%d::float8 END, "
			  "false)", p, p, op, param(f, xasprintf("%.17g", jv_number(v))));
}

/* Any of the values equal: an "in" list (or an eq with an array value). */
static int any_of(struct pg_fsql *f, int p, const jv *arr)
{
	int err = buf_puts(&f->b, "(false");

	for (size_t i = 0; i < jv_size(arr) && !err; i++) {
		err = buf_puts(&f->b, " OR ");
		if (!err)
			err = scalar(f, p, "=", jv_at(arr, i));
	}
	return err ? err : buf_putc(&f->b, ')');
}

static int comparison(struct pg_fsql *f, const jv *c)
{
	const char *type = jv_get_str(c, "type");
	const char *key = jv_get_str(c, "key");
	const jv *v = jv_get(c, "value");
	bool negate = strcmp(type, "ne") == 0 || strcmp(type, "nin") == 0;
	const char *op = cmp_sql(type);
	int p, err;

	if (!op || !key)
		return buf_puts(&f->b, negate ? "true" : "false");
	p = param(f, xstrdup(key));
	err = buf_puts(&f->b, negate ? "NOT " : "");
	if (!err && jv_is_array(v))
		return strcmp(op, "=") == 0 ? any_of(f, p, v) : buf_puts(&f->b, "false");
	return err ? err : scalar(f, p, op, v);
}

static int compound(struct pg_fsql *f, const jv *c, int depth);

static int filter(struct pg_fsql *f, const jv *c, int depth)
{
	const char *type = jv_get_str(c, "type");

	if (depth > JV_MAX_DEPTH)
		return ERR_INVALID;
	if (type && (strcmp(type, "and") == 0 || strcmp(type, "or") == 0))
		return compound(f, c, depth);
	return comparison(f, c);
}

static int compound(struct pg_fsql *f, const jv *c, int depth)
{
	bool and = strcmp(jv_get_str(c, "type"), "and") == 0;
	const jv *kids = jv_get(c, "filters");
	int err = buf_printf(&f->b, "(%s", and ? "true" : "false");

	for (size_t i = 0; i < jv_size(kids) && !err; i++) {
		err = buf_puts(&f->b, and ? " AND " : " OR ");
		if (!err)
			err = filter(f, jv_at(kids, i), depth + 1);
	}
	return err ? err : buf_putc(&f->b, ')');
}

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
	return filter(f, filters, 0);
}
