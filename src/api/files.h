/* files.h - the Files API (/v1/files): upload, list, retrieve, delete, download, and the
 * removal of files whose time is up.
 *
 * A file is a store object (STORE_FILE, metadata only) plus a blob with the same id holding
 * its bytes (store/blob.h). Uploads stream through the route's sink (files_upload.c); the
 * rest is files.c. */
#ifndef ASSISTD_FILES_H
#define ASSISTD_FILES_H

#include "../http/http.h"
#include "../store/blob.h"
#include "../store/store.h"

#define FILES_MAX_BYTES_DEFAULT (512ULL * 1024 * 1024)

/* POST /v1/files: files_body is the route's sink (the multipart body as it arrives),
 * files_create its handler. */
int files_body(struct http_req *req, const char *data, size_t len);
int files_create(struct http_req *req);
int files_list(struct http_req *req);
int files_get(struct http_req *req);
int files_delete(struct http_req *req);
int files_content(struct http_req *req);

/* Checks that id, found at the dotted path param of a request body, names a file of the
 * request's project (message attachments, image_file parts, code_interpreter.file_ids).
 * Errors: ERR_INVALID (recorded: the id and param), ERR_DB. */
int files_check_ref(struct http_req *req, const char *id, const char *param) MUST_CHECK;

/* Removes the files of project (of every project when NULL) whose expires_at has passed:
 * the rows, then the blobs. Errors: ERR_DB. */
int files_expire(struct store *st, struct blobs *bs, const char *project) MUST_CHECK;
/* At start, before serving: removes blobs a crash left without a row (and half-written
 * ones), and expired files. Errors: ERR_DB, ERR_INTERNAL (logged). */
int files_sweep(struct store *st, struct blobs *bs) MUST_CHECK;

#endif
