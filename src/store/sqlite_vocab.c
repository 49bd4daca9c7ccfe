/* sqlite_vocab.c - the keyword index's document frequencies, every word's at once, in memory.
 *
 * A search needs each query word's document frequency (its idf, and which words pick the
 * candidates: sqlite_terms.c). Counting a word's chunks walks its whole posting list: about
 * 3 ms for a word in a third of 100k chunks, 40 % of a search's work when each query brings
 * new words. FTS5 keeps no such counts, but one pass over its vocabulary (the fts5vocab
 * table chunks_vocab, about 0.3 s for 100k chunks) yields all of them: they are kept here,
 * with the index's chunk count, tagged with the index's averages record (FTS5's row 1 of
 * chunks_fts_data: the chunk count and the total length, which any insert or delete
 * changes, by this process or another). While the tag matches, the table is exact. When it
 * does not, the table is still used for SQ_VOCAB_TTL_MS (a staleness that moves idf values
 * by next to nothing; words it lacks are counted one by one), then read again by the next
 * search, one search at a time. Query words are turned into index terms by the index's own
 * tokenizer (FTS5's, through its API: porter stemming, folded diacritics).
 * A vocabulary over SQ_VOCAB_MAX terms is not kept: its words are counted one by one. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"

#define SQ_VOCAB_TTL_MS 10000
#define SQ_VOCAB_MAX 1000000  /* terms: about 40 MB */

struct vocab_slot {
	uint32_t off;  /* term's offset in words, +1 (0: empty slot) */
	uint32_t len;
	int64_t df;
};

/* One reading of the vocabulary; immutable once published in st->vocab. */
struct sq_vocab {
	char *stamp;     /* owned: the averages record it was read at */
	size_t nstamp;
	int64_t read_ms; /* clock_ms() when it was read */
	struct vocab_slot *slots; /* owned; cap of them, a power of two */
	size_t cap, n;
	char *words;     /* owned: the terms, back to back */
	size_t nwords, capwords;
	bool partial;    /* over SQ_VOCAB_MAX terms: none kept */
};

void sqlite_vocab_init(struct sqlite_store *st)
{
	pthread_mutex_init(&st->vocab_mu, NULL);
	st->vocab = NULL;
	st->vocab_reading = false;
}

static void vocab_free(struct sq_vocab *v)
{
	if (!v)
		return;
	free(v->stamp);
	free(v->slots);
	free(v->words);
	free(v);
}

void sqlite_vocab_cleanup(struct sqlite_store *st)
{
	pthread_mutex_destroy(&st->vocab_mu);
	vocab_free(st->vocab);
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The slot holding term, or the empty slot where it would go. */
static struct vocab_slot *find(const struct sq_vocab *v, const char *term, size_t n)
{
	size_t i = hash(term, n) & (v->cap - 1);

	while (v->slots[i].off) {
		const struct vocab_slot *s = &v->slots[i];

		if (s->len == n && memcmp(v->words + s->off - 1, term, n) == 0)
			break;
		i = (i + 1) & (v->cap - 1);
	}
	return &v->slots[i];
}

static void grow(struct sq_vocab *v);

static void add(struct sq_vocab *v, const char *term, size_t n, int64_t df)
{
	struct vocab_slot *s;

	if ((v->n + 1) * 2 > v->cap)
		grow(v);
	s = find(v, term, n);
	if (s->off) {
		s->df += df;
		return;
	}
	if (v->nwords + n > v->capwords) {
		v->capwords = (v->nwords + n) * 2;
		v->words = xrealloc(v->words, v->capwords);
	}
	memcpy(v->words + v->nwords, term, n);
	*s = (struct vocab_slot){ (uint32_t)v->nwords + 1, (uint32_t)n, df };
	v->nwords += n;
	v->n++;
}

/* Doubles the table (at least 1024 slots) and places every term again. */
static void grow(struct sq_vocab *v)
{
	struct vocab_slot *old = v->slots;
	size_t oldcap = v->cap;

	v->cap = v->cap ? v->cap * 2 : 1024;
	v->slots = xcalloc(v->cap, sizeof(*v->slots));
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].off)
			*find(v, v->words + old[i].off - 1, old[i].len) = old[i];
	}
	free(old);
}

/* The averages record: owned copy in *stamp (NULL when the index was never written). */
static int read_stamp(sqlite3 *db, char **stamp, size_t *n)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(db, "SELECT block FROM chunks_fts_data WHERE id = 1", &s, "vocab",
			       "");

	*stamp = NULL;
	*n = 0;
	if (!err)
		err = sqlite_step(db, s, "vocab", &row);
	if (!err && row && sqlite3_column_bytes(s, 0) > 0) {
		*n = (size_t)sqlite3_column_bytes(s, 0);
		*stamp = xmalloc(*n);
		memcpy(*stamp, sqlite3_column_blob(s, 0), *n);
	}
	sqlite3_finalize(s);
	return err;
}

/* The chunk count at the start of the averages record (an SQLite varint). */
static int64_t stamp_rows(const char *stamp, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 9; i++) {
		unsigned char c = (unsigned char)stamp[i];

		if (i == 8)
			return (int64_t)((v << 8) | c);
		v = (v << 7) | (c & 0x7f);
		if (!(c & 0x80))
			break;
	}
	return (int64_t)v;
}

/* Reads every term of the text column with its chunk count. ERR_TOO_LARGE past the cap. */
static int vocab_read(sqlite3 *db, struct sq_vocab *v)
{
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = sqlite_query(db, "SELECT term, doc FROM chunks_vocab WHERE col = 'text'", &s,
			       "vocab", "");

	while (!err) {
		err = sqlite_step(db, s, "vocab", &row);
		if (err || !row)
			break;
		if (v->n >= SQ_VOCAB_MAX) {
			err = ERR_TOO_LARGE;
			break;
		}
		add(v, (const char *)sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), sqlite3_column_int64(s, 1));
	}
	sqlite3_finalize(s);
	return err;
}

