/* models.h - the /v1/models handlers: the models runs may name (see engine_models). */
#ifndef ASSISTD_MODELS_H
#define ASSISTD_MODELS_H

#include "../http/http.h"

/* GET /v1/models: ListModelsResponse. The first request after start may wait (parked, no
 * thread held) for the upstream's list, up to MODELS_WAIT_MS; then the configured models. */
int models_list(struct http_req *req);
/* GET /v1/models/{model} (and /v1/models/{org}/{model}, for ids such as "org/name"): the Model,
 * or 404 model_not_found. */
int models_get(struct http_req *req);
/* DELETE /v1/models/{model}: assistd owns no model, so 403 for a listed one (as the hosted
 * API answered for a model one does not own) and 404 model_not_found for any other. */
int models_delete(struct http_req *req);

#define MODELS_WAIT_MS 6000

#endif
