/* tokenizer.h - counting and splitting text into OpenAI model tokens.
 *
 * The real byte-pair encodings o200k_base and cl100k_base: the same pre-tokenization regexes
 * and the same rank tables as OpenAI's tiktoken, so counts match what the hosted models bill.
 * The rank tables are built into the binary read-only (see SOURCE.md) and touched only when
 * text is tokenized. Bytes that are not valid UTF-8 are tokenized as bytes, each invalid run
 * on its own, so tok_decode(tok_encode(x)) == x for any input. */
#ifndef ASSISTD_TOKENIZER_H
#define ASSISTD_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"

enum tok_enc { TOK_O200K, TOK_CL100K };

/* The encoding a model uses: cl100k_base for gpt-3.5*, gpt-4, gpt-4-turbo*, text-embedding-3*,
 * text-embedding-ada-002 (and their "ft:" fine-tunes); o200k_base for everything else (gpt-4o*,
 * gpt-4.1*, o1*, o3*, unknown). model may be NULL (o200k_base). */
enum tok_enc tok_enc_for_model(const char *model);
/* Number of tokens of text[0..len). Thread-safe; loads its tables on first use. */
size_t tok_count(enum tok_enc enc, const char *text, size_t len);
/* Token ids of text[0..len): *ids owned (free()), and when offs is not NULL *offs owned: the byte
 * offset in text where each token starts. Errors: ERR_INTERNAL when the tables cannot load.
 * Some characters are split over tokens (many CJK ones in cl100k_base), so an offset may fall
 * inside a UTF-8 character: to cut text at a token, move back while the byte there is
 * 10xxxxxx. */
int tok_encode(enum tok_enc enc, const char *text, size_t len, uint32_t **ids, size_t **offs,
	       size_t *n) MUST_CHECK;
/* Appends the bytes of ids[0..n) to out; ids that are not tokens of enc are skipped, and it
 * stops early when out reaches its maximum. */
void tok_decode(enum tok_enc enc, const uint32_t *ids, size_t n, struct buf *out);

#endif
