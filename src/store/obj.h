/* obj.h - from an API object (its JSON) to the indexed columns the store keeps beside it.
 *
 * The API layer and the engine both write objects; this one mapping decides which JSON member
 * becomes which column (thread_id is a message's parent, a run's status is indexed, ...), so
 * the two never disagree. It sits beside the store interface, not inside a backend. */
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

#endif
