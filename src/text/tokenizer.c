/* tokenizer.c - the public tokenizer: which encoding a model uses, count, encode, decode.
 *
 * Each call splits the text into pre-tokens (tok_split.c) and merges each one (tok_bpe.c)
 * against the encoding's ranks (tok_table.c), through a cache of its own for a long text
 * (tok_cache.c). Nothing is shared between calls but read-only tables, so every function is
 * thread-safe. */
#include <stdlib.h>

#include "../base/alloc.h"
#include "tok_int.h"

/* The models that use cl100k_base: a name equal to one of these, or starting with it when it
 * ends in '-' or ':' or is a family prefix; "ft:" names are fine-tuned models. Everything
 * else (gpt-4o*, gpt-4.1*, o1*, o3*, unknown names) uses o200k_base. */
static const struct {
	const char *name;
	int prefix;
} cl100k_models[] = {
	{ "gpt-4", 0 },		 { "gpt-4-", 1 },	    { "gpt-3.5", 1 },
	{ "gpt-35-turbo", 1 },	 { "text-embedding-3", 1 }, { "text-embedding-ada-002", 0 },
	{ "ft:gpt-4:", 1 },	 { "ft:gpt-4-", 1 },	    { "ft:gpt-3.5", 1 },
};

enum tok_enc tok_enc_for_model(const char *model)
{
	for (size_t i = 0; model && i < sizeof(cl100k_models) / sizeof(*cl100k_models); i++) {
		const char *name = cl100k_models[i].name;
		size_t n = cl100k_models[i].prefix ? strlen(name) : strlen(name) + 1;
		if (!strncmp(model, name, n))
			return TOK_CL100K;
	}
	return TOK_O200K;
}

/* Texts from this size on get a cache of merged pieces (512 KB, touched as it fills); below,
 * setting it up costs more than it saves. */
#define CACHE_FROM_BYTES 32768

struct run {
	const struct tok_table *t;
	const uint8_t *text;
	struct tok_out *o;
	struct tok_cache *cache; /* owned; NULL for a short text */
};

static void run_piece(void *arg, size_t start, size_t end)
{
	struct run *r = arg;

	if (r->cache)
		tok_cache_bpe(r->cache, r->t, r->text + start, end - start, start, r->o);
	else
		tok_bpe(r->t, r->text + start, end - start, start, r->o);
}

static int run_text(enum tok_enc enc, const char *text, size_t len, struct tok_out *o)
{
	struct run r = { tok_table_get(enc), (const uint8_t *)text, o, NULL };
	int err;

	if (!r.t)
		return ERR_INTERNAL;
	if (len >= CACHE_FROM_BYTES)
		r.cache = tok_cache_new();
	err = tok_split(enc, text, len, run_piece, &r);
	tok_cache_free(r.cache);
	return err;
}

size_t tok_count(enum tok_enc enc, const char *text, size_t len)
{
	struct tok_out o = { .count_only = 1 };

	if (run_text(enc, text, len, &o))
		return (len + 3) / 4; /* only if the built-in tables are damaged: logged once */
	return o.n;
}

int tok_encode(enum tok_enc enc, const char *text, size_t len, uint32_t **ids, size_t **offs,
	       size_t *n)
{
	struct tok_out o = { .want_offs = offs != NULL };
	int err = run_text(enc, text, len, &o);

	if (err) {
		free(o.ids);
		free(o.offs);
		return err;
	}
	*ids = o.ids ? o.ids : xmalloc(1);
	if (offs)
		*offs = o.offs ? o.offs : xmalloc(1);
	*n = o.n;
	return 0;
}

void tok_decode(enum tok_enc enc, const uint32_t *ids, size_t n, struct buf *out)
{
	const struct tok_table *t = tok_table_get(enc);

	for (size_t i = 0; t && i < n; i++) {
		uint32_t id = ids[i];
		if (id >= t->h->ntok)
			continue;
		if (buf_append(out, t->bytes + t->offs[id], t->offs[id + 1] - t->offs[id]))
			return;
	}
}
