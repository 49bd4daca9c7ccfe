/* test_http.c - unit tests for src/http: a real server on 127.0.0.1, port 0, with a small
 * table of test handlers, driven by libcurl from the test (and from helper threads for the
 * requests that wait). Covers routing, params, query decoding, body limits, the error
 * envelope, headers, http_defer (wake, timeout, early wake), streams with WAIT/wake, and
 * http_stop with parked requests and open streams. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <curl/curl.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/base/clock.h"
#include "../../src/base/log.h"
#include "../../src/api/api.h"
#include "../../src/http/http.h"
#include "../../src/json/json.h"
#include "suites.h"

/* --- Client side --- */

struct reply {
	long status;
	struct buf body;
	struct buf hdrs;
	int curl_err;
};

static size_t collect(char *p, size_t size, size_t n, void *cls)
{
	struct buf *b = cls;

	if (buf_append(b, p, size * n) != 0)
		return 0;
	return size * n;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t feed_body(char *out, size_t size, size_t n, void *cls)
{
	struct upload *u = cls;
	size_t k = size * n < u->left ? size * n : u->left;

	/* Small pieces, so the server sees several chunks. */
	if (k > 300)
		k = 300;
	memcpy(out, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

struct call {
	const char *method;
	const char *path; /* with the query */
	const char *body; /* NULL: none */
	size_t len;
	bool chunked;
	const char *header; /* one extra request header, or NULL */
};

static int g_port;

static void call_do(const struct call *c, struct reply *r)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct upload up = { c->body, c->len };
	char url[512];

	buf_init(&r->body, 0);
	buf_init(&r->hdrs, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", g_port, c->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (c->header)
		hl = curl_slist_append(hl, c->header);
	if (c->body && c->chunked) {
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, feed_body);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
	} else if (c->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)c->len);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	r->curl_err = (int)curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
}

static void reply_free(struct reply *r)
{
	buf_cleanup(&r->body);
	buf_cleanup(&r->hdrs);
}

/* Sends c and returns the status, for checks of the status alone. */
static long status_of(const struct call *c)
{
	struct reply r;
	long status;

	call_do(c, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Sends c until it is not 503, for up to 3 s: a request's body memory comes back when the
 * request ends, just after its client has the answer. */
static long status_settled(const struct call *c)
{
	long status = status_of(c);

	for (int i = 0; i < 300 && status == 503; i++) {
		sleep_ms(10);
		status = status_of(c);
	}
	return status;
}

static void get(const char *path, struct reply *r)
{
	struct call c = { "GET", path, NULL, 0, false, NULL };

	call_do(&c, r);
}

/* The value of response header name (case-insensitive) copied into out, or false. */
static bool header_of(const struct reply *r, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *line = r->hdrs.p;

	while (line && *line) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ')
				v++;
			snprintf(out, size, "%.*s", (int)(len - (size_t)(v - line)), v);
			return true;
		}
		line = end ? end + 2 : NULL;
	}
	return false;
}

/* How many response headers are called name. */
static int header_count(const struct reply *r, const char *name)
{
	char line[128];
	int n = 0;

	const char *p;

	snprintf(line, sizeof(line), "\n%s:", name);
	p = r->hdrs.p ? strcasestr(r->hdrs.p, line) : NULL;
	while (p) {
		n++;
		p = strcasestr(p + 1, line);
	}
	return n;
}

static jv *body_json(const struct reply *r)
{
	char why[128];
	jv *v = jv_parse(r->body.p ? r->body.p : "", r->body.len, why, sizeof(why));

	if (!v)
		T_FAIL("body is not JSON (%s): %s", why, r->body.p ? r->body.p : "");
	return v;
}


/* Waits up to 3 s for *v to reach at least n. */
static void await(atomic_int *v, int n)
{
	for (int i = 0; i < 3000 && atomic_load(v) < n; i++)
		sleep_ms(1);
	ASSERT(atomic_load(v) >= n);
}

/* --- Handlers --- */

static int reply_jv(struct http_req *req, int status, jv *o)
{
	char *text = jv_dump(o);

	jv_free(o);
	return http_reply_json(req, status, text);
}

static int h_thing(struct http_req *req)
{
	jv *o = jv_object();
	size_t len;

	http_body(req, &len);
	jv_set_str(o, "thing_id", http_param(req, "thing_id"));
	jv_set_str(o, "part_id", http_param(req, "part_id"));
	jv_set_str(o, "nope", http_param(req, "nope"));
	jv_set_str(o, "method", http_method(req));
	jv_set_str(o, "path", http_path(req));
	jv_set_str(o, "user", http_user(req));
	jv_set_str(o, "request_id", http_request_id(req));
	jv_set_int(o, "body_len", (int64_t)len);
	http_header_add(req, "x-test", "ok");
	return reply_jv(req, 200, o);
}

static int count_key(void *ctx, const char *key)
{
	(*(int *)ctx)++;
	return strcmp(key, "stop") == 0 ? 7 : 0;
}

static int h_query(struct http_req *req)
{
	const char *vals[4];
	size_t n = http_query_all(req, "include[]", vals, 4);
	jv *o = jv_object();
	jv *arr = jv_array();
	int keys = 0;

	for (size_t i = 0; i < n && i < 4; i++)
		jv_push(arr, jv_string(vals[i]));
	jv_set(o, "include", arr);
	jv_set_int(o, "n_include", (int64_t)n);
	jv_set_str(o, "limit", http_query(req, "limit"));
	jv_set_str(o, "Limit", http_query(req, "Limit"));
	jv_set_str(o, "flag", http_query(req, "flag"));
	jv_set_str(o, "missing", http_query(req, "missing"));
	jv_set_int(o, "each_ret", http_query_each(req, count_key, &keys));
	jv_set_int(o, "keys", keys);
	return reply_jv(req, 200, o);
}

static int h_fail(struct http_req *req)
{
	http_header_add(req, "x-test", "failed");
	return http_fail(req, ERR_INVALID, "model", "model %s is required", "really");
}

static int h_fail_plain(struct http_req *req)
{
	/* Detail for another error than the one returned is not used. */
	http_fail(req, ERR_INVALID, "model", "not this one");
	return ERR_NOT_FOUND;
}

static int h_noreply(struct http_req *req)
{
	return 0;
}

static int h_keep(struct http_req *req)
{
	char *s = http_keep(req, xstrdup("kept"));

	http_set_user(req, xstrdup("first"), free);
	http_set_user(req, xstrdup("second"), free);
	return http_reply_bytes(req, 201, "text/plain", xstrdup(s), strlen(s));
}

static atomic_int g_slow_started;

static int h_slow(struct http_req *req)
{
	atomic_fetch_add(&g_slow_started, 1);
	sleep_ms(300);
	return http_reply_json(req, 200, xstrdup("{\"slow\":true}"));
}

/* GET /v1/defer?mode=wake|again|timeout|early|forever|late */
static atomic_int g_parked;
static struct http_waiter *_Atomic g_late;

static void *waker(void *arg)
{
	struct http_waiter *w = arg;

	sleep_ms(50);
	http_waiter_wake(w);
	http_waiter_wake(w); /* a second wake changes nothing */
	http_waiter_unref(w);
	return NULL;
}

/* Wakes at once, racing the server as it parks the request. */
static void *waker_now(void *arg)
{
	http_waiter_wake(arg);
	http_waiter_unref(arg);
	return NULL;
}

static void defer_follow_up(const char *mode, struct http_waiter *w)
{
	pthread_t t;

	if (strcmp(mode, "wake") == 0 || strcmp(mode, "again") == 0) {
		ASSERT(pthread_create(&t, NULL, waker, w) == 0);
		pthread_detach(t);
	} else if (strcmp(mode, "race") == 0) {
		ASSERT(pthread_create(&t, NULL, waker_now, w) == 0);
		pthread_detach(t);
	} else if (strcmp(mode, "early") == 0) {
		http_waiter_wake(w);
		http_waiter_unref(w);
	} else if (strcmp(mode, "late") == 0) {
		atomic_store(&g_late, w);
	} else {
		http_waiter_unref(w);
	}
	atomic_fetch_add(&g_parked, 1);
}

static int h_defer(struct http_req *req)
{
	const char *mode = http_query(req, "mode");
	int want = strcmp(mode, "again") == 0 ? 3 : strcmp(mode, "stubborn") == 0 ? 1000 : 1;
	int timeout = strcmp(mode, "timeout") == 0 ? 100 : 5000;
	struct http_waiter *w;
	jv *o;
	int rc;

	http_header_add(req, "x-run", "handler");
	/* The state slot lives across reruns. */
	if (http_reruns(req) == 0)
		http_set_state(req, xstrdup("held"), free);
	ASSERT_STR_EQ(http_state(req), "held");
	if (http_reruns(req) >= want) {
		o = jv_object();
		jv_set_int(o, "reruns", http_reruns(req));
		return reply_jv(req, 200, o);
	}
	if (strcmp(mode, "forever") == 0 || strcmp(mode, "stubborn") == 0)
		timeout = -1;
	if (strcmp(mode, "zero") == 0)
		timeout = 0;
	rc = http_defer(req, timeout, &w);
	defer_follow_up(mode, w);
	return rc;
}

/* Streams: a feed shared by the pull callback and a producer thread. */
struct feed {
	pthread_mutex_t mu;
	atomic_int refs;
	struct buf q;
	bool done;
	bool fast;
	struct http_stream *h;
};

static atomic_int g_ctx_freed;
static atomic_int g_waits;
static atomic_int g_producers_done;

static void feed_unref(struct feed *f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	buf_cleanup(&f->q);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static enum http_pull feed_pull(void *ctx, struct buf *out)
{
	struct feed *f = ctx;
	enum http_pull r = HTTP_PULL_MORE;

	pthread_mutex_lock(&f->mu);
	if (f->q.len > 0) {
		ASSERT_OK(buf_append(out, f->q.p, f->q.len));
		buf_reset(&f->q);
	} else if (f->done) {
		r = HTTP_PULL_END;
	} else {
		atomic_fetch_add(&g_waits, 1);
		r = HTTP_PULL_WAIT;
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}

static void feed_free(void *ctx)
{
	atomic_fetch_add(&g_ctx_freed, 1);
	feed_unref(ctx);
}

#define SLOW_EVENTS 5
#define FAST_EVENTS 200

/* Feeds events, waking the stream after each: SLOW_EVENTS 30 ms apart, or FAST_EVENTS
 * with no pause, racing the reader as it suspends. */
static void *producer(void *arg)
{
	struct feed *f = arg;
	int n = f->fast ? FAST_EVENTS : SLOW_EVENTS;

	for (int i = 0; i < n; i++) {
		if (!f->fast)
			sleep_ms(30);
		pthread_mutex_lock(&f->mu);
		ASSERT_OK(buf_printf(&f->q, "data: %d\n\n", i));
		f->done = i == n - 1;
		pthread_mutex_unlock(&f->mu);
		http_stream_wake(f->h);
	}
	http_stream_unref(f->h);
	feed_unref(f);
	atomic_fetch_add(&g_producers_done, 1);
	return NULL;
}

#define BIG_EVENT 100000

/* GET /v1/stream?mode=produce|fast|idle|big */
static int h_stream(struct http_req *req)
{
	const char *mode = http_query(req, "mode");
	bool big = strcmp(mode, "big") == 0;
	bool produce = strcmp(mode, "idle") != 0 && !big;
	struct feed *f = xcalloc(1, sizeof(*f));
	pthread_t t;
	int rc;

	pthread_mutex_init(&f->mu, NULL);
	atomic_init(&f->refs, produce ? 2 : 1);
	buf_init(&f->q, 0);
	f->fast = strcmp(mode, "fast") == 0;
	/* One event much larger than MHD's buffer, ready at once. */
	for (int i = 0; big && i < BIG_EVENT; i++)
		ASSERT_OK(buf_putc(&f->q, (char)('a' + i % 26)));
	f->done = big;
	http_header_add(req, "Cache-Control", "no-cache");
	rc = http_reply_stream(req, 200, "text/event-stream", feed_pull, f, feed_free,
			       produce ? &f->h : NULL);
	if (produce) {
		ASSERT(pthread_create(&t, NULL, producer, f) == 0);
		pthread_detach(t);
	}
	return rc;
}

/* POST /v1/sink: the body goes to s_count piece by piece, never buffered. */
static atomic_int g_sunk_calls;

static int s_count(struct http_req *req, const char *data, size_t len)
{
	size_t *n = http_state(req);

	atomic_fetch_add(&g_sunk_calls, 1);
	if (!n) {
		n = xcalloc(1, sizeof(*n));
		http_set_state(req, n, free);
	}
	*n += len;
	return *n > 6000 ? http_fail(req, ERR_TOO_LARGE, NULL, "sink full") : 0;
}

static int h_sunk(struct http_req *req)
{
	size_t *n = http_state(req);
	size_t len;
	jv *o = jv_object();

	http_body(req, &len);
	jv_set_int(o, "sunk", n ? (int64_t)*n : 0);
	jv_set_int(o, "body_len", (int64_t)len);
	return reply_jv(req, 200, o);
}

/* POST /v1/hold: keeps its request (and body) until g_hold is woken. */
static struct http_waiter *_Atomic g_hold;

static int h_hold(struct http_req *req)
{
	struct http_waiter *w;

	if (http_reruns(req) > 0)
		return h_thing(req);
	http_defer(req, 5000, &w);
	atomic_store(&g_hold, w);
	return HTTP_DEFERRED;
}

/* --- A route whose multipart body streams through a sink --- */

static void sink_log_free(void *p)
{
	buf_cleanup(p);
	free(p);
}

/* What the sink saw, as "[name|filename|type]=bytes;" per part (the request's state). */
static struct buf *sink_log(struct http_req *req)
{
	struct buf *b = http_state(req);

	if (!b) {
		b = xcalloc(1, sizeof(*b));
		buf_init(b, 0);
		http_set_state(req, b, sink_log_free);
	}
	return b;
}

static int s_begin(struct http_req *req, const char *name, const char *filename,
		   const char *type)
{
	if (strcmp(name, "bad") == 0)
		return http_fail(req, ERR_INVALID, "bad", "No bad parts.");
	return buf_printf(sink_log(req), "[%s|%s|%s]=", name, filename ? filename : "-",
			  type ? type : "-");
}

static int s_data(struct http_req *req, const char *data, size_t len)
{
	return buf_append(sink_log(req), data, len);
}

static int s_end(struct http_req *req)
{
	return buf_putc(sink_log(req), ';');
}

static const struct http_parts test_parts = { s_begin, s_data, s_end };

static int s_body(struct http_req *req, const char *data, size_t len)
{
	return http_multipart_take(req, &test_parts, data, len);
}

static int h_upload(struct http_req *req)
{
	struct buf *b;
	size_t len;
	int err = http_multipart_end(req, &test_parts);

	if (err)
		return err;
	b = http_state(req);
	http_body(req, &len);
	if (len != 0)
		return http_fail(req, ERR_INTERNAL, NULL, "a streamed body was buffered");
	return http_reply_bytes(req, 200, "text/plain", xstrdup(b && b->p ? b->p : ""),
				b ? b->len : 0);
}

static const struct http_route routes[] = {
	{ "POST", "/v1/sink", h_sunk, s_count },
	{ "POST", "/v1/hold", h_hold, NULL },
	{ "GET", "/v1/things/{thing_id}", h_thing, NULL },
	{ "POST", "/v1/things/{thing_id}/parts/{part_id}", h_thing, NULL },
	{ "POST", "/v1/echo", h_thing, NULL },
	{ "GET", "/v1/query", h_query, NULL },
	{ "GET", "/v1/fail", h_fail, NULL },
	{ "GET", "/v1/fail_plain", h_fail_plain, NULL },
	{ "GET", "/v1/noreply", h_noreply, NULL },
	{ "GET", "/v1/keep", h_keep, NULL },
	{ "GET", "/v1/slow", h_slow, NULL },
	{ "GET", "/v1/defer", h_defer, NULL },
	{ "GET", "/v1/stream", h_stream, NULL },
	{ "DELETE", "/v1/things/{thing_id}/parts/{part_id}", h_thing, NULL },
	{ "POST", "/v1/upload", h_upload, s_body },
};

static int h_before(struct http_req *req)
{
	const char *auth = http_header(req, "authorization");

	http_header_add(req, "x-before", "1");
	if (!auth || strcmp(auth, "Bearer good") != 0) {
		http_fail_code(req, "invalid_api_key");
		return http_fail(req, ERR_AUTH, NULL, "Incorrect API key provided.");
	}
	http_set_user(req, xstrdup("user-1"), free);
	return 0;
}

/* A server with max_body 1024, the given body memory (0: the default) and error renderer. */
static struct http_server *start_with(http_handler *before, size_t body_memory,
				      http_error_body *error_body)
{
	struct http_config cfg = {
		.host = "127.0.0.1",
		.port = 0,
		.threads = 2,
		.max_body = 1024,
		.max_body_memory = body_memory,
		.max_sink_body = 8192,
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.before = before,
		.error_body = error_body,
		.app = (void *)"the app",
	};
	struct http_server *srv = NULL;

	log_set_level(getenv("T_HTTP_LOG") ? LOG_DEBUG : LOG_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ASSERT_OK(http_start(&cfg, &srv));
	g_port = http_port(srv);
	ASSERT(g_port > 0);
	return srv;
}

static struct http_server *start(http_handler *before)
{
	return start_with(before, 0, api_error_body);
}

static void finish(struct http_server *srv)
{
	http_stop(srv, 1000);
	curl_global_cleanup();
}

/* Checks the error envelope: all four keys, param and code as given (NULL: JSON null). */
static void check_envelope(const struct reply *r, const char *message, const char *type,
			   const char *param, const char *code)
{
	jv *v = body_json(r);
	jv *e = jv_get(v, "error");
	char ct[128];

	ASSERT(jv_is_object(e));
	ASSERT_EQ_INT(jv_size(e), 4);
	if (message)
		ASSERT_STR_EQ(jv_get_str(e, "message"), message);
	ASSERT(jv_is_string(jv_get(e, "message")));
	ASSERT_STR_EQ(jv_get_str(e, "type"), type);
	if (param)
		ASSERT_STR_EQ(jv_get_str(e, "param"), param);
	else
		ASSERT(jv_is_null(jv_get(e, "param")));
	if (code)
		ASSERT_STR_EQ(jv_get_str(e, "code"), code);
	else
		ASSERT(jv_is_null(jv_get(e, "code")));
	ASSERT(header_of(r, "content-type", ct, sizeof(ct)));
	ASSERT_STR_EQ(ct, "application/json");
	jv_free(v);
}

static void check_request_id(const struct reply *r)
{
	char id[64];

	ASSERT(header_of(r, "x-request-id", id, sizeof(id)));
	ASSERT_EQ_INT(strlen(id), 4 + 24);
	ASSERT(strncmp(id, "req_", 4) == 0);
	for (size_t i = 4; i < strlen(id); i++)
		ASSERT((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		       (id[i] >= 'A' && id[i] <= 'Z'));
}

/* --- Tests --- */

static void routes_params_and_headers(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	char v[128];
	jv *o;

	get("/v1/things/thing_1", &r);
	ASSERT_EQ_INT(r.status, 200);
	check_request_id(&r);
	ASSERT(header_of(&r, "x-test", v, sizeof(v)));
	ASSERT_STR_EQ(v, "ok");
	ASSERT(header_of(&r, "content-type", v, sizeof(v)));
	ASSERT_STR_EQ(v, "application/json");
	o = body_json(&r);
	ASSERT_STR_EQ(jv_get_str(o, "thing_id"), "thing_1");
	ASSERT(jv_is_null(jv_get(o, "part_id")));
	ASSERT(jv_is_null(jv_get(o, "nope")));
	ASSERT_STR_EQ(jv_get_str(o, "method"), "GET");
	ASSERT_STR_EQ(jv_get_str(o, "path"), "/v1/things/thing_1");
	ASSERT(header_of(&r, "x-request-id", v, sizeof(v)));
	ASSERT_STR_EQ(jv_get_str(o, "request_id"), v);
	jv_free(o);
	reply_free(&r);

	/* Two params, URL-decoded; the query is not part of the path. */
	struct call c = { "POST", "/v1/things/a%20b/parts/p%2Bq?x=1", "{}", 2, false, NULL };
	call_do(&c, &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_STR_EQ(jv_get_str(o, "thing_id"), "a b");
	ASSERT_STR_EQ(jv_get_str(o, "part_id"), "p+q");
	ASSERT_STR_EQ(jv_get_str(o, "path"), "/v1/things/a b/parts/p+q");
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "body_len")), 2);
	jv_free(o);
	reply_free(&r);

	/* Several KiB of request headers fit. */
	char big[6100];
	snprintf(big, sizeof(big), "X-Big: %6000d", 7);
	struct call h = { "GET", "/v1/things/t", NULL, 0, false, big };
	call_do(&h, &r);
	ASSERT_EQ_INT(r.status, 200);
	reply_free(&r);
	finish(srv);
}

static void not_found_and_method(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	char v[128];

	get("/v1/nope", &r);
	ASSERT_EQ_INT(r.status, 404);
	check_envelope(&r, "Invalid URL (GET /v1/nope)", "invalid_request_error", NULL, NULL);
	check_request_id(&r);
	reply_free(&r);

	/* A segment too many, or an empty segment, is not a match. */
	get("/v1/things/a/b", &r);
	ASSERT_EQ_INT(r.status, 404);
	reply_free(&r);
	get("/v1/things/", &r);
	ASSERT_EQ_INT(r.status, 404);
	reply_free(&r);

	struct call c = { "DELETE", "/v1/things/x", NULL, 0, false, NULL };
	call_do(&c, &r);
	ASSERT_EQ_INT(r.status, 405);
	check_envelope(&r, NULL, "invalid_request_error", NULL, NULL);
	ASSERT(header_of(&r, "allow", v, sizeof(v)));
	ASSERT_STR_EQ(v, "GET");
	reply_free(&r);

	struct call p = { "PUT", "/v1/things/x/parts/y", NULL, 0, false, NULL };
	call_do(&p, &r);
	ASSERT_EQ_INT(r.status, 405);
	ASSERT(header_of(&r, "allow", v, sizeof(v)));
	ASSERT_STR_EQ(v, "POST, DELETE");
	reply_free(&r);
	finish(srv);
}

static void query_decoding(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	jv *o;

	get("/v1/query?include%5B%5D=a%5B%2A%5D&limit=5&include[]=b+c&flag&stop=1&after=z", &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "n_include")), 2);
	ASSERT_STR_EQ(jv_str(jv_at(jv_get(o, "include"), 0)), "a[*]");
	ASSERT_STR_EQ(jv_str(jv_at(jv_get(o, "include"), 1)), "b c");
	ASSERT_STR_EQ(jv_get_str(o, "limit"), "5");
	ASSERT(jv_is_null(jv_get(o, "Limit")));
	ASSERT_STR_EQ(jv_get_str(o, "flag"), "");
	ASSERT(jv_is_null(jv_get(o, "missing")));
	/* http_query_each stops at the first non-zero return ("stop", the 5th key). */
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "each_ret")), 7);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "keys")), 5);
	jv_free(o);
	reply_free(&r);
	finish(srv);
}

