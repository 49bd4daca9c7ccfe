/* common.c - the pieces every handler shares (see common.h), the API-key check and the
 * error envelope. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/id.h"
#include "../base/sha256.h"
#include "../engine/engine.h"
#include "../store/obj.h"
#include "ops.h"
#include "ratelimit.h"
#include "web.h"

/* The project of every object when no API key has been created (open mode). */
static const char open_project[] = "default";

/* Who a request is from: attached to it by api_auth (http_set_user), freed with free(). */
struct caller {
	char key_hash[SHA256_HEX_LEN + 1]; /* "" in open mode */
	char project[];
};

struct api *api_ctx(const struct http_req *req)
{
	return http_app(req);
}

const char *api_project(const struct http_req *req)
{
	const struct caller *c = http_user(req);

	return c ? c->project : NULL;
}

const char *api_key_hash(const struct http_req *req)
{
	const struct caller *c = http_user(req);

	return c && c->key_hash[0] ? c->key_hash : NULL;
}

/* Attaches the caller, then counts the request against its limits. */
static int caller_set(struct http_req *req, const char *hash, const char *project)
{
	size_t len = strlen(project);
	struct caller *c = xmalloc(sizeof(*c) + len + 1);

	snprintf(c->key_hash, sizeof(c->key_hash), "%s", hash ? hash : "");
	memcpy(c->project, project, len + 1);
	http_set_user(req, c, free);
	return ratelimit_check(req, hash, c->project);
}

/* "sk-assistd-AbCd...": show the first 8 and last 4 characters only. */
static void key_hint(const char *key, char *out, size_t len)
{
	size_t n = strlen(key);

	if (n <= 12)
		snprintf(out, len, "%.3s***", key);
	else
		snprintf(out, len, "%.8s***%s", key, key + n - 4);
}

static int bad_key(struct http_req *req, const char *key)
{
	char hint[32];

	key_hint(key, hint, sizeof(hint));
	http_fail_code(req, "invalid_api_key");
	return http_fail(req, ERR_AUTH, NULL,
			 "Incorrect API key provided: %s. List the server's keys with "
			 "`assistd keys list`, or create one with `assistd keys create --project NAME`.",
			 hint);
}

/* Open mode: no key was ever created and the server listens on loopback only. Revoking
 * every key does not bring it back. */
static int open_mode(struct http_req *req, bool *open)
{
	const struct api *api = api_ctx(req);
	bool ever = true;
	int err = api->open_ok ? store_key_ever(api->st, &ever) : 0;

	*open = !ever;
	return err;
}

/* Whether the request needs no key: the probes, and the page's own files (the page asks for a
 * key itself). Both live outside /v1/, so the API's own requests are told apart at once. */
static bool public_request(const struct http_req *req)
{
	const char *path = http_path(req);

	if (strncmp(path, "/v1/", 4) == 0)
		return false;
	return ops_public(req) || web_public(path);
}

int api_auth(struct http_req *req)
{
	const char *auth;
	char hash[SHA256_HEX_LEN + 1];
	char *project = NULL;
	bool open = false;
	int err;

	if (public_request(req))
		return 0;
	err = open_mode(req, &open);
	if (err)
		return err;
	if (open)
		return caller_set(req, NULL, open_project);
	auth = http_header(req, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !auth[7])
		return http_fail(req, ERR_AUTH, NULL,
				 "You didn't provide an API key. Send it in an Authorization "
				 "header: Authorization: Bearer YOUR_KEY.");
	sha256_hex(auth + 7, strlen(auth + 7), hash);
	err = store_key_project(api_ctx(req)->st, hash, &project);
	if (err == ERR_AUTH)
		return bad_key(req, auth + 7);
	if (err)
		return err;
	err = caller_set(req, hash, project);
	free(project);
	return err;
}

char *api_error_body(int err, const char *message, const char *param, const char *code)
{
	jv *root = jv_object();
	jv *e = jv_object();
	char *text;

	jv_set_str(e, "message", message);
	jv_set_str(e, "type", err_type(err));
	jv_set_str(e, "param", param);
	jv_set_str(e, "code", code);
	jv_set(root, "error", e);
	text = jv_dump(root);
	jv_free(root);
	return text;
}

