/* chunk.h - cutting a text into overlapping chunks of tokens, as file_search's static
 * chunking does: chunk k covers tokens [k * (max - overlap), k * (max - overlap) + max), and
 * the last chunk takes what is left.
 *
 * The chunker sees only token start offsets (bytes into the text), fed window by window, so a
 * huge text never needs all its tokens in memory at once. It does not tokenize. */
#ifndef ASSISTD_CHUNK_H
#define ASSISTD_CHUNK_H

#include <stdbool.h>
#include <stddef.h>

#define CHUNK_AUTO_MAX 800
#define CHUNK_AUTO_OVERLAP 400

struct chunker {
	size_t max, stride;  /* tokens per chunk; tokens between chunk starts */
	size_t *offs;        /* owned: start offsets of tokens base..; those before next go at
			      * the next feed */
	size_t n, cap;       /* offsets held */
	size_t base;         /* token number of offs[0] */
	size_t next;         /* token number where the next chunk starts */
	bool emitted;        /* a chunk was produced */
};

/* A chunk: bytes [start, end) of the text. */
struct chunk_span {
	size_t start, end;
};

/* max_tokens >= 1 and overlap < max_tokens (the API checks the spec's limits). */
void chunker_init(struct chunker *ch, size_t max_tokens, size_t overlap);
void chunker_cleanup(struct chunker *ch);
/* Adds the start offsets of the next n tokens (ascending). */
void chunker_feed(struct chunker *ch, const size_t *offs, size_t n);
/* Produces the next chunk that is complete. At the end of the text (text_len given with
 * final true) it also produces the last, partial one. Returns false when there is none. */
bool chunker_next(struct chunker *ch, bool final, size_t text_len, struct chunk_span *out);

#endif