static void body_limit(void)
{
	struct http_server *srv = start(NULL);
	char big[2000];
	struct reply r;
	jv *o;

	memset(big, 'x', sizeof(big));
	struct call ok = { "POST", "/v1/echo", big, 1024, false, NULL };
	call_do(&ok, &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "body_len")), 1024);
	jv_free(o);
	reply_free(&r);

	/* Over the limit by Content-Length, with and without Expect: 100-continue. */
	struct call cl = { "POST", "/v1/echo", big, sizeof(big), false, "Expect:" };
	call_do(&cl, &r);
	ASSERT_EQ_INT(r.status, 413);
	check_envelope(&r, "The request body is larger than the limit of 1024 bytes.",
		       "invalid_request_error", NULL, NULL);
	check_request_id(&r);
	reply_free(&r);
	struct call ex = { "POST", "/v1/echo", big, sizeof(big), false,
			   "Expect: 100-continue" };
	call_do(&ex, &r);
	ASSERT_EQ_INT(r.status, 413);
	reply_free(&r);

	/* Chunked: found while the body comes in; the answer still comes after it. */
	struct call ch = { "POST", "/v1/echo", big, sizeof(big), true, "Expect:" };
	call_do(&ch, &r);
	ASSERT_EQ_INT(r.status, 413);
	check_envelope(&r, NULL, "invalid_request_error", NULL, NULL);
	reply_free(&r);

	/* Far past the limit the connection is dropped rather than read to the end. */
	char *huge = xmalloc(9 << 20);
	memset(huge, 'x', 9 << 20);
	struct call drop = { "POST", "/v1/echo", huge, 9 << 20, true, "Expect:" };
	call_do(&drop, &r);
	ASSERT(r.status != 200);
	ASSERT(r.curl_err != 0 || r.status == 413);
	reply_free(&r);
	free(huge);

	/* A small chunked body is fine. */
	struct call small = { "POST", "/v1/echo", big, 900, true, "Expect:" };
	call_do(&small, &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "body_len")), 900);
	jv_free(o);
	reply_free(&r);
	finish(srv);
}