int api_schema_fail(struct http_req *req, const struct sc_error *e)
{
	return http_fail(req, ERR_INVALID, e->param[0] ? e->param : NULL, "%s", e->message);
}

static bool blank(const char *body, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!strchr(" \t\r\n", body[i]))
			return false;
	}
	return true;
}

int api_parse(struct http_req *req, const struct sc_schema *s, bool body_optional, jv **out)
{
	size_t len;
	const char *body = http_body(req, &len);
	char why[160];
	struct sc_error e;
	jv *v;

	*out = NULL;
	if (blank(body, len)) {
		if (!body_optional)
			return http_fail(req, ERR_INVALID, NULL,
					 "The request needs a JSON body; none was sent.");
		*out = jv_object();
		return 0;
	}
	v = jv_parse(body, len, why, sizeof(why));
	if (!v)
		return http_fail(req, ERR_INVALID, NULL,
				 "We could not parse the JSON body of your request (%s). The API "
				 "expects a JSON object; check the request's encoding.", why);
	if (sc_check(s, v, &e)) {
		jv_free(v);
		return api_schema_fail(req, &e);
	}
	*out = v;
	return 0;
}

static int parse_limit(struct http_req *req, int def, int max, int *limit)
{
	const char *s = http_query(req, "limit");
	char *end;
	long n;

	*limit = def;
	if (!s)
		return 0;
	n = strtol(s, &end, 10);
	if (end == s || *end)
		return http_fail(req, ERR_INVALID, "limit",
				 "Invalid 'limit': expected an integer, but got '%.40s' instead.", s);
	if (n < 1 || n > max)
		return http_fail(req, ERR_INVALID, "limit",
				 "Invalid 'limit': expected an integer from 1 to %d, but got %ld.",
				 max, n);
	*limit = (int)n;
	return 0;
}

static int parse_cursor(struct http_req *req, const char *name, const char *prefix,
			const char **out)
{
	const char *s = http_query(req, name);

	*out = s && *s ? s : NULL;
	if (*out && !id_valid(*out, prefix))
		return http_fail(req, ERR_INVALID, name,
				 "Invalid '%s': expected an object id starting with '%s', but got "
				 "'%.80s'.", name, prefix, *out);
	return 0;
}

int api_page(struct http_req *req, const char *prefix, struct store_page *pg)
{
	return api_page_max(req, prefix, API_LIMIT_DEFAULT, API_LIMIT_MAX, pg);
}

int api_page_max(struct http_req *req, const char *prefix, int def, int max,
		 struct store_page *pg)
{
	const char *order = http_query(req, "order");
	int err;

	memset(pg, 0, sizeof(*pg));
	err = parse_limit(req, def, max, &pg->limit);
	if (!err)
		err = parse_cursor(req, "after", prefix, &pg->after);
	if (!err)
		err = parse_cursor(req, "before", prefix, &pg->before);
	if (err)
		return err;
	if (order && strcmp(order, "asc") && strcmp(order, "desc"))
		return http_fail(req, ERR_INVALID, "order",
				 "Invalid value: '%.40s'. Supported values are: 'asc' and 'desc'.",
				 order);
	pg->desc = !order || strcmp(order, "desc") == 0;
	return 0;
}

int api_not_found(struct http_req *req, const char *what, const char *id)
{
	return http_fail(req, ERR_NOT_FOUND, NULL, "No %s found with id '%.80s'.", what, id);
}

int api_path_id(struct http_req *req, const char *name, const char *prefix, const char *what,
		const char **id)
{
	*id = http_param(req, name);
	if (!*id || !id_valid(*id, prefix))
		return api_not_found(req, what, *id ? *id : "");
	return 0;
}

int api_store_err(struct http_req *req, int err, const char *what, const char *id)
{
	if (err == ERR_NOT_FOUND)
		return api_not_found(req, what, id);
	return err;
}

