/* tokgen.c - build-time generator: turns a tiktoken rank file into the blob assistd embeds.
 *
 *   tokgen IN.tiktoken OUT.bin
 *
 * A tiktoken file has one token a line, "BASE64 RANK", ranks 0, 1, 2... in order. The blob
 * (layout in ../tok_blob.h) holds the token bytes by rank and a hash from bytes to rank, so
 * the server maps it read-only and builds nothing at run time. Any malformed line fails the
 * build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/alloc.h"
#include "../tok_blob.h"

struct gen {
	struct tok_blob_hdr h;
	uint32_t *offs;
	uint32_t *slots;
	uint8_t *bytes;
	size_t cap_tok, cap_bytes;
};

static int b64_value(int c)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Decodes base64 s[0..n) into out (room for n bytes); returns the length or -1. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0;
	long len = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return len;
}

static void gen_reserve(struct gen *g, size_t more)
{
	if (g->h.ntok + 2 > g->cap_tok) {
		g->cap_tok = g->cap_tok ? g->cap_tok * 2 : 65536;
		g->offs = xrealloc(g->offs, g->cap_tok * sizeof(*g->offs));
	}
	if (g->h.nbytes + more > g->cap_bytes) {
		g->cap_bytes = (g->cap_bytes + more) * 2;
		g->bytes = xrealloc(g->bytes, g->cap_bytes);
	}
}

/* Adds one "BASE64 RANK" line; returns 0 or -1 when it is malformed or out of order. */
static int gen_line(struct gen *g, char *line)
{
	char *sp = strchr(line, ' ');
	char *end = NULL;
	long len;

	if (!sp)
		return -1;
	if (strtoul(sp + 1, &end, 10) != g->h.ntok || (*end != '\n' && *end))
		return -1;
	gen_reserve(g, (size_t)(sp - line));
	len = b64_decode(line, (size_t)(sp - line), g->bytes + g->h.nbytes);
	if (len <= 0)
		return -1;
	if (len == 1)
		g->h.byte_rank[g->bytes[g->h.nbytes]] = g->h.ntok;
	g->offs[g->h.ntok++] = g->h.nbytes;
	g->h.nbytes += (uint32_t)len;
	if ((uint32_t)len > g->h.maxlen)
		g->h.maxlen = (uint32_t)len;
	return 0;
}

/* Fills the hash: linear probing, at most half full. Returns -1 on a duplicate token. */
static int gen_hash(struct gen *g)
{
	g->h.nslot = 1;
	while (g->h.nslot < g->h.ntok * 2)
		g->h.nslot *= 2;
	g->slots = xcalloc(g->h.nslot, sizeof(*g->slots));
	for (uint32_t r = 0; r < g->h.ntok; r++) {
		const uint8_t *p = g->bytes + g->offs[r];
		uint32_t n = g->offs[r + 1] - g->offs[r];
		uint32_t i = tok_hash(p, n) & (g->h.nslot - 1);
		for (; g->slots[i]; i = (i + 1) & (g->h.nslot - 1)) {
			uint32_t o = (g->slots[i] & TOK_RANK_MASK) - 1;
			if (g->offs[o + 1] - g->offs[o] == n &&
			    !memcmp(g->bytes + g->offs[o], p, n))
				return -1;
		}
		g->slots[i] = (r + 1) | (tok_hash(p, n) >> TOK_RANK_BITS << TOK_RANK_BITS);
	}
	return 0;
}

static int gen_read(struct gen *g, FILE *in)
{
	char line[1024];

	for (int b = 0; b < 256; b++)
		g->h.byte_rank[b] = UINT32_MAX;
	while (fgets(line, sizeof(line), in))
		if (gen_line(g, line))
			return -1;
	if (g->h.ntok == 0 || g->h.ntok >= TOK_RANK_MASK)
		return -1;
	gen_reserve(g, 0);
	g->offs[g->h.ntok] = g->h.nbytes;
	for (int b = 0; b < 256; b++)
		if (g->h.byte_rank[b] == UINT32_MAX)
			return -1;
	return gen_hash(g);
}

static int gen_write(const struct gen *g, FILE *out)
{
	fwrite(&g->h, sizeof(g->h), 1, out);
	fwrite(g->offs, sizeof(*g->offs), g->h.ntok + 1, out);
	fwrite(g->slots, sizeof(*g->slots), g->h.nslot, out);
	fwrite(g->bytes, 1, g->h.nbytes, out);
	return ferror(out) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct gen g = { .h = { .magic = TOK_BLOB_MAGIC } };
	FILE *in = argc == 3 ? fopen(argv[1], "r") : NULL;
	FILE *out = NULL;
	int rc = 1;

	if (!in || gen_read(&g, in)) {
		fprintf(stderr, "tokgen: %s is not a readable tiktoken rank file\n",
			argc == 3 ? argv[1] : "(usage: tokgen IN.tiktoken OUT.bin)");
		goto out;
	}
	out = fopen(argv[2], "wb");
	if (!out || gen_write(&g, out) || fclose(out)) {
		fprintf(stderr, "tokgen: cannot write %s\n", argv[2]);
		goto out;
	}
	rc = 0;
out:
	if (in)
		fclose(in);
	free(g.offs);
	free(g.slots);
	free(g.bytes);
	return rc;
}
