/* runs_poll.h - GET /v1/threads/{thread_id}/runs/{run_id}, which a polling SDK may hold. */
#ifndef ASSISTD_RUNS_POLL_H
#define ASSISTD_RUNS_POLL_H

#include "../http/http.h"

/* Replies with the stored run and openai-poll-after-ms. A retrieve from an SDK poll helper
 * (X-Stainless-Poll-Helper) of a queued, in_progress or cancelling run is first parked until
 * the run's status changes or the hold time passes, whichever comes first. */
int runs_get(struct http_req *req);

#endif
