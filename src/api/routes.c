/* routes.c - THE route table: every endpoint assistd serves, in one place. */
#include "api.h"
#include "assistants.h"
#include "messages.h"
#include "threads.h"

static const struct http_route routes[] = {
	{ "GET", "/v1/assistants", assistants_list },
	{ "POST", "/v1/assistants", assistants_create },
	{ "GET", "/v1/assistants/{assistant_id}", assistants_get },
	{ "POST", "/v1/assistants/{assistant_id}", assistants_modify },
	{ "DELETE", "/v1/assistants/{assistant_id}", assistants_delete },

	{ "POST", "/v1/threads", threads_create },
	{ "GET", "/v1/threads/{thread_id}", threads_get },
	{ "POST", "/v1/threads/{thread_id}", threads_modify },
	{ "DELETE", "/v1/threads/{thread_id}", threads_delete },

	{ "GET", "/v1/threads/{thread_id}/messages", messages_list },
	{ "POST", "/v1/threads/{thread_id}/messages", messages_create },
	{ "GET", "/v1/threads/{thread_id}/messages/{message_id}", messages_get },
	{ "POST", "/v1/threads/{thread_id}/messages/{message_id}", messages_modify },
	{ "DELETE", "/v1/threads/{thread_id}/messages/{message_id}", messages_delete },
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
