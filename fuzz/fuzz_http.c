/* fuzz_http.c - libFuzzer target for request, path and query parsing (src/http: the
 * router, path parameters, query lookups, headers, buffered and streamed bodies).
 *
 * Starts one server on 127.0.0.1 with routes shaped like the API's, whose handler reads
 * every path parameter, query value and header it can, then sends each input as the raw
 * bytes of a connection and reads the first answer. A crash or sanitizer report in
 * the server is a finding; so is an answer that is not HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../src/base/alloc.h"
#include "../src/base/log.h"
#include "../src/http/http.h"

#define FUZZ_HTTP_WAIT_US 30000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int port;

static int count_key(void *ctx, const char *key)
{
	size_t *n = ctx;

	*n += strlen(key);
	return 0;
}

/* Reads what a handler can read and answers with a summary. */
static int echo(struct http_req *req)
{
	static const char *const names[] = { "thread_id", "run_id", "step_id", "nope" };
	static const char *const keys[] = { "limit", "order", "after", "before", "include[]" };
	const char *vals[4];
	size_t n = strlen(http_path(req)) + strlen(http_method(req));
	size_t len = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		n += http_param(req, names[i]) ? strlen(http_param(req, names[i])) : 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		n += http_query(req, keys[i]) ? strlen(http_query(req, keys[i])) : 0;
	n += http_query_all(req, "include[]", vals, 4);
	(void)http_query_each(req, count_key, &n);
	n += http_header(req, "Authorization") ? strlen(http_header(req, "Authorization")) : 0;
	(void)http_body(req, &len);
	if (n % 3 == 0)
		return http_fail(req, ERR_INVALID, "limit", "Odd request (%zu).", n + len);
	return http_reply_json(req, 200, xasprintf("{\"n\":%zu}", n + len));
}

/* A streamed body's sink (as an upload's): refuses a body that holds a NUL. */
static int sink(struct http_req *req, const char *data, size_t len)
{
	return memchr(data, '\0', len) ? http_fail(req, ERR_INVALID, "file", "No NULs.") : 0;
}

static const struct http_route routes[] = {
	{ "GET", "/v1/assistants", echo, NULL },
	{ "POST", "/v1/threads/runs", echo, NULL },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}", echo, NULL },
	{ "POST", "/v1/threads/{thread_id}/runs/{run_id}/cancel", echo, NULL },
	{ "GET", "/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}", echo, NULL },
	{ "DELETE", "/v1/threads/{thread_id}", echo, NULL },
	{ "POST", "/v1/files", echo, sink },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_config cfg = {
		.host = "127.0.0.1",
		.threads = 1,
		.max_body = 4096,
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};
	struct http_server *srv = NULL; /* lives as long as the process */

	log_set_level(LOG_ERROR);
	if (http_start(&cfg, &srv) != 0)
		abort();
	port = http_port(srv);
	return 0;
}

static int connect_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	/* An incomplete request gets no answer until the server's own timeout (a closed write
	 * side does not end it): waiting longer than an answer takes only slows the search. */
	struct timeval tv = { .tv_usec = FUZZ_HTTP_WAIT_US };
	/* Closing with a reset leaves no TIME_WAIT behind: thousands of inputs a minute would
	 * otherwise use up the local ports. */
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "cannot connect to the server: %s\n", strerror(errno));
		abort();
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	return fd;
}

/* True once a holds a whole first answer: its head and Content-Length bytes of body. */
static bool answered(const char *a, size_t len)
{
	const char *end = memmem(a, len, "\r\n\r\n", 4);
	const char *cl;
	size_t body;

	if (!end)
		return false;
	cl = strcasestr(a, "\r\ncontent-length:");
	body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
	return len >= (size_t)(end + 4 - a) + body;
}

/* Reads the first answer (the server may keep the connection open after it); returns how
 * many bytes came, the text in a (NUL-terminated). */
static size_t read_answer(int fd, char *a, size_t cap)
{
	size_t len = 0;

	a[0] = '\0';
	while (len < cap - 1 && !answered(a, len)) {
		ssize_t n = recv(fd, a + len, cap - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		a[len] = '\0';
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = connect_server();
	char answer[16384];
	size_t got;

	/* The server may answer and close before reading everything: that is fine. */
	(void)send(fd, data, size, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	got = read_answer(fd, answer, sizeof(answer));
	close(fd);
	if (got >= 7 && strncmp(answer, "HTTP/1.", 7) != 0) {
		fprintf(stderr, "the answer is not HTTP: %.40s\n", answer);
		abort();
	}
	return 0;
}
