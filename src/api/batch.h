/* batch.h - building one atomic store write out of API objects.
 *
 * Creating a thread with its messages, a message in a thread, or a run with its additional
 * messages is each one store_write: expectations (the thread exists, no run is active) and
 * puts of new objects. A batch holds the ops together with the objects and encodings their
 * strings point into, so everything stays alive until the write and is freed in one call. */
#ifndef ASSISTD_BATCH_H
#define ASSISTD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"
#include "../json/json.h"
#include "../store/store.h"

struct batch {
	struct store_op *ops; /* owned; their strings point into objs and texts */
	jv **objs;            /* owned, parallel to ops (NULL for expectations) */
	char **texts;         /* owned encodings, parallel to ops (NULL for expectations) */
	size_t n, cap;
};

void batch_init(struct batch *b);
void batch_cleanup(struct batch *b);

/* Adds an expectation (STORE_EXPECT_EXISTS, STORE_EXPECT_IDLE) on object id of kind; id is
 * borrowed until the write. */
void batch_expect(struct batch *b, enum store_op_type type, enum store_kind kind,
		  const char *id);
/* Adds the put of a new object; takes ownership of obj. Returns its encoding, borrowed from
 * the batch. */
const char *batch_put(struct batch *b, enum store_kind kind, jv *obj);
/* Adds the lease of run id to owner until `until` (Unix ms); both borrowed until the
 * write. */
void batch_lease(struct batch *b, const char *id, const char *owner, int64_t until);
/* Adds what run id is created with that only the server reads (STORE_SET_RUN_ORIGIN): the
 * creating key's hash (NULL: none) and the include[] flags; borrowed until the write. */
void batch_origin(struct batch *b, const char *id, const char *key_hash, int64_t include);
/* Hands the encoding of op i to the caller (owned; free with free()). */
char *batch_take_text(struct batch *b, size_t i);

/* Writes the batch in the request's project. Errors: as store_write. */
int batch_write(struct http_req *req, struct batch *b) MUST_CHECK;

#endif
