/* steps.h - the run steps handlers (/v1/threads/{thread_id}/runs/{run_id}/steps), and the
 * include[] check that create-run shares with them. */
#ifndef ASSISTD_STEPS_H
#define ASSISTD_STEPS_H

#include <stdbool.h>

#include "../http/http.h"

/* Checks the query's include[] values: the only one the spec allows is the file_search
 * results content. Returns 0 or ERR_INVALID with param "include" (recorded). */
int steps_check_include(struct http_req *req);
/* True when the query's include[] asks for file_search result contents (checked already). */
bool steps_want_content(struct http_req *req);

int steps_list(struct http_req *req);
int steps_get(struct http_req *req);

#endif
