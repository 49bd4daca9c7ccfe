/* obj.c - JSON members to store columns (see obj.h). */
#include "obj.h"

#include <stdlib.h>
#include <string.h>

void obj_columns(enum store_kind kind, const jv *v, const char *text, struct store_obj *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->id = jv_get_str(v, "id");
	o->created_at = jv_int_value(jv_get(v, "created_at"));
	o->body = text;
	switch (kind) {
	case STORE_MESSAGE:
		o->parent = jv_get_str(v, "thread_id");
		o->run_id = jv_get_str(v, "run_id");
		break;
	case STORE_RUN:
		o->parent = jv_get_str(v, "thread_id");
		o->status = jv_get_str(v, "status");
		break;
	case STORE_STEP:
		o->parent = jv_get_str(v, "run_id");
		break;
	case STORE_VS_BATCH:
		o->parent = jv_get_str(v, "vector_store_id");
		break;
	case STORE_FILE:
		o->tag = jv_get_str(v, "purpose");
		o->expires_at = jv_int_value(jv_get(v, "expires_at"));
		break;
	default:
		break;
	}
}

int obj_put(struct store *st, const char *project, enum store_kind kind, const jv *v,
	    int64_t expect_version, char **text)
{
	char *body = jv_dump(v);
	struct store_obj o;
	int err;

	obj_columns(kind, v, body, &o);
	err = store_put(st, project, &o, expect_version);
	if (!err && text) {
		*text = body;
		return 0;
	}
	free(body);
	return err;
}