/* GETs path and checks a reply that is not JSON. */
static void check_text(const char *path, long status, const char *body, const char *type)
{
	struct reply r;
	char v[64];

	get(path, &r);
	ASSERT_EQ_INT(r.status, status);
	ASSERT_STR_EQ(r.body.p, body);
	ASSERT(header_of(&r, "content-type", v, sizeof(v)));
	ASSERT_STR_EQ(v, type);
	reply_free(&r);
}

static void error_envelope(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	char v[64];

	get("/v1/fail", &r);
	ASSERT_EQ_INT(r.status, 400);
	check_envelope(&r, "model really is required", "invalid_request_error", "model", NULL);
	ASSERT(header_of(&r, "x-test", v, sizeof(v)));
	ASSERT_STR_EQ(v, "failed");
	check_request_id(&r);
	reply_free(&r);

	get("/v1/fail_plain", &r);
	ASSERT_EQ_INT(r.status, 404);
	check_envelope(&r, err_message(ERR_NOT_FOUND), "invalid_request_error", NULL, NULL);
	reply_free(&r);

	/* Returning 0 without a reply is a handler bug: 500. */
	get("/v1/noreply", &r);
	ASSERT_EQ_INT(r.status, 500);
	check_envelope(&r, NULL, "server_error", NULL, NULL);
	reply_free(&r);

	check_text("/v1/keep", 201, "kept", "text/plain");
	finish(srv);
}

