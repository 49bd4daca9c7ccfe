/* obj.h - API objects as JSON over the store: their constructors, reading and writing them,
 * and which member becomes which indexed column.
 *
 * The API layer and the engine both make, read and write messages, runs and steps; the
 * shapes and the mapping live here once (thread_id is a message's parent, a run's status is
 * indexed, ...), so the two never disagree. It sits beside the store interface, not inside a
 * backend. Ids come from the caller (base/id.h lists their prefixes). */
#ifndef ASSISTD_OBJ_H
#define ASSISTD_OBJ_H

#include "../json/json.h"
#include "store.h"

/* Fills o for an object of kind whose JSON is v and whose encoded text is text. o's strings
 * are borrowed from v and text: keep both alive while o is used. */
void obj_columns(enum store_kind kind, const jv *v, const char *text, struct store_obj *o);

/* Encodes v and writes it with expect_version (see store_op). On success, when text is not
 * NULL, *text receives the owned encoding (free with free()). Errors: as store_put. */
int obj_put(struct store *st, const char *project, enum store_kind kind, const jv *v,
	    int64_t expect_version, char **text) MUST_CHECK;

/* Fetches one stored object, parsed; parent, when not NULL, must match. On success *out is
 * owned (jv_free) and *version, when not NULL, is the stored version. Errors: ERR_NOT_FOUND,
 * ERR_DB (also when the stored body is not JSON). */
int obj_get(struct store *st, const char *project, enum store_kind kind, const char *id,
	    const char *parent, jv **out, int64_t *version) MUST_CHECK;

/* A thread.message with every member the spec lists: no content, attachments or metadata
 * yet, status "in_progress" and no timestamps past created_at. assistant_id and run_id may
 * be NULL (null). Owned (jv_free). */
jv *obj_message_new(const char *id, const char *thread_id, const char *role,
		    const char *assistant_id, const char *run_id, int64_t created_at);

/* A thread.run.step of run (its assistant, thread and id are copied) with every member the
 * spec lists, status "in_progress"; takes ownership of details. Owned (jv_free). */
jv *obj_step_new(const char *id, const jv *run, const char *type, jv *details,
		 int64_t created_at);

#endif
