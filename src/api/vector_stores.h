/* vector_stores.h - handlers for /v1/vector_stores and its search endpoint. */
#ifndef ASSISTD_VECTOR_STORES_H
#define ASSISTD_VECTOR_STORES_H

#include "../http/http.h"

int vector_stores_create(struct http_req *req);
int vector_stores_list(struct http_req *req);
int vector_stores_get(struct http_req *req);
int vector_stores_modify(struct http_req *req);
int vector_stores_delete(struct http_req *req);
int vector_stores_search(struct http_req *req);

#endif
