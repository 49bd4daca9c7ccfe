/* tok_bpe.c - the byte-pair merge: a pre-token's bytes become tokens.
 *
 * Start from single bytes and repeatedly merge the adjacent pair whose joined bytes have the
 * lowest rank (the leftmost on a tie) until no pair is a token; this is tiktoken's algorithm
 * and gives the same tokens. A pre-token that is itself a token (most words) takes one lookup.
 * Short pre-tokens use a scan for the lowest pair, quadratic but with tiny constants; long ones
 * (long runs of one character, base64, minified code) use a heap over a linked list of parts,
 * O(n log n), so no input makes the merge quadratic. */
#include <stdlib.h>

#include "../base/alloc.h"
#include "tok_int.h"

#define BPE_SHORT 64 /* pre-tokens up to this many bytes use the scan */

void tok_out_push(struct tok_out *o, uint32_t id, size_t off)
{
	if (o->count_only) {
		o->n++;
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->ids = xrealloc(o->ids, o->cap * sizeof(*o->ids));
		if (o->want_offs)
			o->offs = xrealloc(o->offs, o->cap * sizeof(*o->offs));
	}
	o->ids[o->n] = id;
	if (o->want_offs)
		o->offs[o->n] = off;
	o->n++;
}

/* --- short pre-tokens: parts in an array, the lowest pair found by a scan ----------------- */

/* bnd[0..np] are the parts' boundaries; pr[i] is the rank of parts i and i+1 joined. */
static uint32_t pair_rank(const struct tok_table *t, const uint8_t *p, const uint32_t *bnd,
			  size_t np, size_t i)
{
	return i + 1 < np ? tok_rank(t, p + bnd[i], bnd[i + 2] - bnd[i]) : TOK_NONE;
}

static void bpe_short(const struct tok_table *t, const uint8_t *p, size_t n, size_t base,
		      struct tok_out *o)
{
	uint32_t bnd[BPE_SHORT + 1], pr[BPE_SHORT];
	size_t np = n;

	for (size_t i = 0; i <= n; i++)
		bnd[i] = (uint32_t)i;
	for (size_t i = 0; i < np; i++)
		pr[i] = pair_rank(t, p, bnd, np, i);
	for (;;) {
		size_t best = 0;
		for (size_t i = 1; i + 1 < np; i++)
			if (pr[i] < pr[best])
				best = i;
		if (np < 2 || pr[best] == TOK_NONE)
			break;
		memmove(bnd + best + 1, bnd + best + 2, (np - best - 1) * sizeof(*bnd));
		memmove(pr + best + 1, pr + best + 2, (np - best - 2) * sizeof(*pr));
		np--;
		pr[best] = pair_rank(t, p, bnd, np, best);
		if (best > 0)
			pr[best - 1] = pair_rank(t, p, bnd, np, best - 1);
	}
	for (size_t i = 0; i < np; i++)
		tok_out_push(o, tok_rank(t, p + bnd[i], bnd[i + 1] - bnd[i]), base + bnd[i]);
}

/* --- long pre-tokens: a min-heap of candidate pairs over a linked list of parts ----------- */

struct part {
	uint32_t start, next, prev; /* the last's next is n, the first's prev UINT32_MAX */
	uint32_t rank;              /* of this part joined with the next, or TOK_NONE */
	int dead;
};

struct cand {
	uint32_t rank, at; /* at: the index (= start byte) of the left part */
};

struct heap {
	struct cand *c;
	size_t n;
};

static int cand_less(struct cand a, struct cand b)
{
	return a.rank < b.rank || (a.rank == b.rank && a.at < b.at);
}

static void heap_push(struct heap *h, struct cand c)
{
	size_t i = h->n++;

	for (; i > 0 && cand_less(c, h->c[(i - 1) / 2]); i = (i - 1) / 2)
		h->c[i] = h->c[(i - 1) / 2];
	h->c[i] = c;
}

static struct cand heap_pop(struct heap *h)
{
	struct cand top = h->c[0], last = h->c[--h->n];
	size_t i = 0;

	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= h->n)
			break;
		if (k + 1 < h->n && cand_less(h->c[k + 1], h->c[k]))
			k++;
		if (!cand_less(h->c[k], last))
			break;
		h->c[i] = h->c[k];
		i = k;
	}
	h->c[i] = last;
	return top;
}

/* Recomputes the rank of part i joined with its next part and queues it. */
static void part_rank(const struct tok_table *t, const uint8_t *p, size_t n, struct part *pt,
		      struct heap *h, uint32_t i)
{
	uint32_t nx = pt[i].next;

	pt[i].rank = nx < n ? tok_rank(t, p + i, pt[nx].next - i) : TOK_NONE;
	if (pt[i].rank != TOK_NONE)
		heap_push(h, (struct cand){ pt[i].rank, i });
}

static void bpe_long(const struct tok_table *t, const uint8_t *p, size_t n, size_t base,
		     struct tok_out *o)
{
	struct part *pt = xmalloc((n + 1) * sizeof(*pt));
	struct heap h = { xmalloc((3 * n + 1) * sizeof(*h.c)), 0 }; /* <= 3 pushes a byte */

	for (uint32_t i = 0; i <= n; i++)
		pt[i] = (struct part){ i, i + 1, i - 1, TOK_NONE, 0 };
	for (uint32_t i = 0; i + 1 < n; i++)
		part_rank(t, p, n, pt, &h, i);
	while (h.n) {
		struct cand c = heap_pop(&h);
		uint32_t nx = pt[c.at].next;
		if (pt[c.at].dead || pt[c.at].rank != c.rank)
			continue; /* stale: the part changed since this pair was queued */
		pt[nx].dead = 1;
		pt[c.at].next = pt[nx].next;
		pt[pt[nx].next].prev = c.at;
		part_rank(t, p, n, pt, &h, c.at);
		if (pt[c.at].prev != UINT32_MAX)
			part_rank(t, p, n, pt, &h, pt[c.at].prev);
	}
	for (uint32_t i = 0; i < n; i = pt[i].next)
		tok_out_push(o, tok_rank(t, p + i, pt[i].next - i), base + i);
	free(h.c);
	free(pt);
}

void tok_bpe(const struct tok_table *t, const uint8_t *p, size_t n, size_t base,
	     struct tok_out *o)
{
	uint32_t r = n == 1 ? t->h->byte_rank[p[0]] : tok_rank(t, p, n);

	if (r != TOK_NONE)
		tok_out_push(o, r, base);
	else if (n <= BPE_SHORT)
		bpe_short(t, p, n, base, o);
	else
		bpe_long(t, p, n, base, o);
}
