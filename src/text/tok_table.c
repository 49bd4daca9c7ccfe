/* tok_table.c - the rank tables of o200k_base and cl100k_base, built into the binary.
 *
 * The build generates one blob per encoding from the pinned tiktoken files (SOURCE.md,
 * gen/tokgen.c) and this file includes them with .incbin into .rodata: nothing is parsed or
 * copied at run time, and a page is read from the binary only when a lookup touches it, so an
 * idle server does not pay for the tables in memory. */
#include <pthread.h>

#include "../base/log.h"
#include "tok_int.h"

#ifndef TOK_GEN_DIR
#error "TOK_GEN_DIR (the directory of the generated blobs) must be defined by the Makefile"
#endif

#define TOK_INCBIN(sym, file)                                                      \
	__asm__(".section .rodata\n.balign 16\n.global " #sym "\n" #sym ":\n"      \
		".incbin \"" TOK_GEN_DIR "/" file "\"\n.global " #sym "_end\n" #sym \
		"_end:\n.previous\n")

TOK_INCBIN(tok_blob_o200k, "o200k_base.bin");
TOK_INCBIN(tok_blob_cl100k, "cl100k_base.bin");

extern const uint8_t tok_blob_o200k[], tok_blob_o200k_end[];
extern const uint8_t tok_blob_cl100k[], tok_blob_cl100k_end[];

static const struct {
	const uint8_t *start, *end;
	const char *name;
} blobs[] = {
	[TOK_O200K] = { tok_blob_o200k, tok_blob_o200k_end, "o200k_base" },
	[TOK_CL100K] = { tok_blob_cl100k, tok_blob_cl100k_end, "cl100k_base" },
};

static struct tok_table tables[2];
static int table_ok[2];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Checks that the blob's sizes add up to its length before anything reads through them. */
static int table_open(struct tok_table *t, const uint8_t *start, const uint8_t *end)
{
	const struct tok_blob_hdr *h = (const void *)start;
	size_t len = (size_t)(end - start);

	if (len < sizeof(*h) || h->magic != TOK_BLOB_MAGIC || !h->nslot ||
	    (h->nslot & (h->nslot - 1)))
		return -1;
	if (len != sizeof(*h) + 4 * ((size_t)h->ntok + 1 + h->nslot) + h->nbytes)
		return -1;
	t->h = h;
	t->offs = (const uint32_t *)(start + sizeof(*h));
	t->slots = t->offs + h->ntok + 1;
	t->bytes = (const uint8_t *)(t->slots + h->nslot);
	t->mask = h->nslot - 1;
	return 0;
}

static void table_init(void)
{
	for (size_t i = 0; i < 2; i++) {
		table_ok[i] = !table_open(&tables[i], blobs[i].start, blobs[i].end);
		if (!table_ok[i])
			log_error("tokenizer: the built-in %s table is damaged", blobs[i].name);
	}
}

const struct tok_table *tok_table_get(enum tok_enc enc)
{
	pthread_once(&table_once, table_init);
	return (size_t)enc < 2 && table_ok[enc] ? &tables[enc] : NULL;
}
