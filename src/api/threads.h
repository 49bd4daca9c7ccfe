/* threads.h - the /v1/threads handlers, and thread construction shared with
 * create-thread-and-run. */
#ifndef ASSISTD_THREADS_H
#define ASSISTD_THREADS_H

#include <stddef.h>

#include "../http/http.h"
#include "../json/json.h"
#include "../store/store.h"

/* A new thread and its initial messages, ready to be written in one batch. */
struct thread_new {
	jv *thread;         /* owned */
	jv **messages;      /* owned array of owned objects */
	char **texts;       /* encodings, parallel to the objects; [0] is the thread's */
	size_t nmessages;
	struct store_op *ops; /* 1 + nmessages puts; strings borrowed from texts */
};

/* Validates a CreateThreadRequest (already schema-checked, at dotted path param) and builds
 * the thread and its messages into *tn. Errors: ERR_INVALID (recorded), ERR_INTERNAL. */
int thread_build(struct http_req *req, const jv *in, const char *param, struct thread_new *tn);
void thread_new_cleanup(struct thread_new *tn);

int threads_create(struct http_req *req);
int threads_get(struct http_req *req);
int threads_modify(struct http_req *req);
int threads_delete(struct http_req *req);

#endif
