/* filter.c - the walk of an attribute filter into a SQL condition, for both backends
 * (filter.h). */
#include "filter.h"

#include <string.h>

/* One walk: where it writes, and how its backend reads a comparison. */
struct walk {
	struct buf *b;
	const struct filter_dialect *d;
	void *ctx;
};

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

/* Any of the values equal: an "in" list (or an eq with an array value). */
static int any_of(struct walk *w, const char *key, const jv *arr)
{
	int err = buf_printf(w->b, "(%s", w->d->no);

	for (size_t i = 0; i < jv_size(arr) && !err; i++) {
		err = buf_puts(w->b, " OR ");
		if (!err)
			err = w->d->scalar(w->ctx, w->b, key, "=", jv_at(arr, i));
	}
	return err ? err : buf_putc(w->b, ')');
}

static int comparison(struct walk *w, const jv *c)
{
	const char *type = jv_get_str(c, "type");
	const char *key = jv_get_str(c, "key");
	const jv *v = jv_get(c, "value");
	bool negate = strcmp(type, "ne") == 0 || strcmp(type, "nin") == 0;
	const char *op = cmp_sql(type);
	int err;

	if (!op || !key)
		return buf_puts(w->b, negate ? w->d->yes : w->d->no);
	err = buf_puts(w->b, negate ? "NOT " : "");
	if (!err && jv_is_array(v))
		return strcmp(op, "=") == 0 ? any_of(w, key, v) : buf_puts(w->b, w->d->no);
	return err ? err : w->d->scalar(w->ctx, w->b, key, op, v);
}

static int compound(struct walk *w, const jv *c, int depth);

static int filter(struct walk *w, const jv *c, int depth)
{
	const char *type = jv_get_str(c, "type");

	if (depth > JV_MAX_DEPTH)
		return ERR_INVALID;
	if (type && (strcmp(type, "and") == 0 || strcmp(type, "or") == 0))
		return compound(w, c, depth);
	return comparison(w, c);
}

static int compound(struct walk *w, const jv *c, int depth)
{
	bool and = strcmp(jv_get_str(c, "type"), "and") == 0;
	const jv *kids = jv_get(c, "filters");
	int err = buf_printf(w->b, "(%s", and ? w->d->yes : w->d->no);

	for (size_t i = 0; i < jv_size(kids) && !err; i++) {
		err = buf_puts(w->b, and ? " AND " : " OR ");
		if (!err)
			err = filter(w, jv_at(kids, i), depth + 1);
	}
	return err ? err : buf_putc(w->b, ')');
}

int filter_walk(struct buf *b, const jv *filters, const struct filter_dialect *d, void *ctx)
{
	struct walk w = { .b = b, .d = d, .ctx = ctx };

	return filter(&w, filters, 0);
}