static void before_hook(void)
{
	struct http_server *srv = start(h_before);
	struct reply r;
	char v[64];
	jv *o;

	get("/v1/things/x", &r);
	ASSERT_EQ_INT(r.status, 401);
	check_envelope(&r, "Incorrect API key provided.", "invalid_request_error", NULL,
		       "invalid_api_key");
	ASSERT(header_of(&r, "x-before", v, sizeof(v)));
	reply_free(&r);

	struct call c = { "GET", "/v1/things/x", NULL, 0, false, "Authorization: Bearer good" };
	call_do(&c, &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_STR_EQ(jv_get_str(o, "user"), "user-1");
	jv_free(o);
	ASSERT(header_of(&r, "x-before", v, sizeof(v)));
	ASSERT(header_of(&r, "x-test", v, sizeof(v)));
	reply_free(&r);

	/* Routing comes first: no route, no before hook. */
	get("/v1/nope", &r);
	ASSERT_EQ_INT(r.status, 404);
	ASSERT(!header_of(&r, "x-before", v, sizeof(v)));
	reply_free(&r);
	finish(srv);
}

/* A route with a sink gets its body piece by piece, past max_body, only once authenticated. */
static void sink_takes_the_body(void)
{
	struct http_server *srv = start(h_before);
	char *big = xmalloc(7000);
	struct reply r;
	jv *o;

	memset(big, 'x', 7000);
	struct call cl = { "POST", "/v1/sink", big, 5000, false, "Authorization: Bearer good" };
	call_do(&cl, &r);
	ASSERT_EQ_INT(r.status, 200);
	o = body_json(&r);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "sunk")), 5000);
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "body_len")), 0);
	jv_free(o);
	reply_free(&r);
	struct call ch = { "POST", "/v1/sink", big, 5000, true, "Authorization: Bearer good" };
	ASSERT_EQ_INT(status_of(&ch), 200);
	/* The sink's error is the answer, once the body is read. */
	struct call full = { "POST", "/v1/sink", big, 7000, true, "Authorization: Bearer good" };
	call_do(&full, &r);
	ASSERT_EQ_INT(r.status, 413);
	check_envelope(&r, "sink full", "invalid_request_error", NULL, NULL);
	reply_free(&r);
	/* Refused by the before hook: the sink never sees a byte. */
	atomic_store(&g_sunk_calls, 0);
	struct call bad = { "POST", "/v1/sink", big, 5000, false, "Expect:" };
	ASSERT_EQ_INT(status_of(&bad), 401);
	ASSERT_EQ_INT(atomic_load(&g_sunk_calls), 0);
	free(big);
	finish(srv);
}

