/* attach.h - message attachments for file_search: the thread's vector store (attach.c). */
#ifndef ASSISTD_ATTACH_H
#define ASSISTD_ATTACH_H

#include "../http/http.h"
#include "../json/json.h"

/* For a thread about to be created: puts the files that the CreateMessageRequests msgs
 * attach for file_search into t's vector store, creating it (and recording it in t's
 * tool_resources) when t has none. Call after every other check. Errors: recorded. */
int attach_thread_new(struct http_req *req, jv *t, const jv *msgs);

/* The same for messages just added to the stored thread thread_id. Errors: recorded. */
int attach_thread(struct http_req *req, const char *thread_id, const jv *msgs);

#endif
