/* files_upload.c - POST /v1/files: a multipart upload written to a blob as it arrives.
 *
 * The route's sink (files_body) parses the body with http_multipart_take and streams the
 * "file" part straight into a new blob and gathers the
 * small plain fields (purpose, expires_after[anchor], expires_after[seconds], as the SDKs
 * send them) into a JSON object shaped like CreateFileRequest. Once the body is complete,
 * files_create checks that object against the schema, commits the blob (on disk, renamed
 * into place) and only then writes the store row, removing the blob again if that fails.
 * Whatever happens before, the request's upload state is freed with the request and drops
 * the unfinished blob: no half-file ever becomes visible. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../store/obj.h"
#include "common.h"
#include "files.h"
#include "schemas.h"

#define FORM_VALUE_MAX 1024      /* bytes of a plain form field */
#define FILES_NAME_MAX 1024      /* bytes of a file name */
#define BATCH_EXPIRY_S (30 * 24 * 3600) /* batch files expire after 30 days unless told */

/* What the sink has gathered for one request (the handler's state). */
struct upload {
	struct blob_writer *w; /* the file's blob, until committed or dropped */
	char id[ID_MAX + 1];   /* the new file's id, once the file part began */
	char *filename;        /* owned */
	uint64_t bytes;
	bool in_file;          /* the current part is the file */
	char *field;           /* owned: the current plain field's name */
	struct buf value;      /* its bytes so far */
	jv *form;              /* owned: the known plain fields, shaped as CreateFileRequest */
	char *unknown;         /* owned: the first field of another name, refused at the end */
};

/* How a plain form field lands in the form object. */
static const struct {
	const char *name;   /* as sent */
	const char *parent; /* the member it is nested in, or NULL */
	const char *key;
	bool integer;       /* parsed as an integer when it is one */
} form_fields[] = {
	{ "purpose", NULL, "purpose", false },
	{ "expires_after[anchor]", "expires_after", "anchor", false },
	{ "expires_after[seconds]", "expires_after", "seconds", true },
};

/* What the APIs that read a purpose's files accept, as the spec states it for uploads. */
static const struct {
	const char *purpose;
	const char *api;       /* for the message */
	const char *ext;       /* the file name must end with it */
	uint64_t max_bytes;    /* 0: only the server's limit */
} purpose_rules[] = {
	{ "batch", "the Batch API", ".jsonl", 200ULL * 1024 * 1024 },
	{ "fine-tune", "fine-tuning", ".jsonl", 0 },
};

static void upload_free(void *p)
{
	struct upload *u = p;

	blob_abort(u->w);
	free(u->filename);
	free(u->field);
	buf_cleanup(&u->value);
	jv_free(u->form);
	free(u->unknown);
	free(u);
}

/* The request's upload state, made on first use. Borrowed until the request ends. */
static struct upload *upload_get(struct http_req *req)
{
	struct upload *u = http_state(req);

	if (u)
		return u;
	u = xcalloc(1, sizeof(*u));
	buf_init(&u->value, FORM_VALUE_MAX);
	u->form = jv_object();
	http_set_state(req, u, upload_free);
	return u;
}

static int file_begin(struct http_req *req, struct upload *u, const char *filename)
{
	int err;

	if (u->id[0])
		return http_fail(req, ERR_INVALID, "file",
				 "The body has more than one 'file' part; upload one file per "
				 "request.");
	if (!filename || !filename[0])
		return http_fail(req, ERR_INVALID, "file",
				 "'file' must be a file: a form part with a filename, not a plain "
				 "field.");
	if (strlen(filename) > FILES_NAME_MAX)
		return http_fail(req, ERR_INVALID, "file",
				 "The file name is longer than %d bytes; rename the file.",
				 FILES_NAME_MAX);
	err = api_new_id(req, ID_FILE, u->id);
	if (!err)
		err = blob_create(api_ctx(req)->blobs, u->id, &u->w);
	if (err)
		return http_fail(req, err, NULL, "The file could not be stored; try again.");
	u->filename = xstrdup(filename);
	u->in_file = true;
	return 0;
}

static int part_begin(struct http_req *req, const char *name, const char *filename,
		      const char *content_type)
{
	struct upload *u = upload_get(req);

	if (strcmp(name, "file") == 0)
		return file_begin(req, u, filename);
	u->in_file = false;
	free(u->field);
	u->field = xstrdup(name);
	buf_reset(&u->value);
	return 0;
}

static int file_data(struct http_req *req, struct upload *u, const char *data, size_t len)
{
	uint64_t max = api_ctx(req)->max_file_bytes;

	if (blob_written(u->w) + len > max) {
		blob_abort(u->w);
		u->w = NULL;
		return http_fail(req, ERR_TOO_LARGE, "file",
				 "The file is larger than this server's limit of %llu bytes; upload "
				 "a smaller file (the limit is set with --max-file-bytes).",
				 (unsigned long long)max);
	}
	if (blob_write(u->w, data, len) != 0)
		return http_fail(req, ERR_INTERNAL, NULL,
				 "The file could not be stored (the server's disk may be full); "
				 "try again later.");
	return 0;
}

static int part_data(struct http_req *req, const char *data, size_t len)
{
	struct upload *u = http_state(req);

	if (u->in_file)
		return file_data(req, u, data, len);
	if (buf_append(&u->value, data, len) != 0)
		return http_fail(req, ERR_INVALID, u->field,
				 "Invalid '%.80s': the value is longer than %d bytes.", u->field,
				 FORM_VALUE_MAX);
	return 0;
}