struct held {
	pthread_t t;
	struct reply r;
};

static void *hold_main(void *arg)
{
	struct held *h = arg;
	char body[1000];

	memset(body, 'h', sizeof(body));
	struct call c = { "POST", "/v1/hold", body, sizeof(body), false, "Expect:" };
	call_do(&c, &h->r);
	return NULL;
}

/* Bodies held at once share max_body_memory: past it, 503 with Retry-After. */
static void body_memory_budget(void)
{
	struct http_server *srv = start_with(NULL, 1500, api_error_body);
	char body[1000];
	struct held h;
	struct reply r;
	char v[16];

	memset(body, 'b', sizeof(body));
	atomic_store(&g_hold, NULL);
	ASSERT(pthread_create(&h.t, NULL, hold_main, &h) == 0);
	for (int i = 0; i < 3000 && !atomic_load(&g_hold); i++)
		sleep_ms(1);
	ASSERT(atomic_load(&g_hold) != NULL);
	/* By Content-Length: refused before the body is read. */
	struct call cl = { "POST", "/v1/echo", body, sizeof(body), false, "Expect:" };
	call_do(&cl, &r);
	ASSERT_EQ_INT(r.status, 503);
	check_envelope(&r, NULL, "server_error", NULL, NULL);
	ASSERT(header_of(&r, "retry-after", v, sizeof(v)));
	ASSERT_STR_EQ(v, "1");
	reply_free(&r);
	/* Chunked: found as the body grows, answered after it. */
	struct call ch = { "POST", "/v1/echo", body, sizeof(body), true, "Expect:" };
	ASSERT_EQ_INT(status_of(&ch), 503);
	/* A small body still fits beside the held one. */
	struct call small = { "POST", "/v1/echo", body, 100, false, "Expect:" };
	ASSERT_EQ_INT(status_of(&small), 200);
	http_waiter_wake(g_hold);
	http_waiter_unref(g_hold);
	pthread_join(h.t, NULL);
	ASSERT_EQ_INT(h.r.status, 200);
	reply_free(&h.r);
	/* The held body's memory came back. */
	ASSERT_EQ_INT(status_settled(&cl), 200);
	ASSERT_EQ_INT(status_settled(&ch), 200);
	finish(srv);
}

