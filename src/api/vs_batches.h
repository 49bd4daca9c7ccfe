/* vs_batches.h - handlers for /v1/vector_stores/{vector_store_id}/file_batches. */
#ifndef ASSISTD_VS_BATCHES_H
#define ASSISTD_VS_BATCHES_H

#include "../http/http.h"

int vs_batches_create(struct http_req *req);
int vs_batches_get(struct http_req *req);
int vs_batches_cancel(struct http_req *req);
int vs_batches_files(struct http_req *req);

#endif
