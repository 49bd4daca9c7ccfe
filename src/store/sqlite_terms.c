/* sqlite_terms.c - the words of a keyword search: how common each is, and the FTS5
 * expression and ranking arguments that follow from which of them pick the candidates (the
 * MaxScore split of terms.h; sqlite_search.c runs the passes). Document frequencies come from
 * the in-memory vocabulary (sqlite_vocab.c). Each word of the query is a term of its own:
 * a repeated word counts as often as it is repeated. */
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
static int df_count(sqlite3 *db, struct term *t)
{
	char *match = xasprintf("text : \"%s\"", t->word);
	int err = count_of(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1", match,
			   &t->df);

	free(match);
	return err;
}

/* A word is quoted into the expression: it must hold no quote (the API's words hold none). */
static bool word_ok(const char *w)
{
	return *w && strlen(w) <= SQ_WORD_MAX && !strchr(w, '"');
}

/* The words that can be quoted, as terms of p (their df not yet known). */
static void plan_words(struct terms_plan *p, const char *const *words, size_t n)
{
	p->t = xcalloc(n + 1, sizeof(*p->t));
	for (size_t i = 0; i < n; i++) {
		if (word_ok(words[i]))
			p->t[p->n++].word = words[i];
	}
}

int sqlite_terms_plan(struct sqlite_store *st, struct sqlite_conn *c, const char *const *words,
		      size_t n, struct terms_plan *p)
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
	terms_bounds(p, SQ_BM25_K1, SQ_CANDIDATE_BUDGET);
	return 0;
}

static int put_words(struct buf *b, const struct term *t, size_t from, size_t to,
		     const char *sep)
{
	int err = 0;

	for (size_t i = from; i < to && !err; i++)
		err = buf_printf(b, "%s\"%s\"", i > from ? sep : "", t[i].word);
	return err;
}

static int put_dfs(struct buf *b, const struct term *t, size_t from, size_t to)
{
	int err = 0;

	for (size_t i = from; i < to && !err; i++)
		err = buf_printf(b, "%s%lld", b->len ? " " : "", (long long)t[i].df);
	return err;
}

int sqlite_terms_match(const struct terms_plan *p, const char *const *scopes, size_t nscopes,
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
