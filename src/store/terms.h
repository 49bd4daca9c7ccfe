/* terms.h - which words of a keyword search pick its candidates, on either backend
 * (sqlite_terms.c, pg_search.c): Lucene's MaxScore split by document frequency.
 *
 * Ranking every chunk that holds any query word costs as much as the commonest word is
 * common. The rarest ("essential") words, up to a budget of postings, pick the candidates;
 * the others only add to their scores. A chunk holding none of the essential words scores at
 * most what the others can add (each word's idf * (k1 + 1), times its repeats in the query),
 * so when the last of the best results already scores more, the ranking is exact; otherwise
 * the search runs again with a wider essential set: up to the words that leave outside less
 * than the last result scored, or all of them. */
#ifndef ASSISTD_TERMS_H
#define ASSISTD_TERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct term {
	const char *word; /* borrowed from the caller */
	int64_t df;       /* chunks holding it, in any store */
	int64_t rows;     /* chunks in the index when df was counted */
	int repeats;      /* how often the query holds it (0 counts as 1) */
	double ub;        /* the most it can add to a score: repeats * idf * (k1 + 1) */
};

/* A search's words, rarest first once bounded; the first nessential pick the candidates. */
struct terms_plan {
	struct term *t;    /* owned */
	size_t n, nessential;
	int64_t budget;    /* postings the essential words may have */
	double ub_all;     /* the most all words can score together */
	double ub_common;  /* the most the words past the essential ones can */
};

/* Sorts the plan's words rarest first, sets their bounds for BM25's k1 and picks the first
 * essential words: as many as have budget postings together, at least one. */
void terms_bounds(struct terms_plan *p, double k1, int64_t budget);
/* Widens the essential words after a pass that found n of the limit hits it wanted, the last
 * of them scoring last (over ub_all): with too few hits, to a four times larger budget of
 * postings; with enough, to the words outside which no chunk could outscore the last hit
 * (MaxScore's threshold), so that the next pass is exact. False when all words already are
 * essential. */
bool terms_widen(struct terms_plan *p, size_t n, int limit, double last);
/* Whether a search that found n of the limit hits it wanted, the last of them scoring last
 * (over ub_all, 0..1), ranked exactly: no chunk outside the candidates can beat it. */
bool terms_exact(const struct terms_plan *p, size_t n, int limit, double last);
void terms_cleanup(struct terms_plan *p);

#endif
