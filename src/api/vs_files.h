/* vs_files.h - handlers for /v1/vector_stores/{vector_store_id}/files. */
#ifndef ASSISTD_VS_FILES_H
#define ASSISTD_VS_FILES_H

#include "../http/http.h"

int vs_files_create(struct http_req *req);
int vs_files_list(struct http_req *req);
int vs_files_get(struct http_req *req);
int vs_files_update(struct http_req *req);
int vs_files_delete(struct http_req *req);
int vs_files_content(struct http_req *req);

/* Replies with the files of vector store vs (only batch's when batch is not NULL), paged by
 * limit/order/after/before and filtered by the query's filter (a status). */
int vs_files_reply_list(struct http_req *req, const char *vs, const char *batch);

#endif
