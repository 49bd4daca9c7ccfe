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
 * index and are cached per process for SQ_DF_TTL_MS, a staleness that moves idf values by
 * next to nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"

#define SQ_DF_TTL_MS 10000

/* One cached document frequency (a direct-mapped table: a collision replaces). */
struct sq_df {
	char word[SQ_WORD_MAX + 1];
	int64_t df, rows;
	int64_t at_ms;
};

void sqlite_df_init(struct sqlite_store *st)
{
	pthread_mutex_init(&st->df_mu, NULL);
	st->dfs = xcalloc(SQ_DF_SLOTS, sizeof(*st->dfs));
}

void sqlite_df_cleanup(struct sqlite_store *st)
{
	pthread_mutex_destroy(&st->df_mu);
	free(st->dfs);
}

static size_t slot(const char *word)
{
	uint64_t h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)word; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h % SQ_DF_SLOTS);
}

static bool cached(struct sqlite_store *st, const char *word, int64_t now, struct sq_term *t)
{
	struct sq_df *e = &st->dfs[slot(word)];
	bool hit;

	pthread_mutex_lock(&st->df_mu);
	hit = strcmp(e->word, word) == 0 && now - e->at_ms < SQ_DF_TTL_MS;
	if (hit) {
		t->df = e->df;
		t->rows = e->rows;
	}
	pthread_mutex_unlock(&st->df_mu);
	return hit;
}

static void remember(struct sqlite_store *st, const struct sq_term *t, int64_t now)
{
	struct sq_df *e = &st->dfs[slot(t->word)];

	pthread_mutex_lock(&st->df_mu);
	snprintf(e->word, sizeof(e->word), "%s", t->word);
	e->df = t->df;
	e->rows = t->rows;
	e->at_ms = now;
	pthread_mutex_unlock(&st->df_mu);
}

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

/* Counts the chunks holding the word (in any store) and the chunks there are (an auxiliary
 * function cannot sit in an aggregate: two statements). */
static int df_query(sqlite3 *db, struct sq_term *t)
{
	char *match = xasprintf("text : \"%s\"", t->word);
	int err = count_of(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1", match,
			   &t->df);

	if (!err && t->df > 0)
		err = count_of(db, "SELECT assistd_rows(chunks_fts) FROM chunks_fts WHERE "
			       "chunks_fts MATCH ?1 LIMIT 1", match, &t->rows);
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

int sqlite_terms_plan(struct sqlite_store *st, sqlite3 *db, const char *const *words, size_t n,
		      struct sq_plan *p)
{
	int64_t now = clock_ms();
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->t = xcalloc(n + 1, sizeof(*p->t));
	for (size_t i = 0; i < n && !err; i++) {
		struct sq_term *t = &p->t[p->n];

		if (!word_ok(words[i]))
			continue;
		t->word = words[i];
		if (!cached(st, t->word, now, t)) {
			err = df_query(db, t);
			if (!err)
				remember(st, t, now);
		}
		p->n++;
	}
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
