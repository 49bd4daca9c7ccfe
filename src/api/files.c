/* files.c - list, retrieve, delete and download files, and the removal of expired ones.
 *
 * Uploads are files_upload.c. A file's metadata is a store object and its bytes a blob of
 * the same id: a delete removes the row first, then the blob, so a crash in between leaves
 * only an orphan blob, which files_sweep removes at the next start. Expired files are removed
 * when their project next touches files (so none is ever served), and periodically. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "common.h"
#include "files.h"

#define FILES_LIST_DEFAULT 10000
#define FILES_EXPIRE_BATCH 100

/* Content-Type of a download by the file name's extension; anything else is octet-stream. */
static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ "txt", "text/plain" },
	{ "md", "text/markdown" },
	{ "csv", "text/csv" },
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "css", "text/css" },
	{ "json", "application/json" },
	{ "jsonl", "application/jsonl" },
	{ "xml", "application/xml" },
	{ "pdf", "application/pdf" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "zip", "application/zip" },
	{ "tar", "application/x-tar" },
	{ "py", "text/x-python" },
	{ "js", "text/javascript" },
	{ "ts", "application/typescript" },
	{ "c", "text/x-c" },
	{ "cpp", "text/x-c++" },
	{ "java", "text/x-java" },
	{ "sh", "application/x-sh" },
};

/* Borrowed static string. */
static const char *mime_type(const char *filename)
{
	const char *dot = strrchr(filename, '.');

	for (size_t i = 0; dot && i < sizeof(mime_types) / sizeof(mime_types[0]); i++) {
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	}
	return "application/octet-stream";
}

/* --- Expiry --- */

/* Removes one expired file: the row (unless another request just did), then the blob. */
static int expire_one(struct store *st, struct blobs *bs, const char *project, const char *id)
{
	int err = store_delete(st, project, STORE_FILE, id, NULL);

	if (err && err != ERR_NOT_FOUND)
		return err;
	if (blob_remove(bs, id) != 0)
		log_warn("files: %s expired, but its blob could not be removed", id);
	return 0;
}

int files_expire(struct store *st, struct blobs *bs, const char *project)
{
	struct store_list l;
	char **projects = NULL;
	size_t n;
	int err;

	do {
		err = store_expired(st, project, STORE_FILE, clock_unix(), FILES_EXPIRE_BATCH, &l,
				    &projects);
		if (err)
			return err;
		for (size_t i = 0; i < l.n && !err; i++)
			err = expire_one(st, bs, projects[i], l.items[i].id);
		n = l.n;
		store_projects_free(projects, l.n);
		store_list_cleanup(&l);
	} while (!err && n == FILES_EXPIRE_BATCH);
	return err;
}

/* blobs_sweep's keep(): a blob stays while some project's file row names it. A store
 * error keeps it too: better an orphan than a lost file. */
static bool has_row(void *ctx, const char *id)
{
	bool found = true;

	if (store_id_exists(ctx, STORE_FILE, id, &found) != 0)
		return true;
	return found;
}

int files_sweep(struct store *st, struct blobs *bs)
{
	if (blobs_sweep(bs, has_row, st) < 0)
		return ERR_INTERNAL;
	return files_expire(st, bs, NULL);
}

/* Runs the project's expiry before a handler reads files. */
static int expire_now(struct http_req *req)
{
	return files_expire(api_ctx(req)->st, api_ctx(req)->blobs, api_project(req));
}

int files_check_ref(struct http_req *req, const char *id, const char *param)
{
	char *body = NULL;
	int err;

	if (!id_valid(id, ID_FILE))
		return http_fail(req, ERR_INVALID, param,
				 "Invalid '%s': '%.80s'. Expected an ID that begins with 'file'.",
				 param, id ? id : "");
	err = expire_now(req);
	if (!err)
		err = store_get(api_ctx(req)->st, api_project(req), STORE_FILE, id, NULL, &body,
				NULL);
	free(body);
	if (err == ERR_NOT_FOUND)
		return http_fail(req, ERR_INVALID, param,
				 "Invalid '%s': no file with id '%s' exists in this project. Upload "
				 "it with POST /v1/files first.", param, id);
	return err;
}