int api_get_top(struct http_req *req, enum store_kind kind, const char *param,
		const char *prefix, const char *what)
{
	const char *id;
	char *body = NULL;
	int err = api_path_id(req, param, prefix, what, &id);

	if (!err)
		err = store_get(api_ctx(req)->st, api_project(req), kind, id, NULL, &body, NULL);
	if (err)
		return api_store_err(req, err, what, id);
	return api_reply_body(req, body);
}

int api_delete_top(struct http_req *req, enum store_kind kind, const char *param,
		   const char *prefix, const char *what, const char *deleted_object)
{
	struct api *api = api_ctx(req);
	const char *id;
	char *holder = NULL; /* the node of a thread's code_interpreter session */
	int err = api_path_id(req, param, prefix, what, &id);

	if (!err && api->eng && kind == STORE_THREAD)
		holder = engine_session_holder(api->eng, api_project(req), id);
	if (!err)
		err = store_delete(api->st, api_project(req), kind, id, NULL);
	if (!err && api->eng) {
		engine_stop_runs(api->eng, api_project(req), kind, id);
		engine_end_session(api->eng, api_project(req), id, holder);
	}
	free(holder);
	if (err)
		return api_store_err(req, err, what, id);
	return api_reply_deleted(req, id, deleted_object);
}

int api_reply_obj(struct http_req *req, jv *obj)
{
	char *body = jv_dump(obj);

	jv_free(obj);
	return http_reply_json(req, 200, body);
}

int api_reply_body(struct http_req *req, char *body)
{
	return http_reply_json(req, 200, body);
}

/* Ids are base62 with '-' and '_': they need no JSON escaping. */
static int put_id(struct buf *b, const char *key, const char *id)
{
	if (!id)
		return buf_printf(b, ",\"%s\":null", key);
	return buf_printf(b, ",\"%s\":\"%s\"", key, id);
}

/* The size of the list reply for l: the items, the commas between them, the ids and the
 * envelope's fixed text ("first_id", "has_more", ...: under 128 bytes). */
static size_t list_size(const struct store_list *l)
{
	size_t n = 128;

	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->items[i].body) + 1;
	if (l->n)
		n += strlen(l->items[0].id) + strlen(l->items[l->n - 1].id);
	return n;
}

/* The buffer is sized once: grown step by step, a page of 20 messages (8 KB) was copied twice
 * more by realloc on its way. */
int api_reply_list(struct http_req *req, const struct store_list *l)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	buf_reserve(&b, list_size(l));
	err = buf_puts(&b, "{\"object\":\"list\",\"data\":[");
	for (size_t i = 0; !err && i < l->n; i++) {
		if (i)
			err = buf_putc(&b, ',');
		if (!err)
			err = buf_puts(&b, l->items[i].body);
	}
	if (!err)
		err = buf_putc(&b, ']');
	if (!err)
		err = put_id(&b, "first_id", l->n ? l->items[0].id : NULL);
	if (!err)
		err = put_id(&b, "last_id", l->n ? l->items[l->n - 1].id : NULL);
	if (!err)
		err = buf_printf(&b, ",\"has_more\":%s}", l->has_more ? "true" : "false");
	if (err) {
		buf_cleanup(&b);
		return err;
	}
	return http_reply_json(req, 200, buf_release(&b));
}

/* The store refused a cursor; with both given, find out which one (an error path only). */
static int bad_cursor(struct http_req *req, enum store_kind kind, const char *parent,
		      const struct store_page *pg)
{
	bool after_bad = pg->after != NULL;
	struct store_page only_after = *pg;
	struct store_list l = { 0 };
	const char *which;

	if (pg->after && pg->before) {
		only_after.before = NULL;
		after_bad = store_list(api_ctx(req)->st, api_project(req), kind, parent,
				       &only_after, &l) == ERR_INVALID;
		store_list_cleanup(&l);
	}
	which = after_bad ? "after" : "before";
	return http_fail(req, ERR_INVALID, which,
			 "Invalid '%s': no object with id '%.80s' in this list.", which,
			 after_bad ? pg->after : pg->before);
}

