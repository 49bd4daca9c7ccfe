/* pg_vs_sql.c - statements of the vector-store files of the PostgreSQL store (pg_vs_int.h):
 * a variadic form of pg_query, statements with many or binary parameters (a batch of
 * chunks with their vectors) or binary results (vectors), which pg_args does not carry, and
 * text arrays as parameters. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"

int pgv_query(struct pg_conn *c, PGresult **res, const char *what, const char *sql,
	      const char *types, ...)
{
	struct pg_args a = { 0 };
	PGresult *r = NULL;
	va_list ap;
	int err;

	va_start(ap, types);
	for (const char *t = types; *t; t++) {
		if (*t == 's')
			pg_arg_s(&a, va_arg(ap, const char *));
		else
			pg_arg_i(&a, va_arg(ap, int64_t));
	}
	va_end(ap);
	err = pg_query(c, sql, what, &a, &r);
	if (res)
		*res = r;
	else
		PQclear(r);
	return err;
}

void pgv_params_init(struct pgv_params *p)
{
	p->n = 0;
}

void pgv_params_cleanup(struct pgv_params *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->owned[i]);
	p->n = 0;
}

/* Appends one parameter; owned is freed with the list. */
static void add(struct pgv_params *p, const char *v, int len, int fmt, char *owned)
{
	if (p->n == PGV_PARAMS_MAX)
		abort(); /* callers bound their parameters well below this */
	p->vals[p->n] = v;
	p->lens[p->n] = len;
	p->fmts[p->n] = fmt;
	p->owned[p->n] = owned;
	p->n++;
}

void pgv_param_str(struct pgv_params *p, const char *s)
{
	add(p, s, 0, 0, NULL);
}

void pgv_param_int(struct pgv_params *p, int64_t v)
{
	char *s = xasprintf("%" PRId64, v);

	add(p, s, 0, 0, s);
}

void pgv_param_double(struct pgv_params *p, double v)
{
	char *s = xasprintf("%.17g", v);

	add(p, s, 0, 0, s);
}

void pgv_param_bin(struct pgv_params *p, const void *data, size_t len)
{
	add(p, data, (int)len, 1, NULL);
}

int pgv_exec(struct pg_conn *c, PGresult **res, const char *what, const char *sql,
	     const struct pgv_params *p, bool binary)
{
	PGresult *r = PQexecParams(c->db, sql, p->n, NULL, p->vals, p->lens, p->fmts, binary);
	int err = pg_result_check(c, r, what);

	if (res)
		*res = err ? NULL : r;
	else if (!err)
		PQclear(r);
	return err;
}

int64_t pgv_be64(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (uint8_t)p[i];
	return (int64_t)v;
}

/* Appends item to b as an element of an array literal: quoted, '"' and '\\' escaped. */
static int put_element(struct buf *b, const char *item)
{
	int err = buf_putc(b, '"');

	for (const char *c = item; *c && !err; c++) {
		if (*c == '"' || *c == '\\')
			err = buf_putc(b, '\\');
		if (!err)
			err = buf_putc(b, *c);
	}
	return err ? err : buf_putc(b, '"');
}

char *pgv_text_array(const char *const *items, size_t n, const bool *take)
{
	struct buf b;
	bool first = true;
	int err;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	err = buf_putc(&b, '{');
	for (size_t i = 0; i < n && !err; i++) {
		if (take && !take[i])
			continue;
		err = first ? 0 : buf_putc(&b, ',');
		first = false;
		if (!err)
			err = put_element(&b, items[i]);
	}
	if (!err)
		err = buf_putc(&b, '}');
	return buf_release(&b);
}
