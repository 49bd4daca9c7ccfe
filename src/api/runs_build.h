/* runs_build.h - the Run object a create-run request describes, before it is stored.
 *
 * Shared by create-run and create-thread-and-run: the run's settings come from the request
 * where it gives them and from the assistant otherwise, with the spec's defaults last. This
 * file builds JSON and checks what the request schema cannot; it does not write anything. */
#ifndef ASSISTD_RUNS_BUILD_H
#define ASSISTD_RUNS_BUILD_H

#include <stdint.h>

#include "../http/http.h"
#include "../json/json.h"

/* Loads the assistant named by in's "assistant_id". On success *asst is owned (jv_free).
 * Errors: ERR_NOT_FOUND with param assistant_id (recorded), ERR_DB, ERR_INTERNAL. */
int run_load_assistant(struct http_req *req, const jv *in, jv **asst);

/* Builds the queued Run object (every field of the spec's RunObject) for thread_id from the
 * validated request in and the stored assistant asst, created at now. On success *out is
 * owned. Errors: ERR_INVALID when tool_choice names a tool the run does not have,
 * ERR_INTERNAL (ids); both recorded. */
int run_build(struct http_req *req, const jv *in, const jv *asst, const char *thread_id,
	      int64_t now, jv **out);

#endif
