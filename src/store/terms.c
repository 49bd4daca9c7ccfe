/* terms.c - the MaxScore split of a keyword search's words (terms.h), shared by the SQLite
 * and PostgreSQL searches, which bring the document frequencies and run the passes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "terms.h"

static int by_df(const void *a, const void *b)
{
	const struct term *x = a, *y = b;

	return (x->df > y->df) - (x->df < y->df);
}

/* Sets ub_common to what the words past the essential ones can add at most. */
static void common_bound(struct terms_plan *p)
{
	p->ub_common = 0;
	for (size_t i = p->nessential; i < p->n; i++)
		p->ub_common += p->t[i].ub;
}

/* Takes rarest words into the essential set until their postings reach budget (at least
 * one more word). */
static void essential_until(struct terms_plan *p, int64_t budget)
{
	int64_t postings = 0;

	for (size_t i = 0; i < p->nessential; i++)
		postings += p->t[i].df;
	do {
		postings += p->t[p->nessential].df;
		p->nessential++;
	} while (p->nessential < p->n && postings + p->t[p->nessential].df <= budget);
	common_bound(p);
}

void terms_bounds(struct terms_plan *p, double k1, int64_t budget)
{
	int64_t rows = 0;

	qsort(p->t, p->n, sizeof(*p->t), by_df);
	for (size_t i = 0; i < p->n; i++)
		rows = p->t[i].rows > rows ? p->t[i].rows : rows;
	p->ub_all = 0;
	for (size_t i = 0; i < p->n; i++) {
		double df = (double)p->t[i].df;
		double n = (double)(rows > p->t[i].df ? rows : p->t[i].df);
		int repeats = p->t[i].repeats > 0 ? p->t[i].repeats : 1;

		p->t[i].ub = repeats * log(1.0 + (n - df + 0.5) / (df + 0.5)) * (k1 + 1);
		p->ub_all += p->t[i].ub;
	}
	p->nessential = 0;
	p->budget = budget;
	if (p->n)
		essential_until(p, p->budget);
}

/* Takes words into the essential set, commonest first, until the words left outside could
 * not together outscore theta (at least one more word). */
static void essential_above(struct terms_plan *p, double theta)
{
	size_t ness = p->n;
	double tail = 0;

	while (ness > p->nessential + 1 && tail + p->t[ness - 1].ub <= theta) {
		tail += p->t[ness - 1].ub;
		ness--;
	}
	p->nessential = ness;
	common_bound(p);
}

bool terms_widen(struct terms_plan *p, size_t n, int limit, double last)
{
	if (p->nessential >= p->n)
		return false;
	if (n < (size_t)limit) {
		p->budget *= 4;
		essential_until(p, p->budget);
	} else {
		essential_above(p, last * p->ub_all);
	}
	return true;
}

bool terms_exact(const struct terms_plan *p, size_t n, int limit, double last)
{
	if (p->nessential >= p->n)
		return true;
	return n == (size_t)limit && last * p->ub_all > p->ub_common;
}

void terms_cleanup(struct terms_plan *p)
{
	free(p->t);
	memset(p, 0, sizeof(*p));
}
