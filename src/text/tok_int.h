/* tok_int.h - the tokenizer's parts, shared inside src/text only: the rank tables
 * (tok_table.c), the pre-tokenizer (tok_split.c), the byte-pair merge (tok_bpe.c) and the
 * cache of merged pieces (tok_cache.c). The unit tests use them too. */
#ifndef ASSISTD_TOK_INT_H
#define ASSISTD_TOK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tok_blob.h"
#include "tokenizer.h"

#define TOK_NONE UINT32_MAX

/* One encoding's ranks, read-only over the blob built into the binary. */
struct tok_table {
	const struct tok_blob_hdr *h;
	const uint32_t *offs;
	const uint32_t *slots;
	const uint8_t *bytes;
	uint32_t mask;
};

/* Returns the table of enc (borrowed, static), or NULL when its blob is damaged. */
const struct tok_table *tok_table_get(enum tok_enc enc);

/* The Unicode classes of every code point, read-only over the blob built into the binary. */
struct tok_classes {
	const uint16_t *block; /* TOK_CLASS_BLOCKS: the row of bits for cp >> 8 */
	const uint8_t *bits;   /* rows of 256 TOK_C_* bytes */
};

/* Returns the class table (borrowed, static), or NULL when its blob is damaged. */
const struct tok_classes *tok_classes_get(void);

/* a[0..n) == b[0..n), inline: the lookups compare short strings, where a call costs more. */
static inline int tok_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* The rank of the token whose bytes are p[0..n), or TOK_NONE. */
static inline uint32_t tok_rank(const struct tok_table *t, const uint8_t *p, size_t n)
{
	uint32_t h, tag;

	if (n > t->h->maxlen)
		return TOK_NONE;
	h = tok_hash(p, n);
	tag = h >> TOK_RANK_BITS;
	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];
		uint32_t r = (s & TOK_RANK_MASK) - 1;
		if (!s)
			return TOK_NONE;
		if (s >> TOK_RANK_BITS == tag && t->offs[r + 1] - t->offs[r] == n &&
		    tok_bytes_eq(t->bytes + t->offs[r], p, n))
			return r;
	}
}

/* Where tokens go: counted only, or appended to ids (and offs when want_offs). */
struct tok_out {
	uint32_t *ids;	/* owned; NULL when only counting */
	size_t *offs;	/* owned; NULL unless want_offs */
	size_t n, cap;
	int count_only, want_offs;
};

/* Appends one token starting at byte off of the text. */
void tok_out_push(struct tok_out *o, uint32_t id, size_t off);

/* Calls fn(arg, start, end) for each pre-token of text[0..len), in order, covering every byte
 * (runs of invalid UTF-8 come as pre-tokens of their own). Returns 0 or ERR_INTERNAL. */
int tok_split(enum tok_enc enc, const char *text, size_t len,
	      void (*fn)(void *arg, size_t start, size_t end), void *arg) MUST_CHECK;

/* Merges the pre-token p[0..n), which starts at byte base of the text, into tokens. */
void tok_bpe(const struct tok_table *t, const uint8_t *p, size_t n, size_t base,
	     struct tok_out *o);

/* A cache of merged pieces for one text (tok_cache.c); not shared between threads. */
struct tok_cache;

/* Returns an owned, empty cache; free with tok_cache_free (NULL is a no-op). */
struct tok_cache *tok_cache_new(void);
void tok_cache_free(struct tok_cache *c);
/* tok_bpe, answered from c when the piece was merged before (and remembered for next time).
 * One cache serves one text, counted or encoded, never both. */
void tok_cache_bpe(struct tok_cache *c, const struct tok_table *t, const uint8_t *p, size_t n,
		   size_t base, struct tok_out *o);

#endif
