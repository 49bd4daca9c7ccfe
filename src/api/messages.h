/* messages.h - the /v1/threads/{thread_id}/messages handlers, and message construction
 * shared with thread creation and runs (additional_messages). */
#ifndef ASSISTD_MESSAGES_H
#define ASSISTD_MESSAGES_H

#include <stdint.h>

#include "../http/http.h"
#include "../json/json.h"
#include "batch.h"

/* Checks a validated CreateMessageRequest for what its schema cannot say (image URLs, and
 * that the files of image_file parts and attachments exist in the request's project),
 * reporting fields under the dotted path param ("" for a top-level body, "messages[2]").
 * Returns 0, ERR_INVALID (recorded) or ERR_DB. */
int message_check(struct http_req *req, const jv *in, const char *param);

/* message_check for each request of the array msgs, reported as "<param>[i]...". */
int message_check_each(struct http_req *req, const jv *msgs, const char *param);

/* Builds the thread.message object for a CreateMessageRequest in (owned result). The message
 * is completed at once, as messages written by clients are. */
jv *message_new(const char *id, const char *thread_id, const jv *in, int64_t created_at);

/* Adds to b the puts of new messages in thread_id, one per CreateMessageRequest of the array
 * msgs (already checked), all created at now. Errors: ERR_INTERNAL (recorded). */
int message_batch_add(struct http_req *req, struct batch *b, const jv *msgs,
		      const char *thread_id, int64_t now);

int messages_create(struct http_req *req);
int messages_get(struct http_req *req);
int messages_modify(struct http_req *req);
int messages_delete(struct http_req *req);
int messages_list(struct http_req *req);

#endif
