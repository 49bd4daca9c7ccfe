/* tok_table.c - the rank tables of o200k_base and cl100k_base and the Unicode class table,
 * built into the binary.
 *
 * The build generates one blob per encoding from the pinned tiktoken files (SOURCE.md,
 * gen/tokgen.c) and one of character classes (gen/classgen.c); this file includes them with
 * .incbin into .rodata: nothing is parsed or copied at run time, and a page is read from the
 * binary only when a lookup touches it, so an idle server does not pay for the tables in
 * memory. */
#include <pthread.h>

#include "../base/log.h"
#include "tok_int.h"

#ifndef TOK_GEN_DIR
#error "TOK_GEN_DIR (the directory of the generated blobs) must be defined by the Makefile"
#endif

/* The blobs go in a section of their own (read-only, "a"), which the linker places after all
 * of .rodata, each blob on a 64 KB boundary: the kernel maps the aligned 64 KB around a page a
 * program touches (fault-around), so the constants read at start must not sit beside a blob,
 * and a blob read must not map the next. */
#define TOK_INCBIN(sym, file)                                                      \
	__asm__(".section .blobs,\"a\"\n.balign 65536\n.global " #sym "\n" #sym ":\n"  \
		".incbin \"" TOK_GEN_DIR "/" file "\"\n.global " #sym "_end\n" #sym \
		"_end:\n.previous\n")

TOK_INCBIN(tok_blob_o200k, "o200k_base.bin");
TOK_INCBIN(tok_blob_cl100k, "cl100k_base.bin");
TOK_INCBIN(tok_blob_classes, "classes.bin");

extern const uint8_t tok_blob_o200k[], tok_blob_o200k_end[];
extern const uint8_t tok_blob_cl100k[], tok_blob_cl100k_end[];
extern const uint8_t tok_blob_classes[], tok_blob_classes_end[];

static const struct {
	const uint8_t *start, *end;
	const char *name;
} blobs[] = {
	[TOK_O200K] = { tok_blob_o200k, tok_blob_o200k_end, "o200k_base" },
	[TOK_CL100K] = { tok_blob_cl100k, tok_blob_cl100k_end, "cl100k_base" },
};

static struct tok_table tables[2];
static int table_ok[2];
static struct tok_classes classes;
static int classes_ok;
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

static int classes_open(struct tok_classes *c, const uint8_t *start, const uint8_t *end)
{
	const struct tok_class_hdr *h = (const void *)start;
	size_t len = (size_t)(end - start);

	if (len < sizeof(*h) || h->magic != TOK_CLASS_MAGIC)
		return -1;
	if (len != sizeof(*h) + 2 * TOK_CLASS_BLOCKS + (size_t)h->nblocks * 256)
		return -1;
	c->block = (const uint16_t *)(start + sizeof(*h));
	c->bits = (const uint8_t *)(c->block + TOK_CLASS_BLOCKS);
	for (size_t b = 0; b < TOK_CLASS_BLOCKS; b++)
		if (c->block[b] >= h->nblocks)
			return -1;
	return c->block[0] == 0 ? 0 : -1; /* ASCII is looked up in row 0 directly */
}

static void table_init(void)
{
	classes_ok = !classes_open(&classes, tok_blob_classes, tok_blob_classes_end);
	if (!classes_ok)
		log_error("tokenizer: the built-in character class table is damaged");
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

const struct tok_classes *tok_classes_get(void)
{
	pthread_once(&table_once, table_init);
	return classes_ok ? &classes : NULL;
}
