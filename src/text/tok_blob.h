/* tok_blob.h - the layout of a generated rank table and the hash of a token's bytes, shared by
 * the generator (gen/tokgen.c, run at build time) and the lookup (tok_table.c): both must
 * agree on every byte.
 *
 * A blob is: struct tok_blob_hdr, then uint32_t offs[ntok + 1] (token r is
 * bytes[offs[r]..offs[r + 1])), then uint32_t slots[nslot] (an open-addressing hash of the
 * tokens' bytes, linear probing: rank + 1, or 0 for an empty slot), then bytes[nbytes]. */
#ifndef ASSISTD_TOK_BLOB_H
#define ASSISTD_TOK_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define TOK_BLOB_MAGIC 0x314b4f54u /* "TOK1" little-endian */

struct tok_blob_hdr {
	uint32_t magic;
	uint32_t ntok;	    /* ranks are 0..ntok-1 */
	uint32_t nslot;	    /* a power of two */
	uint32_t nbytes;
	uint32_t maxlen;    /* the longest token, in bytes */
	uint32_t byte_rank[256]; /* the rank of each single byte */
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
