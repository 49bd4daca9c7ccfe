/* obj.c - API objects over the store: constructors, get and put, columns (see obj.h). */
#include "obj.h"

#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/status.h"

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
		o->status = jv_get_str(v, "status");
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

int obj_get(struct store *st, const char *project, enum store_kind kind, const char *id,
	    const char *parent, jv **out, int64_t *version)
{
	char *body = NULL;
	char why[128];
	int err = store_get(st, project, kind, id, parent, &body, version);

	*out = NULL;
	if (err)
		return err;
	*out = jv_parse(body, strlen(body), why, sizeof(why));
	free(body);
	if (*out)
		return 0;
	log_error("store: object %s is not JSON: %s", id, why);
	return ERR_DB;
}

/* Sets key to the string s, or to null when s is NULL. */
static void set_str_or_null(jv *obj, const char *key, const char *s)
{
	if (s)
		jv_set_str(obj, key, s);
	else
		jv_set_null(obj, key);
}

jv *obj_message_new(const char *id, const char *thread_id, const char *role,
		    const char *assistant_id, const char *run_id, int64_t created_at)
{
	jv *m = jv_object();

	jv_set_str(m, "id", id);
	jv_set_str(m, "object", "thread.message");
	jv_set_int(m, "created_at", created_at);
	set_str_or_null(m, "assistant_id", assistant_id);
	jv_set_str(m, "thread_id", thread_id);
	set_str_or_null(m, "run_id", run_id);
	jv_set_str(m, "role", role);
	jv_set(m, "content", jv_array());
	jv_set(m, "attachments", jv_array());
	jv_set(m, "metadata", jv_object());
	jv_set_str(m, "status", "in_progress");
	jv_set_null(m, "incomplete_details");
	jv_set_null(m, "completed_at");
	jv_set_null(m, "incomplete_at");
	return m;
}

jv *obj_step_new(const char *id, const jv *run, const char *type, jv *details,
		 int64_t created_at)
{
	static const char *const stamps[] = { "expired_at", "cancelled_at", "failed_at",
					      "completed_at" };
	jv *s = jv_object();

	jv_set_str(s, "id", id);
	jv_set_str(s, "object", "thread.run.step");
	jv_set_int(s, "created_at", created_at);
	jv_set_str(s, "assistant_id", jv_get_str(run, "assistant_id"));
	jv_set_str(s, "thread_id", jv_get_str(run, "thread_id"));
	jv_set_str(s, "run_id", jv_get_str(run, "id"));
	jv_set_str(s, "type", type);
	jv_set_str(s, "status", status_step_name(STEP_IN_PROGRESS));
	jv_set(s, "step_details", details);
	jv_set_null(s, "last_error");
	for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++)
		jv_set_null(s, stamps[i]);
	jv_set(s, "metadata", jv_object());
	jv_set_null(s, "usage");
	return s;
}
