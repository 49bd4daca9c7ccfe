/* pg_search_df.c - the document frequencies of the keyword index's lexemes, cached on the
 * node, for the PostgreSQL search (pg_search.c; pg_vs_int.h: pg_df_get).
 *
 * A search needs each query lexeme's document frequency: for its idf, and to choose which
 * lexemes pick the candidates (terms.h). Counting a lexeme's chunks through the GIN index
 * visits every chunk holding it: milliseconds for a common word among 100k chunks, the
 * biggest part of a search when every query counts its words. Keeping the counts in a table
 * on ingest instead costs every batch of chunks an update of thousands of rows (it doubled the
 * database's CPU time for ingestion; BENCHMARKS.md). So a node counts a lexeme once and keeps
 * the count, tagged with chunk_stats as it was then (the number of chunks and their total
 * length, which any insert or delete changes, on any node). While the tag matches, the count
 * is exact. When it does not, the count is still used for PG_DF_TTL_MS (a staleness that
 * moves idf values by next to nothing, as on SQLite: sqlite_vocab.c), then counted again.
 * Over PG_DF_MAX lexemes the cache starts afresh. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "pg_vs_int.h"

#define PG_DF_TTL_MS 10000
#define PG_DF_MAX (1 << 18) /* lexemes cached: about 15 MB at most */

struct df_slot {
	char *lex;         /* owned; NULL: empty */
	int64_t df;
	int64_t rows, tokens; /* chunk_stats when it was counted */
	int64_t at_ms;     /* clock_ms() when it was counted */
};

struct pg_df_cache {
	pthread_mutex_t mu; /* guards the slots */
	struct df_slot *slots; /* cap of them, a power of two */
	size_t cap, n;
};

struct pg_df_cache *pg_df_new(void)
{
	struct pg_df_cache *dc = xcalloc(1, sizeof(*dc));

	pthread_mutex_init(&dc->mu, NULL);
	return dc;
}

static void slots_free(struct df_slot *slots, size_t cap)
{
	for (size_t i = 0; i < cap; i++)
		free(slots[i].lex);
	free(slots);
}

void pg_df_free(struct pg_df_cache *dc)
{
	if (!dc)
		return;
	slots_free(dc->slots, dc->cap);
	pthread_mutex_destroy(&dc->mu);
	free(dc);
}

/* FNV-1a. */
static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The slot of lex, or the empty slot where it would go. */
static struct df_slot *slot_of(struct df_slot *slots, size_t cap, const char *lex)
{
	size_t i = hash(lex) & (cap - 1);

	while (slots[i].lex && strcmp(slots[i].lex, lex) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Makes room for one more lexeme: doubles the table at 3/4 full, or empties it at PG_DF_MAX. */
static void room(struct pg_df_cache *dc)
{
	struct df_slot *old = dc->slots;
	size_t cap = dc->cap;

	if (dc->cap && (dc->n + 1) * 4 <= dc->cap * 3)
		return;
	if (dc->n + 1 > PG_DF_MAX) {
		slots_free(old, cap);
		old = NULL;
		cap = 0;
	}
	dc->cap = cap && old ? cap * 2 : 1024;
	dc->slots = xcalloc(dc->cap, sizeof(*dc->slots));
	dc->n = 0;
	for (size_t i = 0; old && i < cap; i++) {
		if (old[i].lex) {
			*slot_of(dc->slots, dc->cap, old[i].lex) = old[i];
			dc->n++;
		}
	}
	free(old);
}

/* The cached count of lex still good for chunk_stats (rows, tokens), or -1. */
static int64_t lookup(struct pg_df_cache *dc, const char *lex, int64_t rows, int64_t tokens,
		      int64_t now)
{
	struct df_slot *s;

	if (!dc->cap)
		return -1;
	s = slot_of(dc->slots, dc->cap, lex);
	if (!s->lex)
		return -1;
	if ((s->rows == rows && s->tokens == tokens) || now - s->at_ms < PG_DF_TTL_MS)
		return s->df;
	return -1;
}

static void remember(struct pg_df_cache *dc, const char *lex, int64_t df, int64_t rows,
		     int64_t tokens, int64_t now)
{
	struct df_slot *s;

	room(dc);
	s = slot_of(dc->slots, dc->cap, lex);
	if (!s->lex) {
		s->lex = xstrdup(lex);
		dc->n++;
	}
	s->df = df;
	s->rows = rows;
	s->tokens = tokens;
	s->at_ms = now;
}

/* Counts the chunks holding each lexeme lex[i] that missing[i] marks into df[i], through the
 * GIN index, in one statement. */
static int count_missing(struct pg_conn *c, const char *const *lex, size_t n,
			 const bool *missing, int64_t *df)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM chunks WHERE tsv @@ assistd_anyq(ARRAY[u.l])) "
		"FROM unnest($1::text[]) WITH ORDINALITY AS u(l, i) ORDER BY u.i";
	struct pg_args a = { 0 };
	PGresult *r = NULL;
	char *list = pgv_text_array(lex, n, missing);
	int err;

	pg_arg_s(&a, list);
	err = pg_run(c, PQ_SEARCH_DF, sql, "search: document frequencies", &a, &r);
	for (size_t i = 0, row = 0; !err && i < n; i++) {
		if (missing[i])
			df[i] = row < (size_t)PQntuples(r) ? pg_col_i(r, (int)row++, 0) : 0;
	}
	PQclear(r);
	free(list);
	return err;
}

int pg_df_get(struct pg_df_cache *dc, struct pg_conn *c, const char *const *lex, size_t n,
	      int64_t rows, int64_t tokens, int64_t *df)
{
	bool *missing = xcalloc(n + 1, sizeof(*missing));
	int64_t now = clock_ms();
	bool any = false;
	int err = 0;

	pthread_mutex_lock(&dc->mu);
	for (size_t i = 0; i < n; i++) {
		df[i] = lookup(dc, lex[i], rows, tokens, now);
		missing[i] = df[i] < 0;
		any = any || missing[i];
	}
	pthread_mutex_unlock(&dc->mu);
	if (any)
		err = count_missing(c, lex, n, missing, df);
	if (!err && any) {
		pthread_mutex_lock(&dc->mu);
		for (size_t i = 0; i < n; i++) {
			if (missing[i])
				remember(dc, lex[i], df[i], rows, tokens, now);
		}
		pthread_mutex_unlock(&dc->mu);
	}
	free(missing);
	return err;
}
