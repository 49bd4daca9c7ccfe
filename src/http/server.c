/* server.c - the libmicrohttpd daemon: start and stop, the access handler that takes each
 * request through its admission (admit.c), its body (body.c) and its handler, and the log
 * line written when a request completes.
 *
 * Request accessors live in request.c, replies in reply.c, waiting in defer.c, stream.c and
 * suspend.c. Handlers run on MHD's pool threads; nothing here creates a thread per request. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "http_int.h"

bool server_stopping(const struct http_server *srv)
{
	return atomic_load(&srv->stopping);
}

/* --- Request lifecycle --- */

/* Random characters for request ids, drawn ahead per thread: one id_random call (and a few
 * getrandom calls) serves 64 requests instead of one call each. */
#define ID_POOL (ID_RANDOM_LEN * 64)
_Static_assert(HTTP_REQ_ID_SIZE > 4 + ID_RANDOM_LEN, "request ids do not fit");
static _Thread_local char id_pool[ID_POOL];
static _Thread_local size_t id_pool_used = ID_POOL;

/* Writes "req_" and ID_RANDOM_LEN base62 characters into id (HTTP_REQ_ID_SIZE bytes). */
static void request_id(char *id)
{
	if (id_pool_used == ID_POOL) {
		if (id_random(id_pool, ID_POOL) != 0) {
			snprintf(id, HTTP_REQ_ID_SIZE, "req_unknown");
			return;
		}
		id_pool_used = 0;
	}
	memcpy(id, "req_", 4);
	memcpy(id + 4, id_pool + id_pool_used, ID_RANDOM_LEN);
	id[4 + ID_RANDOM_LEN] = '\0';
	id_pool_used += ID_RANDOM_LEN;
}

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn)
{
	struct http_req *req = xcalloc(1, sizeof(*req));

	req->srv = srv;
	req->conn = conn;
	req->start_us = clock_us();
	timer_init(&req->deadline, suspend_deadline_due, req);
	req->deadline_ms = -1;
	buf_init(&req->body, srv->cfg.max_body);
	request_id(req->id);
	atomic_fetch_add(&srv->inflight, 1);
	return req;
}

static void req_free(struct http_req *req)
{
	struct http_server *srv = req->srv;

	defer_detach(req);
	stream_detach(req);
	reply_cleanup(req);
	body_release(req);
	multipart_free(req);
	if (req->state_free)
		req->state_free(req->state);
	if (req->user_free)
		req->user_free(req->user);
	for (size_t i = 0; i < req->nkeep; i++)
		free(req->keep[i]);
	free(req->keep);
	if (req->pvals != req->pinline)
		free(req->pvals);
	free(req);
	atomic_fetch_sub(&srv->inflight, 1);
}

/* The handler's first run, once the whole body is in. */
static int dispatch(struct http_req *req)
{
	if (req->body_err)
		return req->body_err;
	req->hdr_mark = req->nhdrs;
	return req->route->fn(req);
}

/* Runs the handler again after a wake or a timeout, as if for the first time. */
static int rerun(struct http_req *req)
{
	defer_detach(req);
	reply_reset(req);
	req->reruns++;
	return req->route->fn(req);
}

static enum MHD_Result req_run(struct http_req *req)
{
	enum defer_next next;
	int err;

	err = req->stage == REQ_PARKED ? rerun(req) : dispatch(req);
	while (err == HTTP_DEFERRED) {
		err = defer_park(req, &next);
		if (err == 0 && next == DEFER_PARKED)
			return MHD_YES;
		if (err == 0)
			err = rerun(req);
	}
	/* A handler may call http_defer and then answer after all. */
	defer_detach(req);
	return reply_queue(req, err);
}

/* Whether the target as sent encodes a NUL (%00). */
static bool encodes_nul(const char *uri)
{
	for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%')) {
		if (p[1] == '0' && p[2] == '0')
			return true;
	}
	return false;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line is in. The request begins here, because
 * only here is the target seen as sent, before MHD decodes it (a %00 would cut it short). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req *req = req_new(cls, conn);

	req->target_len = strlen(uri);
	req->target_nul = encodes_nul(uri);
	return req;
}

/* The first access call: the headers are in, the body (if any) is not. */
static enum MHD_Result on_headers(struct http_req *req, const char *url, const char *method)
{
	bool now;
	int err;

	req->method = method;
	req->path = url;
	req->stage = REQ_RECEIVING;
	err = admit_request(req, &now);
	/* Answered before the body is read: MHD then closes the connection. */
	if (err && now)
		return reply_queue(req, err);
	/* Otherwise the body, if any, is read and dropped, and then the refusal answered. */
	if (err)
		body_refuse(req, err);
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct http_req *req = *con_cls;

