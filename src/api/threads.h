/* threads.h - the /v1/threads handlers, and thread construction shared with
 * create-thread-and-run. */
#ifndef ASSISTD_THREADS_H
#define ASSISTD_THREADS_H

#include <stddef.h>

#include "../http/http.h"
#include "../json/json.h"
#include "batch.h"

/* Validates a CreateThreadRequest (already schema-checked, at dotted path param) and adds the
 * new thread, then its initial messages, to b: the thread is op number b->n of the call. A
 * tool_resources vector_stores helper creates its store now and is replaced in in by its id
 * (see res_check_tool_resources). Errors: ERR_INVALID, ERR_NOT_FOUND (recorded),
 * ERR_INTERNAL. */
int thread_build(struct http_req *req, jv *in, const char *param, struct batch *b);

int threads_create(struct http_req *req);
/* GET /v1/threads, an assistd extension: the project's threads, newest first by default,
 * paged like every list, optionally filtered by one metadata[KEY]=VALUE. */
int threads_list(struct http_req *req);
int threads_get(struct http_req *req);
int threads_modify(struct http_req *req);
int threads_delete(struct http_req *req);

#endif