/* 0 when the parent exists; else ERR_NOT_FOUND (recorded) or a store error. */
static int parent_exists(struct http_req *req, const struct api_parent *parent)
{
	char *body = NULL;
	int err = store_get(api_ctx(req)->st, api_project(req), parent->kind, parent->id, NULL,
			    &body, NULL);

	free(body);
	return api_store_err(req, err, parent->what, parent->id);
}

int api_list(struct http_req *req, enum store_kind kind, const struct api_parent *parent,
	     const char *prefix, const char *run_id)
{
	return api_list_rewritten(req, kind, parent, prefix, run_id, NULL);
}

int api_list_rewritten(struct http_req *req, enum store_kind kind,
		       const struct api_parent *parent, const char *prefix, const char *run_id,
		       char *(*rewrite)(char *body))
{
	struct store_page pg;
	int err = api_page(req, prefix, &pg);

	if (err)
		return err;
	pg.run_id = run_id;
	return api_list_page(req, kind, parent, &pg, rewrite);
}

int api_list_page(struct http_req *req, enum store_kind kind, const struct api_parent *parent,
		  const struct store_page *page, char *(*rewrite)(char *body))
{
	const char *parent_id = parent ? parent->id : NULL;
	struct store_page pg = *page;
	struct store_list l = { 0 };
	int err;

	err = store_list(api_ctx(req)->st, api_project(req), kind, parent_id, &pg, &l);
	if (parent && (err == ERR_INVALID || (!err && l.n == 0))) {
		int perr = parent_exists(req, parent);

		if (perr) {
			store_list_cleanup(&l);
			return perr;
		}
	}
	if (err == ERR_INVALID)
		err = bad_cursor(req, kind, parent_id, &pg);
	for (size_t i = 0; !err && rewrite && i < l.n; i++)
		l.items[i].body = rewrite(l.items[i].body);
	if (!err)
		err = api_reply_list(req, &l);
	store_list_cleanup(&l);
	return err;
}

int api_reply_deleted(struct http_req *req, const char *id, const char *object)
{
	jv *o = jv_object();

	jv_set_str(o, "id", id);
	jv_set_str(o, "object", object);
	jv_set_bool(o, "deleted", true);
	return api_reply_obj(req, o);
}

int api_new_id(struct http_req *req, const char *prefix, char *out)
{
	int err = id_new(prefix, out, ID_MAX + 1);

	if (err)
		return http_fail(req, err, NULL, "Could not make a random id; try again.");
	return 0;
}

jv *api_metadata(const jv *in)
{
	jv *m = jv_get(in, "metadata");

	return jv_is_object(m) ? jv_copy(m) : jv_object();
}

#define API_MODIFY_TRIES 5

/* One load-edit-store attempt. ERR_CONFLICT means somebody else wrote first. */
static int modify_once(struct http_req *req, enum store_kind kind, const char *id,
		       const char *parent, const jv *in, api_apply_fn *apply, char **text)
{
	const char *project = api_project(req);
	struct store *st = api_ctx(req)->st;
	int64_t version = 0;
	jv *obj = NULL;
	int err = obj_get(st, project, kind, id, parent, &obj, &version);

	if (!err)
		err = apply(req, obj, in);
	if (!err)
		err = obj_put(st, project, kind, obj, version, text);
	jv_free(obj);
	return err;
}

int api_modify(struct http_req *req, enum store_kind kind, const char *id, const char *parent,
	       const char *what, const jv *in, api_apply_fn *apply)
{
	char *text = NULL;
	int err = ERR_CONFLICT;

	for (int i = 0; i < API_MODIFY_TRIES && err == ERR_CONFLICT; i++)
		err = modify_once(req, kind, id, parent, in, apply, &text);
	if (err)
		return api_store_err(req, err, what, id);
	return api_reply_body(req, text);
}

int api_apply_metadata(struct http_req *req, jv *obj, const jv *in)
{
	if (jv_get(in, "metadata"))
		jv_set(obj, "metadata", api_metadata(in));
	return 0;
}