/* A new reading at the current snapshot, or NULL (logged) when it failed. Over SQ_VOCAB_MAX
 * terms, an empty table marked partial: words are then counted one by one. */
static struct sq_vocab *vocab_new(sqlite3 *db, const char *stamp, size_t nstamp)
{
	struct sq_vocab *v = xcalloc(1, sizeof(*v));
	int err = vocab_read(db, v);

	if (err == ERR_LIMIT) {
		free(v->slots);
		free(v->words);
		memset(v, 0, sizeof(*v));
		v->partial = true;
	} else if (err) {
		vocab_free(v);
		return NULL;
	}
	v->nstamp = nstamp;
	v->stamp = nstamp ? xmalloc(nstamp) : NULL;
	if (nstamp)
		memcpy(v->stamp, stamp, nstamp);
	v->read_ms = clock_ms();
	return v;
}

/* What on_token gathers: the first term and how many there were. */
struct one_term {
	char *term;
	size_t cap, len;
	int count;
};

static int on_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	struct one_term *t = ctx;

	(void)start;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (t->count++ == 0 && n > 0 && (size_t)n <= t->cap) {
		memcpy(t->term, tok, (size_t)n);
		t->len = (size_t)n;
	}
	return SQLITE_OK;
}

/* The one term the index's tokenizer makes of word, into term (cap bytes); its length, or 0
 * when it makes none or several (a phrase, counted as such). */
static size_t term_of(struct sq_tokenizer *tk, const char *word, char *term, size_t cap)
{
	struct one_term t = { term, cap, 0, 0 };
	int rc = tk->api.xTokenize(tk->inst, &t, FTS5_TOKENIZE_QUERY, word, (int)strlen(word),
				   on_token);

	return rc == SQLITE_OK && t.count == 1 ? t.len : 0;
}

/* Whether v may answer for the index as stamped now; *exact when nothing changed since. */
static bool usable(const struct sq_vocab *v, const char *stamp, size_t nstamp, bool *exact)
{
	int64_t ttl = v && v->partial ? SQ_VOCAB_TTL_MS * 60 : SQ_VOCAB_TTL_MS;

	*exact = v && !v->partial && v->nstamp == nstamp &&
		 (nstamp == 0 || memcmp(v->stamp, stamp, nstamp) == 0);
	return v && (*exact || clock_ms() - v->read_ms < ttl);
}

/* Looks up each term (lens[i] 0: none) in v: its df, 0 when the table is exact and lacks it,
 * else -1 (to be counted). */
static void lookup(const struct sq_vocab *v, bool exact, char (*terms)[SQ_WORD_MAX + 1],
		   const size_t *lens, size_t n, int64_t *dfs)
{
	for (size_t i = 0; i < n; i++) {
		const struct vocab_slot *s = lens[i] && v && v->cap ?
			find(v, terms[i], lens[i]) : NULL;

		dfs[i] = s && s->off ? s->df : (exact && lens[i] ? 0 : -1);
	}
}

/* Reads the vocabulary again (this thread only: vocab_reading was set) and publishes it. */
static void refresh(struct sqlite_store *st, sqlite3 *db, const char *stamp, size_t nstamp)
{
	struct sq_vocab *v = vocab_new(db, stamp, nstamp);

	pthread_mutex_lock(&st->vocab_mu);
	if (v) {
		vocab_free(st->vocab);
		st->vocab = v;
	}
	st->vocab_reading = false;
	pthread_mutex_unlock(&st->vocab_mu);
}

/* Under vocab_mu: the lookups when the table may answer, else (when read is not NULL)
 * whether this thread is to read it again. */
static bool answer(struct sqlite_store *st, const char *stamp, size_t nstamp,
		   char (*terms)[SQ_WORD_MAX + 1], const size_t *lens, size_t n, int64_t *dfs,
		   bool *read)
{
	bool exact, ok;
	bool mine;

	pthread_mutex_lock(&st->vocab_mu);
	ok = usable(st->vocab, stamp, nstamp, &exact);
	mine = read && !ok && !st->vocab_reading;
	if (read)
		*read = mine;
	if (mine)
		st->vocab_reading = true;
	if (ok)
		lookup(st->vocab, exact, terms, lens, n, dfs);
	pthread_mutex_unlock(&st->vocab_mu);
	return ok;
}

int sqlite_vocab_dfs(struct sqlite_store *st, struct sqlite_conn *c, const char *const *words,
		     size_t n, int64_t *dfs, int64_t *rows)
{
	char (*terms)[SQ_WORD_MAX + 1] = xcalloc(n + 1, sizeof(*terms));
	size_t *lens = xcalloc(n + 1, sizeof(*lens));
	struct sq_tokenizer tk;
	char *stamp = NULL;
	size_t nstamp = 0;
	bool read = false;
	int err = read_stamp(c->db, &stamp, &nstamp);

	for (size_t i = 0; i < n; i++)
		dfs[i] = -1;
	*rows = stamp_rows(stamp, nstamp);
	if (!err && sqlite_tokenizer_open(c, &tk) == 0) {
		for (size_t i = 0; i < n; i++)
			lens[i] = term_of(&tk, words[i], terms[i], SQ_WORD_MAX);
		sqlite_tokenizer_close(&tk);
		if (!answer(st, stamp, nstamp, terms, lens, n, dfs, &read) && read) {
			refresh(st, c->db, stamp, nstamp);
			answer(st, stamp, nstamp, terms, lens, n, dfs, NULL);
		}
	}
	free(stamp);
	free(terms);
	free(lens);
	return err;
}