	if (req->stage == REQ_NEW)
		return on_headers(req, url, method);
	if (*upload_size != 0) {
		if (!body_take(req, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	return req_run(req);
}

/* Copies s for a log line, with control characters (a decoded %0A, say) made harmless. */
static void log_clean(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < size && s[i]; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
}

static void req_log(const struct http_req *req, enum MHD_RequestTerminationCode toe)
{
	char method[32];
	char path[256];
	double ms;

	if (!log_enabled(LOG_INFO) || !req->method)
		return;
	ms = (double)(clock_us() - req->start_us) / 1000.0;
	log_clean(method, sizeof(method), req->method);
	log_clean(path, sizeof(path), req->path);
	log_info("%s %s %d %.1fms %s%s", method, path, req->status, ms, req->id,
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_req *req = *con_cls;

	if (!req)
		return;
	*con_cls = NULL;
	stats_count(req);
	req_log(req, toe);
	req_free(req);
}

/* --- The daemon --- */

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
							    va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http: %s", line);
}

static int sockaddr_make(const char *host, int port, struct sockaddr_storage *sa)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (port < 0 || port > 65535) {
		log_error("http: port %d is out of range", port);
		return ERR_INTERNAL;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	log_error("http: \"%s\" is not a numeric IPv4 or IPv6 address", host);
	return ERR_INTERNAL;
}

static struct MHD_Daemon *daemon_start(struct http_server *srv, struct sockaddr_storage *sa)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (sa->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The logger goes first, or MHD prints what comes before it on stderr itself. */
	return MHD_start_daemon(flags, (uint16_t)srv->cfg.port, NULL, NULL, on_access, srv,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
				MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				MHD_OPTION_END);
}

static struct http_server *server_new(const struct http_config *cfg)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));

	srv->cfg = *cfg;
	if (srv->cfg.threads == 0)
		srv->cfg.threads = HTTP_DEFAULT_THREADS;
	if (srv->cfg.max_body == 0)
		srv->cfg.max_body = HTTP_DEFAULT_MAX_BODY;
	if (srv->cfg.max_body_memory == 0)
		srv->cfg.max_body_memory = HTTP_DEFAULT_BODY_MEMORY;
	/* One body of the largest size (and its NUL) always fits. */
	if (srv->cfg.max_body_memory <= srv->cfg.max_body)
		srv->cfg.max_body_memory = srv->cfg.max_body + 1;
	srv->depths = xcalloc(cfg->nroutes + 1, sizeof(*srv->depths));
	for (size_t i = 0; i < cfg->nroutes; i++)
		srv->depths[i] = router_depth(cfg->routes[i].pattern);
	stats_init(srv);
	atomic_init(&srv->inflight, 0);
	atomic_init(&srv->body_mem, 0);
	atomic_init(&srv->stopping, false);
	return srv;
}

/* Frees a server whose daemon is stopped (or never started). */
static void server_free(struct http_server *srv)
{
	if (!srv)
		return;
	suspend_timer_stop(srv);
	timer_heap_cleanup(&srv->deadlines);
	free(srv->depths);
	stats_free(srv);
	free(srv);
}

int http_start(const struct http_config *cfg, struct http_server **out)
{
	struct http_server *srv = server_new(cfg);
	struct sockaddr_storage sa;
	const union MHD_DaemonInfo *info;
	int err;

	*out = NULL;
	err = sockaddr_make(cfg->host, cfg->port, &sa);
	if (err)
		goto out;
	err = suspend_timer_start(srv);
	if (err)
		goto out;
	srv->d = daemon_start(srv, &sa);
	if (!srv->d) {
		log_error("http: cannot listen on %s port %d: %s", cfg->host, cfg->port,
			  strerror(errno));
		err = ERR_INTERNAL;
		goto out;
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : cfg->port;
	*out = srv;
	srv = NULL;
out:
	server_free(srv);
	return err;
}

int http_port(const struct http_server *srv)
{
	return srv->port;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Waits up to ms for the requests in flight (all, or only those not suspended) to end. */
static void drain(struct http_server *srv, int ms, bool all)
{
	int64_t end = clock_ms() + (ms > 0 ? ms : 0);

	for (;;) {
		int busy = all ? atomic_load(&srv->inflight) : suspend_active(srv);

		if (busy <= 0 || clock_ms() >= end)
			return;
		sleep_ms(2);
	}
}

void http_stop(struct http_server *srv, int grace_ms)
{
	if (!srv)
		return;
	/* New requests are answered 503 from here on. The listening socket stays open until
	 * MHD_stop_daemon: MHD_quiesce_daemon races with the epoll worker threads in
	 * libmicrohttpd 0.9.75 (both remove the socket from a worker's epoll set, and the loser
	 * aborts the process), so it is not used. */
	atomic_store(&srv->stopping, true);
	drain(srv, grace_ms, false);
	/* From here nothing suspends again: deferred requests rerun once, streams end. */
	suspend_resume_all(srv);
	drain(srv, HTTP_STOP_DRAIN_MS, true);
	MHD_stop_daemon(srv->d);
	server_free(srv);
}
