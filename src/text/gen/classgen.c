/* classgen.c - build-time generator: the Unicode classes the pre-tokenizer tests, per code
 * point, as the blob src/text/tok_table.c embeds (layout in ../tok_blob.h).
 *
 *   classgen OUT.bin
 *
 * Each class is decided by PCRE2 (Debian's libpcre2, its Unicode tables) matching the very
 * class text of tiktoken's patterns against the code point, so the hand-written scanner in
 * ../tok_split.c answers exactly what those patterns would. Surrogates are not characters
 * and get no class. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/alloc.h"
#include "../../base/utf8.h"
#include "../tok_blob.h"

static const struct {
	uint8_t bit;
	const char *pattern;
} classes[] = {
	{ TOK_C_L, "\\p{L}" },
	{ TOK_C_N, "\\p{N}" },
	{ TOK_C_UP, "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]" },
	{ TOK_C_LO, "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]" },
	{ TOK_C_WS, "[" TOK_WS_CLASS "]" },
	{ TOK_C_NL, "[\\r\\n]" },
};

#define NCLASSES (sizeof(classes) / sizeof(*classes))

static int compile_all(pcre2_code **codes)
{
	int errcode;
	PCRE2_SIZE erroff;

	for (size_t i = 0; i < NCLASSES; i++) {
		codes[i] = pcre2_compile((PCRE2_SPTR)classes[i].pattern, PCRE2_ZERO_TERMINATED,
					 PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &errcode, &erroff,
					 NULL);
		if (!codes[i])
			return -1;
		pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE);
	}
	return 0;
}

/* Fills bits[cp] for every code point. */
static int classify(uint8_t *bits)
{
	pcre2_code *codes[NCLASSES];
	pcre2_match_data *md = NULL;
	uint8_t u[4];
	int rc = compile_all(codes);

	if (rc)
		return rc;
	md = pcre2_match_data_create(1, NULL);
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		size_t n = cp >= 0xd800 && cp < 0xe000 ? 0 : utf8_put(cp, u);
		for (size_t i = 0; n && i < NCLASSES; i++)
			if (pcre2_match(codes[i], u, n, 0, 0, md, NULL) > 0)
				bits[cp] |= classes[i].bit;
	}
	pcre2_match_data_free(md);
	for (size_t i = 0; i < NCLASSES; i++)
		pcre2_code_free(codes[i]);
	return 0;
}

/* Two stages: identical blocks of 256 code points are stored once. */
static int write_blob(const uint8_t *bits, FILE *out)
{
	uint16_t *block = xcalloc(TOK_CLASS_BLOCKS, sizeof(*block));
	uint8_t *uniq = xmalloc((size_t)TOK_CLASS_BLOCKS * 256);
	struct tok_class_hdr h = { TOK_CLASS_MAGIC, 0 };

	for (uint32_t b = 0; b < TOK_CLASS_BLOCKS; b++) {
		uint32_t k = 0;
		while (k < h.nblocks && memcmp(uniq + (size_t)k * 256, bits + (size_t)b * 256, 256))
			k++;
		if (k == h.nblocks)
			memcpy(uniq + (size_t)h.nblocks++ * 256, bits + (size_t)b * 256, 256);
		block[b] = (uint16_t)k;
	}
	fwrite(&h, sizeof(h), 1, out);
	fwrite(block, sizeof(*block), TOK_CLASS_BLOCKS, out);
	fwrite(uniq, 256, h.nblocks, out);
	free(block);
	free(uniq);
	return ferror(out) ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint8_t *bits = xcalloc(0x110000, 1);
	FILE *out = NULL;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: classgen OUT.bin\n");
		goto out;
	}
	if (classify(bits)) {
		fprintf(stderr, "classgen: a class pattern does not compile\n");
		goto out;
	}
	out = fopen(argv[1], "wb");
	if (!out || write_blob(bits, out) || fclose(out)) {
		fprintf(stderr, "classgen: cannot write %s\n", argv[1]);
		goto out;
	}
	rc = 0;
out:
	free(bits);
	return rc;
}
