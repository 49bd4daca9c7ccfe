/* runs.h - the runs handlers (/v1/threads/{thread_id}/runs..., /v1/threads/runs), and the
 * small pieces steps.c and runs_poll.c share with them. */
#ifndef ASSISTD_RUNS_H
#define ASSISTD_RUNS_H

#include "../http/http.h"

int runs_create(struct http_req *req);            /* POST /v1/threads/{thread_id}/runs */
int runs_create_thread_and_run(struct http_req *req); /* POST /v1/threads/runs */
int runs_list(struct http_req *req);
int runs_modify(struct http_req *req);
int runs_cancel(struct http_req *req);
int runs_submit_tool_outputs(struct http_req *req);
/* runs_get (retrieve) is in runs_poll.h. */

/* The thread_id and run_id path parameters (borrowed), or a 404 naming the bad one. */
int runs_path(struct http_req *req, const char **thread_id, const char **run_id);
/* Adds openai-poll-after-ms, which every run and step reply carries. */
void runs_poll_header(struct http_req *req);
/* Replies 200 with a run or step (body owned, taken) and openai-poll-after-ms. */
int runs_reply(struct http_req *req, char *body);

#endif
