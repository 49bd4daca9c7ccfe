/* ops.h - the handlers for operators, outside /v1: /healthz, /readyz, /metrics (ops.c). */
#ifndef ASSISTD_OPS_H
#define ASSISTD_OPS_H

#include <stdbool.h>

#include "../http/http.h"

/* True for the probes, which need no key. */
bool ops_public(const struct http_req *req);

int ops_healthz(struct http_req *req);
int ops_readyz(struct http_req *req);
int ops_metrics(struct http_req *req);

#endif