/* --- Handlers --- */

int files_list(struct http_req *req)
{
	struct store_page pg;
	struct store_list l = { 0 };
	int err = api_page_max(req, ID_FILE, FILES_LIST_DEFAULT, STORE_LIST_MAX, &pg);

	if (!err)
		err = expire_now(req);
	if (err)
		return err;
	pg.before = NULL; /* GET /files has no `before` */
	pg.tag = http_query(req, "purpose");
	err = store_list(api_ctx(req)->st, api_project(req), STORE_FILE, NULL, &pg, &l);
	if (err == ERR_INVALID)
		err = http_fail(req, ERR_INVALID, "after",
				"Invalid 'after': no file with id '%.80s' in this list.", pg.after);
	else if (!err)
		err = api_reply_list(req, &l);
	store_list_cleanup(&l);
	return err;
}

int files_get(struct http_req *req)
{
	int err = expire_now(req);

	if (err)
		return err;
	return api_get_top(req, STORE_FILE, "file_id", ID_FILE, "file");
}

int files_delete(struct http_req *req)
{
	struct api *api = api_ctx(req);
	const char *id;
	int err = api_path_id(req, "file_id", ID_FILE, "file", &id);

	if (!err)
		err = expire_now(req);
	if (!err)
		err = store_delete(api->st, api_project(req), STORE_FILE, id, NULL);
	if (err)
		return api_store_err(req, err, "file", id);
	if (blob_remove(api->blobs, id) != 0)
		log_warn("files: %s deleted, but its blob could not be removed yet", id);
	return api_reply_deleted(req, id, "file");
}

/* True when the name can go in a quoted Content-Disposition filename as it is. */
static bool name_plain(const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			return false;
	}
	return true;
}

/* filename*=UTF-8''<percent-encoded name> (RFC 6266), for any other name. */
static int name_encoded(struct buf *b, const char *name)
{
	int err = buf_puts(b, "attachment; filename*=UTF-8''");

	for (const unsigned char *p = (const unsigned char *)name; *p && !err; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			err = buf_putc(b, (char)*p);
		else
			err = buf_printf(b, "%%%02X", *p);
	}
	return err;
}

static void add_disposition(struct http_req *req, const char *name)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	if (name_plain(name))
		err = buf_printf(&b, "attachment; filename=\"%s\"", name);
	else
		err = name_encoded(&b, name);
	if (!err)
		http_header_add(req, "Content-Disposition", b.p);
	buf_cleanup(&b);
}

/* The stored file's name (owned), or NULL when its body cannot be read. */
static char *stored_name(const char *body)
{
	char why[64];
	jv *f = jv_parse(body, strlen(body), why, sizeof(why));
	const char *name = f ? jv_get_str(f, "filename") : NULL;
	char *copy = name ? xstrdup(name) : NULL;

	jv_free(f);
	return copy;
}

int files_content(struct http_req *req)
{
	struct api *api = api_ctx(req);
	const char *id;
	char *body = NULL;
	char *name = NULL;
	uint64_t size = 0;
	int fd = -1;
	int err = api_path_id(req, "file_id", ID_FILE, "file", &id);

	if (!err)
		err = expire_now(req);
	if (!err)
		err = store_get(api->st, api_project(req), STORE_FILE, id, NULL, &body, NULL);
	if (!err)
		err = blob_open_read(api->blobs, id, &fd, &size);
	if (err)
		goto out;
	name = stored_name(body);
	add_disposition(req, name ? name : id);
	err = http_reply_fd(req, 200, mime_type(name ? name : ""), fd, size);
out:
	free(body);
	free(name);
	return api_store_err(req, err, "file", id);
}
