/* assistants.h - the /v1/assistants handlers. */
#ifndef ASSISTD_ASSISTANTS_H
#define ASSISTD_ASSISTANTS_H

#include "../http/http.h"

int assistants_create(struct http_req *req);
int assistants_get(struct http_req *req);
int assistants_modify(struct http_req *req);
int assistants_delete(struct http_req *req);
int assistants_list(struct http_req *req);

#endif
