/* common.h - what every resource handler shares: the request's project, body parsing and
 * validation, pagination, and the standard replies (object, list, deleted, not found). */
#ifndef ASSISTD_COMMON_H
#define ASSISTD_COMMON_H

#include "../json/json.h"
#include "api.h"
#include "schema.h"

/* The API context and the authenticated project of the request (both borrowed). */
struct api *api_ctx(const struct http_req *req);
const char *api_project(const struct http_req *req);
/* The SHA-256 hex of the request's API key (borrowed), or NULL in open mode and before
 * authentication: what the key's limits are found by (src/limits). */
const char *api_key_hash(const struct http_req *req);

/* Parses the body as JSON and checks it against s. An empty body counts as {} when
 * body_optional. On success *out is owned (jv_free). Errors: ERR_INVALID (recorded). */
int api_parse(struct http_req *req, const struct sc_schema *s, bool body_optional, jv **out);
/* Records a schema error on the request and returns ERR_INVALID. */
int api_schema_fail(struct http_req *req, const struct sc_error *e);

/* Reads limit, order, after and before from the query. Cursors must be ids with prefix.
 * pg's strings are borrowed from the request. Errors: ERR_INVALID (recorded). */
int api_page(struct http_req *req, const char *prefix, struct store_page *pg);
/* The same with the list's own default and maximum limit (api_page: 20 and 100). */
int api_page_max(struct http_req *req, const char *prefix, int def, int max,
		 struct store_page *pg);
#define API_LIMIT_DEFAULT 20
#define API_LIMIT_MAX 100

/* Checks the path parameter name is an id with prefix; otherwise replies 404 "No <what>
 * found with id '...'". On success *id is borrowed from the request. */
int api_path_id(struct http_req *req, const char *name, const char *prefix, const char *what,
		const char **id);
/* Records and returns ERR_NOT_FOUND for the object. */
int api_not_found(struct http_req *req, const char *what, const char *id);
/* Maps a store error to the reply: ERR_NOT_FOUND names the object; others pass through. */
int api_store_err(struct http_req *req, int err, const char *what, const char *id);

/* The whole handler for retrieving and deleting a top-level object (assistant, thread) whose
 * id is the path parameter param: checks the id's prefix, calls the store, replies with the
 * object or {"id","object":deleted_object,"deleted":true}. After a delete, the runs of the
 * thread or assistant that had not ended are stopped (engine_stop_runs). */
int api_get_top(struct http_req *req, enum store_kind kind, const char *param,
		const char *prefix, const char *what);
int api_delete_top(struct http_req *req, enum store_kind kind, const char *param,
		   const char *prefix, const char *what, const char *deleted_object);

/* Replies 200 with obj encoded; takes ownership of obj. */
int api_reply_obj(struct http_req *req, jv *obj);
/* Replies 200 with a stored JSON body; takes ownership of body. */
int api_reply_body(struct http_req *req, char *body);
/* Replies with the list envelope {"object":"list","data":[...],first_id,last_id,has_more}. */
int api_reply_list(struct http_req *req, const struct store_list *l);
/* What a listed collection hangs under (a thread), so a missing one is a 404. */
struct api_parent {
	enum store_kind kind;
	const char *id;
	const char *what; /* "thread" */
};

/* Lists objects of kind under parent (NULL for top-level kinds), paged by the query's
 * limit/order/after/before (cursor ids start with prefix), keeping only those of run_id when
 * not NULL, and replies. A missing parent is a 404; it is looked up only when the page comes
 * back empty or a cursor is refused, since any object found proves the parent exists. */
int api_list(struct http_req *req, enum store_kind kind, const struct api_parent *parent,
	     const char *prefix, const char *run_id);
/* api_list, with each item's body replaced by rewrite(body) (owned; rewrite takes the
 * stored body, owned) before the reply. */
int api_list_rewritten(struct http_req *req, enum store_kind kind,
		       const struct api_parent *parent, const char *prefix, const char *run_id,
		       char *(*rewrite)(char *body));
/* api_list_rewritten with the page already read from the query (api_page) and adjusted by
 * the caller (a metadata filter, say); rewrite may be NULL. */
int api_list_page(struct http_req *req, enum store_kind kind, const struct api_parent *parent,
		  const struct store_page *pg, char *(*rewrite)(char *body));
/* Replies {"id":id,"object":object,"deleted":true}. */
int api_reply_deleted(struct http_req *req, const char *id, const char *object);

/* Builds a fresh id with prefix into out (size ID_MAX + 1). Errors: ERR_INTERNAL. */
int api_new_id(struct http_req *req, const char *prefix, char *out);

/* Metadata for an object: a copy of in's "metadata" member, or {} when absent or null
 * (owned). */
jv *api_metadata(const jv *in);

/* Changes a stored object: loads it, lets apply() edit the JSON from the validated input in,
 * and writes it back if nobody changed it meanwhile (retrying a few times if somebody did).
 * Replies with the new object. apply returns 0 or an error it recorded. */
typedef int api_apply_fn(struct http_req *req, jv *obj, const jv *in);
int api_modify(struct http_req *req, enum store_kind kind, const char *id, const char *parent,
	       const char *what, const jv *in, api_apply_fn *apply);

/* An apply function that replaces "metadata" from the input, when given. */
int api_apply_metadata(struct http_req *req, jv *obj, const jv *in);

#endif
