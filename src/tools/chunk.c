/* chunk.c - overlapping token windows (see chunk.h). */
#include "chunk.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"

void chunker_init(struct chunker *ch, size_t max_tokens, size_t overlap)
{
	memset(ch, 0, sizeof(*ch));
	ch->max = max_tokens;
	ch->stride = max_tokens - overlap;
}

void chunker_cleanup(struct chunker *ch)
{
	free(ch->offs);
	memset(ch, 0, sizeof(*ch));
}

/* Forgets the offsets of tokens before the next chunk's start. */
static void drop_before_next(struct chunker *ch)
{
	size_t k = ch->next - ch->base;

	if (k == 0)
		return;
	if (k > ch->n)
		k = ch->n;
	memmove(ch->offs, ch->offs + k, (ch->n - k) * sizeof(*ch->offs));
	ch->n -= k;
	ch->base += k;
}

void chunker_feed(struct chunker *ch, const size_t *offs, size_t n)
{
	drop_before_next(ch);
	if (ch->n + n > ch->cap) {
		ch->cap = (ch->n + n) * 2;
		ch->offs = xrealloc(ch->offs, ch->cap * sizeof(*ch->offs));
	}
	memcpy(ch->offs + ch->n, offs, n * sizeof(*offs));
	ch->n += n;
	drop_before_next(ch);
}

/* Total tokens seen so far. */
static size_t seen(const struct chunker *ch)
{
	return ch->base + ch->n;
}

bool chunker_next(struct chunker *ch, bool final, size_t text_len, struct chunk_span *out)
{
	size_t end_tok = ch->next + ch->max;

	if (ch->next >= seen(ch))
		return false;
	if (end_tok < seen(ch)) {
		out->start = ch->offs[ch->next - ch->base];
		out->end = ch->offs[end_tok - ch->base];
	} else if (final) {
		/* What is left; unless the previous chunk already reached the end. */
		if (ch->emitted && ch->next + (ch->max - ch->stride) >= seen(ch))
			return false;
		out->start = ch->offs[ch->next - ch->base];
		out->end = text_len;
		ch->next = seen(ch);
		ch->emitted = true;
		return true;
	} else {
		return false;
	}
	ch->next += ch->stride;
	ch->emitted = true;
	return true; /* the offsets before next go at the next feed: one move a window */
}
