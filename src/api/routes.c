/* routes.c - THE route table: every endpoint assistd serves, in one place. */
#include "api.h"
#include "assistants.h"
#include "files.h"
#include "messages.h"
#include "models.h"
#include "ops.h"
#include "runs.h"
#include "runs_poll.h"
#include "steps.h"
#include "threads.h"
#include "vector_stores.h"
#include "vs_batches.h"
#include "vs_files.h"
#include "web.h"

static const struct http_route routes[] = {
	{ "GET", "/healthz", ops_healthz, NULL }, /* outside /v1, for operators (ops.c) */
	{ "GET", "/readyz", ops_readyz, NULL },
	{ "GET", "/metrics", ops_metrics, NULL },

	{ "GET", "/v1/models", models_list, NULL },
	{ "GET", "/v1/models/{model}", models_get, NULL },
	{ "DELETE", "/v1/models/{model}", models_delete, NULL },
	/* Ids such as "meta-llama/Llama-3.1-8B-Instruct" (vLLM), whose slash arrives decoded. */
	{ "GET", "/v1/models/{org}/{model}", models_get, NULL },
	{ "DELETE", "/v1/models/{org}/{model}", models_delete, NULL },

	{ "GET", "/v1/assistants", assistants_list, NULL },
	{ "POST", "/v1/assistants", assistants_create, NULL },
	{ "GET", "/v1/assistants/{assistant_id}", assistants_get, NULL },
	{ "POST", "/v1/assistants/{assistant_id}", assistants_modify, NULL },
	{ "DELETE", "/v1/assistants/{assistant_id}", assistants_delete, NULL },

	{ "GET", "/v1/threads", threads_list, NULL },
	{ "POST", "/v1/threads", threads_create, NULL },
	{ "POST", "/v1/threads/runs", runs_create_thread_and_run, NULL }, /* before {thread_id} */
	{ "GET", "/v1/threads/{thread_id}", threads_get, NULL },
	{ "POST", "/v1/threads/{thread_id}", threads_modify, NULL },
	{ "DELETE", "/v1/threads/{thread_id}", threads_delete, NULL },

	{ "GET", "/v1/threads/{thread_id}/messages", messages_list, NULL },
	{ "POST", "/v1/threads/{thread_id}/messages", messages_create, NULL },
	{ "GET", "/v1/threads/{thread_id}/messages/{message_id}", messages_get, NULL },
	{ "POST", "/v1/threads/{thread_id}/messages/{message_id}", messages_modify, NULL },
	{ "DELETE", "/v1/threads/{thread_id}/messages/{message_id}", messages_delete, NULL },

	{ "GET", "/v1/threads/{thread_id}/runs", runs_list, NULL },
	{ "POST", "/v1/threads/{thread_id}/runs", runs_create, NULL },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}", runs_get, NULL },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}", runs_modify, NULL },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}/cancel", runs_cancel, NULL },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", runs_submit_tool_outputs,
	  NULL },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}/steps", steps_list, NULL },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}", steps_get, NULL },

	{ "GET", "/v1/files", files_list, NULL },
	{ "POST", "/v1/files", files_create, files_body },
	{ "GET", "/v1/files/{file_id}", files_get, NULL },
	{ "DELETE", "/v1/files/{file_id}", files_delete, NULL },
	{ "GET", "/v1/files/{file_id}/content", files_content, NULL },

	{ "GET", "/v1/vector_stores", vector_stores_list, NULL },
	{ "POST", "/v1/vector_stores", vector_stores_create, NULL },
	{ "GET", "/v1/vector_stores/{vector_store_id}", vector_stores_get, NULL },
	{ "POST", "/v1/vector_stores/{vector_store_id}", vector_stores_modify, NULL },
	{ "DELETE", "/v1/vector_stores/{vector_store_id}", vector_stores_delete, NULL },
	{ "POST", "/v1/vector_stores/{vector_store_id}/search", vector_stores_search, NULL },

	{ "GET", "/v1/vector_stores/{vector_store_id}/files", vs_files_list, NULL },
	{ "POST", "/v1/vector_stores/{vector_store_id}/files", vs_files_create, NULL },
	{ "GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_get, NULL },
	{ "POST", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_update, NULL },
	{ "DELETE", "/v1/vector_stores/{vector_store_id}/files/{file_id}", vs_files_delete, NULL },
	{ "GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}/content", vs_files_content,
	  NULL },

	{ "POST", "/v1/vector_stores/{vector_store_id}/file_batches", vs_batches_create, NULL },
	{ "GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}", vs_batches_get,
	  NULL },
	{ "POST", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
	  vs_batches_cancel, NULL },
	{ "GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
	  vs_batches_files, NULL },

	/* The playground page and its files; needs no key (api_auth checks /v1 only). */
	{ "GET", "/", web_get, NULL },
	{ "GET", "/{asset}", web_get, NULL },
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