/* The field's value as JSON: an integer when asked for and it is one, else the string. */
static jv *form_value(const struct buf *v, bool integer)
{
	const char *s = v->p ? v->p : "";
	char *end;
	long long n;

	if (integer && v->len > 0 && v->len < 20) {
		n = strtoll(s, &end, 10);
		if (end == s + v->len)
			return jv_int(n);
	}
	return jv_stringn(s, v->len);
}

/* Files the finished plain field into the form object. The names in form_fields are the
 * only keys it is given (a client's field name may not even be UTF-8); the first other name
 * is kept to be refused once the body is in. */
static void form_set(struct upload *u)
{
	jv *obj = u->form;

	for (size_t i = 0; i < sizeof(form_fields) / sizeof(form_fields[0]); i++) {
		if (strcmp(form_fields[i].name, u->field) != 0)
			continue;
		if (form_fields[i].parent && !jv_get(u->form, form_fields[i].parent))
			jv_set(u->form, form_fields[i].parent, jv_object());
		if (form_fields[i].parent)
			obj = jv_get(u->form, form_fields[i].parent);
		jv_set(obj, form_fields[i].key, form_value(&u->value, form_fields[i].integer));
		return;
	}
	if (!u->unknown)
		u->unknown = xstrdup(u->field);
}

static int part_end(struct http_req *req)
{
	struct upload *u = http_state(req);

	if (u->in_file) {
		u->in_file = false;
		return 0;
	}
	form_set(u);
	return 0;
}

static const struct http_parts parts = { part_begin, part_data, part_end };

int files_body(struct http_req *req, const char *data, size_t len)
{
	return http_multipart_take(req, &parts, data, len);
}

/* The File object for a finished upload (owned). */
static jv *file_build(const struct upload *u, int64_t now)
{
	const char *purpose = jv_get_str(u->form, "purpose");
	const jv *exp = jv_get(u->form, "expires_after");
	jv *f = jv_object();

	jv_set_str(f, "object", "file");
	jv_set_str(f, "id", u->id);
	jv_set_str(f, "purpose", purpose);
	jv_set_str(f, "filename", u->filename);
	jv_set_int(f, "bytes", (int64_t)u->bytes);
	jv_set_int(f, "created_at", now);
	if (exp)
		jv_set_int(f, "expires_at", now + jv_int_value(jv_get(exp, "seconds")));
	else if (strcmp(purpose, "batch") == 0)
		jv_set_int(f, "expires_at", now + BATCH_EXPIRY_S);
	else
		jv_set_null(f, "expires_at");
	jv_set_str(f, "status", "processed");
	jv_set_null(f, "status_details");
	return f;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s);
	size_t k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Checks the file against what its purpose's API accepts. */
static int purpose_check(struct http_req *req, const struct upload *u)
{
	const char *purpose = jv_get_str(u->form, "purpose");

	for (size_t i = 0; i < sizeof(purpose_rules) / sizeof(purpose_rules[0]); i++) {
		if (strcmp(purpose, purpose_rules[i].purpose) != 0)
			continue;
		if (!ends_with(u->filename, purpose_rules[i].ext))
			return http_fail(req, ERR_INVALID, "file",
					 "Invalid file format for %s: '%.80s'. Must be %s.",
					 purpose_rules[i].api, u->filename, purpose_rules[i].ext);
		if (purpose_rules[i].max_bytes && blob_written(u->w) > purpose_rules[i].max_bytes)
			return http_fail(req, ERR_TOO_LARGE, "file",
					 "Files for %s may be at most %llu bytes; this one has "
					 "%llu.", purpose_rules[i].api,
					 (unsigned long long)purpose_rules[i].max_bytes,
					 (unsigned long long)blob_written(u->w));
	}
	return 0;
}

/* Makes the blob visible and records the file; on failure nothing of it is left. */
static int file_save(struct http_req *req, struct upload *u, char **text)
{
	struct api *api = api_ctx(req);
	jv *f;
	int err;

	u->bytes = blob_written(u->w);
	err = blob_commit(u->w);
	u->w = NULL;
	if (err)
		return http_fail(req, err, NULL, "The file could not be stored; try again.");
	f = file_build(u, clock_unix());
	err = obj_put(api->st, api_project(req), STORE_FILE, f, -1, text);
	jv_free(f);
	if (err && blob_remove(api->blobs, u->id) != 0)
		log_warn("files: %s: blob left without a row; removed at the next start", u->id);
	return err;
}

/* Checks what the body brought: a file, known fields of valid values, a file its purpose's
 * API accepts. */
static int upload_check(struct http_req *req, const struct upload *u)
{
	struct sc_error e;

	if (!u || !u->id[0])
		return http_fail(req, ERR_INVALID, "file",
				 "Missing required parameter: 'file'. Send the file as a "
				 "multipart/form-data part named 'file', with a filename.");
	if (u->unknown)
		return http_fail(req, ERR_INVALID, u->unknown, "Unknown parameter: '%.80s'.",
				 u->unknown);
	if (sc_check(&sc_create_file, u->form, &e) != 0)
		return api_schema_fail(req, &e);
	return purpose_check(req, u);
}

int files_create(struct http_req *req)
{
	char *text = NULL;
	int err = http_multipart_end(req, &parts);
	/* After the end: the last part may only now have made the state. */
	struct upload *u = http_state(req);

	if (!err)
		err = upload_check(req, u);
	if (!err)
		err = files_expire(api_ctx(req)->st, api_ctx(req)->blobs, api_project(req));
	if (!err)
		err = file_save(req, u, &text);
	if (err)
		return err;
	return api_reply_body(req, text);
}
