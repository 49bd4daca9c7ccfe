/* batch.c - one atomic store write built from API objects (see batch.h). */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../store/obj.h"
#include "common.h"

void batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
}

void batch_cleanup(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		jv_free(b->objs[i]);
		free(b->texts[i]);
	}
	free(b->ops);
	free(b->objs);
	free(b->texts);
	memset(b, 0, sizeof(*b));
}

/* A new, zeroed slot at the end. */
static size_t slot(struct batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->ops = xrealloc(b->ops, b->cap * sizeof(*b->ops));
		b->objs = xrealloc(b->objs, b->cap * sizeof(*b->objs));
		b->texts = xrealloc(b->texts, b->cap * sizeof(*b->texts));
	}
	memset(&b->ops[b->n], 0, sizeof(b->ops[b->n]));
	b->objs[b->n] = NULL;
	b->texts[b->n] = NULL;
	return b->n++;
}

void batch_expect(struct batch *b, enum store_op_type type, enum store_kind kind,
		  const char *id)
{
	size_t i = slot(b);

	b->ops[i].type = type;
	b->ops[i].obj.kind = kind;
	b->ops[i].obj.id = id;
}

const char *batch_put(struct batch *b, enum store_kind kind, jv *obj)
{
	size_t i = slot(b);

	b->objs[i] = obj;
	b->texts[i] = jv_dump(obj);
	b->ops[i].type = STORE_PUT;
	b->ops[i].expect_version = -1;
	obj_columns(kind, obj, b->texts[i], &b->ops[i].obj);
	return b->texts[i];
}

/* A new op of type on run id, at the end; returned borrowed, valid until the next add. */
static struct store_op *run_op(struct batch *b, enum store_op_type type, const char *id)
{
	size_t i = slot(b);

	b->ops[i].type = type;
	b->ops[i].obj.kind = STORE_RUN;
	b->ops[i].obj.id = id;
	return &b->ops[i];
}

void batch_lease(struct batch *b, const char *id, const char *owner, int64_t until)
{
	struct store_op *op = run_op(b, STORE_SET_LEASE, id);

	op->lease = owner;
	op->lease_until = until;
}

void batch_origin(struct batch *b, const char *id, const char *key_hash, int64_t include)
{
	struct store_op *op = run_op(b, STORE_SET_RUN_ORIGIN, id);

	op->run_key = key_hash;
	op->run_include = include;
}

char *batch_take_text(struct batch *b, size_t i)
{
	char *text = b->texts[i];

	b->texts[i] = NULL;
	return text;
}

int batch_write(struct http_req *req, struct batch *b)
{
	return store_write(api_ctx(req)->st, api_project(req), b->ops, b->n);
}
