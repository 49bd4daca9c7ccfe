/* messages.h - the /v1/threads/{thread_id}/messages handlers, and message construction
 * shared with thread creation and runs (additional_messages). */
#ifndef ASSISTD_MESSAGES_H
#define ASSISTD_MESSAGES_H

#include <stdint.h>

#include "../http/http.h"
#include "../json/json.h"

#define MSG_PREFIX "msg_"
#define THREAD_PREFIX "thread_"

/* Checks a validated CreateMessageRequest for what its schema cannot say (image URLs),
 * reporting fields under the dotted path param ("" for a top-level body, "messages[2]").
 * Returns 0 or ERR_INVALID (recorded). */
int message_check(struct http_req *req, const jv *in, const char *param);

/* Builds the thread.message object for a CreateMessageRequest in (owned result). The message
 * is completed at once, as messages written by clients are. */
jv *message_new(const char *id, const char *thread_id, const jv *in, int64_t created_at);

int messages_create(struct http_req *req);
int messages_get(struct http_req *req);
int messages_modify(struct http_req *req);
int messages_delete(struct http_req *req);
int messages_list(struct http_req *req);

#endif
