/* sqlite_terms.c - the words of a keyword search: how common each is, which of them pick the
 * candidates, and the FTS5 expression and ranking arguments that follow.
 *
 * Ranking every chunk that holds any query word costs as much as the commonest word is
 * common. As Lucene's MaxScore does, the words are split by document frequency: the rarest
 * ("essential") words, up to a budget of postings, pick the candidates, and the others only
 * add to their scores. A chunk holding none of the essential words can score at most the
 * others' upper bound (each word's idf * (k1 + 1)); when the last of the best results already
 * scores more, the ranking is exact, and otherwise the search runs again with a wider
 * essential set (sqlite_search.c), up to all the words. Document frequencies come from the
 * in-memory vocabulary (sqlite_vocab.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "sqlite_int.h"

/* The first column of the one row sql returns for match (0 without a row). */
static int count_of(sqlite3 *db, const char *sql, const char *match, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(db, sql, &s, "search", "s", match);

	*out = 0;
	if (!err)
		err = sqlite_step(db, s, "search", &row);
	if (!err && row)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return err;
}

/* Counts the chunks holding the word (in any store): for words the vocabulary cannot
 * answer for (sqlite_vocab.c). */
static int df_count(sqlite3 *db, struct sq_term *t)
{
	char *match = xasprintf("text : \"%s\"", t->word);
	int err = count_of(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1", match,
			   &t->df);

	free(match);
	return err;
}

static int by_df(const void *a, const void *b)
{
	const struct sq_term *x = a, *y = b;

	return (x->df > y->df) - (x->df < y->df);
}

/* A word is quoted into the expression: it must hold no quote (the API's words hold none). */
static bool word_ok(const char *w)
{
	return *w && strlen(w) <= SQ_WORD_MAX && !strchr(w, '"');
}

/* The words that can be quoted, as terms of p (their df not yet known). */
static void plan_words(struct sq_plan *p, const char *const *words, size_t n)
{
	p->t = xcalloc(n + 1, sizeof(*p->t));
	for (size_t i = 0; i < n; i++) {
		if (word_ok(words[i]))
			p->t[p->n++].word = words[i];
	}
}

int sqlite_terms_plan(struct sqlite_store *st, struct sqlite_conn *c, const char *const *words,
		      size_t n, struct sq_plan *p)
{
	const char **w;
	int64_t *dfs, rows = 0;
	int err;

	memset(p, 0, sizeof(*p));
	plan_words(p, words, n);
	w = xcalloc(p->n + 1, sizeof(*w));
	dfs = xcalloc(p->n + 1, sizeof(*dfs));
	for (size_t i = 0; i < p->n; i++)
		w[i] = p->t[i].word;
	err = sqlite_vocab_dfs(st, c, w, p->n, dfs, &rows);
	for (size_t i = 0; i < p->n && !err; i++) {
		p->t[i].df = dfs[i];
		p->t[i].rows = rows;
		if (dfs[i] < 0)
			err = df_count(c->db, &p->t[i]);
	}
	free(w);
	free(dfs);
	if (err)
		return err;
	qsort(p->t, p->n, sizeof(*p->t), by_df);
	sqlite_terms_bounds(p);
	return 0;
}

/* Sets ub_common to what the words past the essential ones can add at most. */
static void common_bound(struct sq_plan *p)
{
	p->ub_common = 0;
	for (size_t i = p->nessential; i < p->n; i++)
		p->ub_common += p->t[i].ub;
}

/* Takes rarest words into the essential set until their postings reach budget (at least
 * one more word). */
static void essential_until(struct sq_plan *p, int64_t budget)
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

void sqlite_terms_bounds(struct sq_plan *p)
{
	int64_t rows = 0;

	for (size_t i = 0; i < p->n; i++)
		rows = p->t[i].rows > rows ? p->t[i].rows : rows;
	p->ub_all = 0;
	for (size_t i = 0; i < p->n; i++) {
		double df = (double)p->t[i].df;

		p->t[i].ub = log(1.0 + ((double)rows - df + 0.5) / (df + 0.5)) * (SQ_BM25_K1 + 1);
		p->ub_all += p->t[i].ub;
	}
	p->nessential = 0;
	p->budget = SQ_CANDIDATE_BUDGET;
	if (p->n)
		essential_until(p, p->budget);
}

bool sqlite_terms_widen(struct sq_plan *p)
{
	if (p->nessential >= p->n)
		return false;
	p->budget *= 4;
	essential_until(p, p->budget);
	return true;
}

void sqlite_terms_cleanup(struct sq_plan *p)
{
	free(p->t);
	memset(p, 0, sizeof(*p));
}

static int put_words(struct buf *b, const struct sq_term *t, size_t from, size_t to,
		     const char *sep)
{
	int err = 0;

	for (size_t i = from; i < to && !err; i++)
		err = buf_printf(b, "%s\"%s\"", i > from ? sep : "", t[i].word);
	return err;
}

static int put_dfs(struct buf *b, const struct sq_term *t, size_t from, size_t to)
{
	int err = 0;

	for (size_t i = from; i < to && !err; i++)
		err = buf_printf(b, "%s%lld", b->len ? " " : "", (long long)t[i].df);
	return err;
}

int sqlite_terms_match(const struct sq_plan *p, const char *const *scopes, size_t nscopes,
		       char **match, char **dfs)
{
	size_t ness = p->nessential;
	struct buf m, d;
	int err;

	buf_init(&m, 0);
	buf_init(&d, 0);
	err = buf_puts(&m, "scope : (");
	for (size_t i = 0; i < nscopes && !err; i++)
		err = buf_printf(&m, "%s\"%s\"", i ? " OR " : "", scopes[i]);
	if (!err)
		err = buf_puts(&m, ") AND text : (");
	if (!err)
		err = put_words(&m, p->t, 0, ness, " OR ");
	if (!err)
		err = put_dfs(&d, p->t, 0, p->n);
	/* The common words join as phrases the rank can see, in an OR that the essential words
	 * already satisfy; their repeats there count for nothing (df -1). */
	if (!err && ness < p->n) {
		err = buf_puts(&m, ") AND text : (");
		if (!err)
			err = put_words(&m, p->t, ness, p->n, " OR ");
		if (!err)
			err = buf_puts(&m, " OR ");
		if (!err)
			err = put_words(&m, p->t, 0, ness, " OR ");
		for (size_t i = 0; i < ness && !err; i++)
			err = buf_puts(&d, " -1");
	}
	if (!err)
		err = buf_putc(&m, ')');
	if (err) {
		buf_cleanup(&m);
		buf_cleanup(&d);
		return err;
	}
	*match = buf_release(&m);
	*dfs = buf_release(&d);
	return 0;
}
