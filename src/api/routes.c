/* routes.c - THE route table: every endpoint assistd serves, in one place. */
#include "api.h"
#include "assistants.h"
#include "files.h"
#include "messages.h"
#include "runs.h"
#include "runs_poll.h"
#include "steps.h"
#include "threads.h"
#include "vector_stores.h"
#include "vs_batches.h"
#include "vs_files.h"

static const struct http_route routes[] = {
	{ "GET", "/v1/assistants", assistants_list },
	{ "POST", "/v1/assistants", assistants_create },
	{ "GET", "/v1/assistants/{assistant_id}", assistants_get },
	{ "POST", "/v1/assistants/{assistant_id}", assistants_modify },
	{ "DELETE", "/v1/assistants/{assistant_id}", assistants_delete },

	{ "POST", "/v1/threads", threads_create },
	{ "POST", "/v1/threads/runs", runs_create_thread_and_run }, /* before {thread_id} */
	{ "GET", "/v1/threads/{thread_id}", threads_get },
	{ "POST", "/v1/threads/{thread_id}", threads_modify },
	{ "DELETE", "/v1/threads/{thread_id}", threads_delete },

	{ "GET", "/v1/threads/{thread_id}/messages", messages_list },
	{ "POST", "/v1/threads/{thread_id}/messages", messages_create },
	{ "GET", "/v1/threads/{thread_id}/messages/{message_id}", messages_get },
	{ "POST", "/v1/threads/{thread_id}/messages/{message_id}", messages_modify },
	{ "DELETE", "/v1/threads/{thread_id}/messages/{message_id}", messages_delete },

	{ "GET", "/v1/threads/{thread_id}/runs", runs_list },
	{ "POST", "/v1/threads/{thread_id}/runs", runs_create },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}", runs_get },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}", runs_modify },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}/cancel", runs_cancel },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", runs_submit_outputs },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}/steps", steps_list },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}", steps_get },

	{ "GET", "/v1/files", files_list },
	{ "POST", "/v1/files", files_create, &files_sink },
	{ "GET", "/v1/files/{file_id}", files_get },
	{ "DELETE", "/v1/files/{file_id}", files_delete },
	{ "GET", "/v1/files/{file_id}/content", files_content },

	{ "GET", "/v1/vector_stores", vector_stores_list },
	{ "POST", "/v1/vector_stores", vector_stores_create },
	{ "GET", "/v1/vector_stores/{vector_store_id}", vector_stores_get },
	{ "POST", "/v1/vector_stores/{vector_store_id}", vector_stores_modify },
	{ "DELETE", "/v1/vector_stores/{vector_store_id}", vector_stores_delete },
	{ "POST", "/v1/vector_stores/{vector_store_id}/search", vector_stores_search },

	{ "GET", "/v1/vector_stores/{vector_store_id}/files", vs_files_list },
	{ "POST", "/v1/vector_stores/{vector_store_id}/files", vs_files_create },
	{ "GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_get },
	{ "POST", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_update },
	{ "DELETE", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_delete },
	{ "GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}/content", vs_files_content },

	{ "POST", "/v1/vector_stores/{vector_store_id}/file_batches", vs_batches_create },
	{ "GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}", vs_batches_get },
	{ "POST", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
	  vs_batches_cancel },
	{ "GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
	  vs_batches_files },
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
