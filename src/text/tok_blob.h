/* tok_blob.h - the layout of a generated rank table and the hash of a token's bytes, shared by
 * the generator (gen/tokgen.c, run at build time) and the lookup (tok_table.c): both must
 * agree on every byte.
 *
 * A blob is: struct tok_blob_hdr, then uint32_t offs[ntok + 1] (token r is
 * bytes[offs[r]..offs[r + 1])), then uint32_t slots[nslot] (an open-addressing hash of the
 * tokens' bytes, linear probing: rank + 1 in the low TOK_RANK_BITS, the hash's top bits above
 * them so that most mismatches are seen without reading the bytes; 0 for an empty slot), then
 * bytes[nbytes].
 *
 * The class blob gives each code point the TOK_C_* bits the pre-tokenizer tests, in two
 * stages: struct tok_class_hdr, uint16_t block[TOK_CLASS_BLOCKS] (the block of code points
 * cp >> 8 uses), then uint8_t bits[nblocks][256] (indexed by cp & 255). */
#ifndef ASSISTD_TOK_BLOB_H
#define ASSISTD_TOK_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define TOK_BLOB_MAGIC 0x324b4f54u /* "TOK2" little-endian */
#define TOK_RANK_BITS 18
#define TOK_RANK_MASK ((1u << TOK_RANK_BITS) - 1)

struct tok_blob_hdr {
	uint32_t magic;
	uint32_t ntok;	    /* ranks are 0..ntok-1 */
	uint32_t nslot;	    /* a power of two */
	uint32_t nbytes;
	uint32_t maxlen;    /* the longest token, in bytes */
	uint32_t byte_rank[256]; /* the rank of each single byte */
};

#define TOK_CLASS_MAGIC 0x314c4354u /* "TCL1" */
#define TOK_CLASS_BLOCKS (0x110000 >> 8)

/* What the pre-tokenization patterns ask of a code point. */
enum {
	TOK_C_L = 1,	 /* \p{L} */
	TOK_C_N = 2,	 /* \p{N} */
	TOK_C_UP = 4,	 /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], o200k_base's "upper" */
	TOK_C_LO = 8,	 /* [\p{Ll}\p{Lm}\p{Lo}\p{M}], o200k_base's "lower" */
	TOK_C_WS = 16,	 /* \s as tiktoken means it: Unicode White_Space */
	TOK_C_NL = 32,	 /* \r or \n */
	TOK_C_VALID = 64 /* set by the decoder, never in the table: a whole UTF-8 character */
};

/* The members of \s, as PCRE2 class text: Unicode White_Space, which is what tiktoken's \s
 * (Rust regex) matches. PCRE2's own \s lacks U+0085; JavaScript's adds U+FEFF. */
#define TOK_WS_CLASS                                                                   \
	"\\t\\n\\x0b\\f\\r \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"                    \
	"\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"

struct tok_class_hdr {
	uint32_t magic;
	uint32_t nblocks;
};

/* FNV-1a over the bytes, 32 bits. */
static inline uint32_t tok_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

#endif