/* With no error_body hook, errors are their message as text/plain. */
static void errors_without_hook(void)
{
	struct http_server *srv = start_with(NULL, 0, NULL);

	check_text("/v1/fail", 400, "model really is required", "text/plain; charset=utf-8");
	finish(srv);
}

static int reruns_of(const struct reply *r)
{
	jv *o = body_json(r);
	int n = (int)jv_int_value(jv_get(o, "reruns"));

	jv_free(o);
	return n;
}

static void defer_wake_and_timeout(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	char v[64];
	int64_t t0;

	get("/v1/defer?mode=wake", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(reruns_of(&r), 1);
	check_request_id(&r);
	/* Headers from earlier runs are not repeated. */
	ASSERT(header_of(&r, "x-run", v, sizeof(v)));
	ASSERT_STR_EQ(v, "handler");
	ASSERT_EQ_INT(header_count(&r, "x-run"), 1);
	ASSERT_EQ_INT(header_count(&r, "x-request-id"), 1);
	reply_free(&r);

	get("/v1/defer?mode=again", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(reruns_of(&r), 3);
	ASSERT_EQ_INT(header_count(&r, "x-run"), 1);
	reply_free(&r);

	/* A timeout of 0 comes back at once, through the timer. */
	get("/v1/defer?mode=zero", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(reruns_of(&r), 1);
	reply_free(&r);

	t0 = clock_ms();
	get("/v1/defer?mode=timeout", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(reruns_of(&r), 1);
	ASSERT(clock_ms() - t0 >= 95);
	reply_free(&r);

	/* Woken before the handler even returned: rerun at once, not lost. */
	t0 = clock_ms();
	get("/v1/defer?mode=early", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(reruns_of(&r), 1);
	ASSERT(clock_ms() - t0 < 2000);
	reply_free(&r);
	finish(srv);
}

struct bg {
	pthread_t t;
	const char *path;
	struct reply r;
};

static void *bg_main(void *arg)
{
	struct bg *b = arg;

	get(b->path, &b->r);
	return NULL;
}

static void bg_start(struct bg *b, const char *path)
{
	b->path = path;
	ASSERT(pthread_create(&b->t, NULL, bg_main, b) == 0);
}

/* A client that comes 100 ms later. */
static void *bg_late_main(void *arg)
{
	sleep_ms(100);
	return bg_main(arg);
}

static void defer_late_wake(void)
{
	struct http_server *srv = start(NULL);
	struct http_waiter *w;
	struct bg b;

	bg_start(&b, "/v1/defer?mode=late");
	await(&g_parked, 1);
	sleep_ms(50);
	w = atomic_load(&g_late);
	http_waiter_wake(w);
	pthread_join(b.t, NULL);
	ASSERT_EQ_INT(b.r.status, 200);
	ASSERT_EQ_INT(reruns_of(&b.r), 1);
	reply_free(&b.r);
	/* After the request ended, and after the server is gone: no effect, no crash. */
	http_waiter_wake(w);
	finish(srv);
	http_waiter_wake(w);
	http_waiter_unref(w);
}

static void stream_chunks(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	char v[64];

	get("/v1/stream?mode=produce", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(r.curl_err, 0);
	ASSERT_STR_EQ(r.body.p, "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
	ASSERT(header_of(&r, "content-type", v, sizeof(v)));
	ASSERT_STR_EQ(v, "text/event-stream");
	ASSERT(header_of(&r, "transfer-encoding", v, sizeof(v)));
	ASSERT_STR_EQ(v, "chunked");
	ASSERT(header_of(&r, "cache-control", v, sizeof(v)));
	check_request_id(&r);
	reply_free(&r);
	/* It waited in between, and the context went exactly once. */
	ASSERT(atomic_load(&g_waits) >= 2);
	await(&g_producers_done, 1);
	await(&g_ctx_freed, 1);
	finish(srv);
	ASSERT_EQ_INT(atomic_load(&g_ctx_freed), 1);
}

static void stream_big_event(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;

	get("/v1/stream?mode=big", &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(r.body.len, BIG_EVENT);
	for (size_t i = 0; i < r.body.len; i++)
		ASSERT(r.body.p[i] == (char)('a' + i % 26));
	reply_free(&r);
	await(&g_ctx_freed, 1);
	finish(srv);
}

static size_t abort_write(char *p, size_t size, size_t n, void *cls)
{
	return 0;
}

/* The client goes away in the middle of a stream: the context still goes exactly once. */
static void stream_client_gone(void)
{
	struct http_server *srv = start(NULL);
	CURL *h = curl_easy_init();
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/stream?mode=produce", g_port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, abort_write);
	ASSERT_EQ_INT(curl_easy_perform(h), CURLE_WRITE_ERROR);
	curl_easy_cleanup(h);
	await(&g_producers_done, 1);
	await(&g_ctx_freed, 1);
	finish(srv);
	ASSERT_EQ_INT(atomic_load(&g_ctx_freed), 1);
}

/* Many waits at once, each woken while the server parks it: none may be lost (a lost wake
 * would cost the 5 s timeout, or hang a stream for good). */
#define RACE_CLIENTS 8
#define RACE_ROUNDS 15

static void *race_client(void *arg)
{
	struct buf want;
	struct reply r;

	buf_init(&want, 0);
	for (int i = 0; i < FAST_EVENTS; i++)
		ASSERT_OK(buf_printf(&want, "data: %d\n\n", i));
	for (int i = 0; i < RACE_ROUNDS; i++) {
		int64_t t0 = clock_ms();

		get("/v1/defer?mode=race", &r);
		ASSERT_EQ_INT(r.status, 200);
		ASSERT_EQ_INT(reruns_of(&r), 1);
		ASSERT(clock_ms() - t0 < 4500);
		reply_free(&r);
		get("/v1/stream?mode=fast", &r);
		ASSERT_EQ_INT(r.status, 200);
		ASSERT_STR_EQ(r.body.p, want.p);
		reply_free(&r);
	}
	buf_cleanup(&want);
	return NULL;
}

static void wake_races(void)
{
	struct http_server *srv = start(NULL);
	pthread_t t[RACE_CLIENTS];

	for (int i = 0; i < RACE_CLIENTS; i++)
		ASSERT(pthread_create(&t[i], NULL, race_client, NULL) == 0);
	for (int i = 0; i < RACE_CLIENTS; i++)
		pthread_join(t[i], NULL);
	await(&g_producers_done, RACE_CLIENTS * RACE_ROUNDS);
	await(&g_ctx_freed, RACE_CLIENTS * RACE_ROUNDS);
	finish(srv);
}

static void stop_with_waiting_requests(void)
{
	struct http_server *srv = start(NULL);
	struct bg stream;
	struct bg parked;
	struct bg slow;
	struct bg stubborn;
	struct bg late;
	int64_t t0;
	jv *o;

	bg_start(&stream, "/v1/stream?mode=idle");
	bg_start(&parked, "/v1/defer?mode=forever");
	bg_start(&stubborn, "/v1/defer?mode=stubborn");
	await(&g_waits, 1);
	await(&g_parked, 2);
	bg_start(&slow, "/v1/slow");
	await(&g_slow_started, 1);
	late.path = "/v1/things/x";
	ASSERT(pthread_create(&late.t, NULL, bg_late_main, &late) == 0);
	t0 = clock_ms();
	http_stop(srv, 2000);
	ASSERT(clock_ms() - t0 < 1500);
	pthread_join(stream.t, NULL);
	pthread_join(parked.t, NULL);
	pthread_join(slow.t, NULL);
	pthread_join(stubborn.t, NULL);
	pthread_join(late.t, NULL);
	/* Stopping turns new requests away (503, or refused once the daemon is gone) while the
	 * requests in flight finish. */
	ASSERT(late.r.curl_err != 0 || late.r.status == 503);
	reply_free(&late.r);

	/* The request in flight finished within the grace period. */
	ASSERT_EQ_INT(slow.r.status, 200);
	o = body_json(&slow.r);
	ASSERT(jv_true(jv_get(o, "slow")));
	jv_free(o);
	/* The parked request ran once more and answered; the stream ended cleanly. */
	ASSERT_EQ_INT(parked.r.status, 200);
	ASSERT_EQ_INT(reruns_of(&parked.r), 1);
	ASSERT_EQ_INT(stream.r.status, 200);
	ASSERT_EQ_INT(stream.r.curl_err, 0);
	ASSERT_EQ_INT(stream.r.body.len, 0);
	ASSERT_EQ_INT(atomic_load(&g_ctx_freed), 1);
	/* One that wants to wait again is told the server is going away. */
	ASSERT_EQ_INT(stubborn.r.status, 503);
	check_envelope(&stubborn.r, NULL, "server_error", NULL, NULL);
	reply_free(&stubborn.r);
	reply_free(&stream.r);
	reply_free(&parked.r);
	reply_free(&slow.r);
	curl_global_cleanup();
}

static void start_errors(void)
{
	struct http_config cfg = { .host = "localhost", .routes = routes, .nroutes = 1 };
	struct http_server *srv = (void *)1;
	struct http_server *a = NULL;

	/* Quiet: the failures below are expected. */
	log_set_level((enum log_level)(LOG_ERROR + 1));
	ASSERT_EQ_INT(http_start(&cfg, &srv), ERR_INTERNAL);
	ASSERT(srv == NULL);
	/* A port in use. */
	cfg.host = "127.0.0.1";
	ASSERT_OK(http_start(&cfg, &a));
	cfg.port = http_port(a);
	ASSERT_EQ_INT(http_start(&cfg, &srv), ERR_INTERNAL);
	http_stop(a, 0);
	http_stop(NULL, 0);
	/* IPv6, where the machine has it. */
	cfg.host = "::1";
	cfg.port = 0;
	if (http_start(&cfg, &a) == 0) {
		ASSERT(http_port(a) > 0);
		http_stop(a, 0);
	}
}

#define MP_TYPE "Content-Type: multipart/form-data; boundary=XyZ"

/* A multipart body: a purpose field, then a file part of n bytes of 'x' (owned). */
static char *mp_body(size_t n, const char *field, size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	ASSERT_OK(buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
			     "assistants\r\n--XyZ\r\nContent-Disposition: form-data; "
			     "name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain"
			     "\r\n\r\n", field));
	for (size_t i = 0; i < n; i++)
		ASSERT_OK(buf_putc(&b, 'x'));
	ASSERT_OK(buf_puts(&b, "\r\n--XyZ--\r\n"));
	*len = b.len;
	return buf_release(&b);
}

static void post_upload(const char *body, size_t len, bool chunked, const char *header,
			struct reply *r)
{
	struct call c = { "POST", "/v1/upload", body, len, chunked, header };

	call_do(&c, r);
}

static void upload_streams_parts(void)
{
	struct http_server *srv = start(NULL);
	struct reply r;
	size_t len;
	char *body = mp_body(5, "purpose", &len);

	for (int chunked = 0; chunked < 2; chunked++) {
		post_upload(body, len, chunked, MP_TYPE, &r);
		ASSERT_EQ_INT(r.status, 200);
		ASSERT_STR_EQ(r.body.p, "[purpose|-|-]=assistants;[file|a.txt|text/plain]=xxxxx;");
		reply_free(&r);
	}
	free(body);
	/* Over max_body (1024): never buffered, so accepted. */
	body = mp_body(3000, "purpose", &len);
	post_upload(body, len, false, MP_TYPE, &r);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(r.body.len, strlen("[purpose|-|-]=assistants;[file|a.txt|text/plain]=;") +
				  3000);
	reply_free(&r);
	free(body);
	finish(srv);
}

/* Posts to the upload route and checks the error reply: status, message (NULL: any), param. */
static void upload_fails(const char *body, size_t len, bool chunked, const char *header,
			 long status, const char *message, const char *param)
{
	struct reply r;

	post_upload(body, len, chunked, header, &r);
	ASSERT_EQ_INT(r.status, status);
	check_envelope(&r, message, "invalid_request_error", param, NULL);
	reply_free(&r);
}

static void upload_errors(void)
{
	struct http_server *srv = start(NULL);
	size_t len;
	char *big = mp_body(9000, "purpose", &len);
	size_t bad_len;
	char *bad = mp_body(5, "bad", &bad_len);
	size_t ok_len;
	char *ok = mp_body(5, "purpose", &ok_len);

	/* Past max_sink_body: announced, or found while a chunked body comes in. */
	upload_fails(big, len, false, MP_TYPE, 413,
		     "The request body is larger than the limit of 8192 bytes.", NULL);
	upload_fails(big, len, true, MP_TYPE, 413,
		     "The request body is larger than the limit of 8192 bytes.", NULL);
	upload_fails(bad, bad_len, false, MP_TYPE, 400, "No bad parts.", "bad");
	upload_fails(ok, ok_len - 12, false, MP_TYPE, 400,
		     "The multipart/form-data body is malformed or cut short; send it again.",
		     NULL);
	upload_fails("{}", 2, false, "Content-Type: application/json", 400,
		     "This endpoint takes a multipart/form-data body, but the request's "
		     "Content-Type is 'application/json'.", NULL);
	free(big);
	free(bad);
	free(ok);
	finish(srv);
}

const struct t_case http_tests[] = {
	T_CASE(upload_streams_parts),
	T_CASE(upload_errors),
	T_CASE(routes_params_and_headers),
	T_CASE(not_found_and_method),
	T_CASE(query_decoding),
	T_CASE(body_limit),
	T_CASE(error_envelope),
	T_CASE(before_hook),
	T_CASE(sink_takes_the_body),
	T_CASE(body_memory_budget),
	T_CASE(errors_without_hook),
	T_CASE(defer_wake_and_timeout),
	T_CASE(defer_late_wake),
	T_CASE(stream_chunks),
	T_CASE(stream_big_event),
	T_CASE(stream_client_gone),
	T_CASE(wake_races),
	T_CASE(stop_with_waiting_requests),
	T_CASE(start_errors),
	{ NULL, NULL },
};
