/* tok_cache.c - the pieces of one long text already merged, so that a word seen before costs
 * a lookup in a small array instead of another walk through the rank table.
 *
 * Text repeats its words; the rank table is megabytes, so looking a word up there is a cache
 * miss, and a word of several tokens takes many. This direct-mapped cache of 8192 pieces
 * (512 KB, most of it stays in the CPU's cache) keeps each short piece's tokens. It lives for one
 * tok_count or tok_encode call, so it needs no lock and holds no memory afterwards. */
#include <stdlib.h>

#include "../base/alloc.h"
#include "tok_int.h"

#define CACHE_ENTRIES 8192 /* a power of two */
#define CACHE_PIECE 16	   /* longest piece kept, in bytes */
#define CACHE_TOKENS 8	   /* most tokens of a piece kept */

struct entry {
	uint32_t hash;
	uint8_t len; /* of the piece; 0 for an empty entry */
	uint8_t ntok;
	uint8_t tlen[CACHE_TOKENS]; /* each token's length in bytes */
	uint8_t bytes[CACHE_PIECE];
	uint32_t ids[CACHE_TOKENS];
};

struct tok_cache {
	struct entry e[CACHE_ENTRIES];
};

struct tok_cache *tok_cache_new(void)
{
	return xcalloc(1, sizeof(struct tok_cache));
}

void tok_cache_free(struct tok_cache *c)
{
	free(c);
}

static void replay(const struct entry *e, size_t base, struct tok_out *o)
{
	if (o->count_only) {
		o->n += e->ntok;
		return;
	}
	for (size_t k = 0; k < e->ntok; k++) {
		tok_out_push(o, e->ids[k], base);
		base += e->tlen[k];
	}
}

/* Keeps the tokens o received from index first on, when they fit. */
static void keep(struct entry *e, const struct tok_table *t, uint32_t h, const uint8_t *p,
		 size_t n, const struct tok_out *o, size_t first)
{
	size_t ntok = o->n - first;

	if (ntok > CACHE_TOKENS)
		return;
	e->hash = h;
	e->len = (uint8_t)n;
	e->ntok = (uint8_t)ntok;
	memcpy(e->bytes, p, n);
	for (size_t k = 0; !o->count_only && k < ntok; k++) {
		uint32_t id = o->ids[first + k];
		e->ids[k] = id;
		e->tlen[k] = (uint8_t)(t->offs[id + 1] - t->offs[id]);
	}
}

void tok_cache_bpe(struct tok_cache *c, const struct tok_table *t, const uint8_t *p, size_t n,
		   size_t base, struct tok_out *o)
{
	uint32_t h;
	struct entry *e;
	size_t first = o->n;

	if (n > CACHE_PIECE) {
		tok_bpe(t, p, n, base, o);
		return;
	}
	h = tok_hash(p, n);
	e = &c->e[h & (CACHE_ENTRIES - 1)];
	if (e->len == n && e->hash == h && tok_bytes_eq(e->bytes, p, n)) {
		replay(e, base, o);
		return;
	}
	tok_bpe(t, p, n, base, o);
	keep(e, t, h, p, n, o, first);
}
