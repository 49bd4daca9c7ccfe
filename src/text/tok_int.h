/* tok_int.h - the tokenizer's parts, shared inside src/text only: the rank tables
 * (tok_table.c), the pre-tokenizer (tok_split.c) and the byte-pair merge (tok_bpe.c). */
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

/* The rank of the token whose bytes are p[0..n), or TOK_NONE. */
static inline uint32_t tok_rank(const struct tok_table *t, const uint8_t *p, size_t n)
{
	if (n > t->h->maxlen)
		return TOK_NONE;
	for (uint32_t i = tok_hash(p, n) & t->mask;; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];
		if (!s)
			return TOK_NONE;
		if (t->offs[s] - t->offs[s - 1] == n && !memcmp(t->bytes + t->offs[s - 1], p, n))
			return s - 1;
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

#endif
