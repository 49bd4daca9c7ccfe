/* httpc.c - the libcurl multi client of httpc.h.
 *
 * It uses libcurl's "multi_socket" interface on the caller's event loop (base/loop.h):
 * curl tells on_socket which of its sockets to watch for what, and on_timer when it next
 * needs to run; each socket is a loop watcher and curl's deadline a loop timer, and curl is
 * handed only the socket that is ready, or CURL_SOCKET_TIMEOUT once its timer is due. So a
 * pass costs the ready transfers, not all of them: curl_multi_perform visits every
 * transfer on every call.
 *
 * Requests are queued by httpc_post or httpc_get and cancelled by httpc_cancel without touching the
 * multi handle, because both may be called from inside a curl callback (a body handler
 * that ends up starting or cancelling another call), where libcurl forbids adding or
 * removing handles. Those queues are settled after every pass of curl, and by a timer
 * (`kick`) that httpc_post and httpc_cancel start. Nothing here parses bodies or decides
 * about retries. */
#include "httpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"

/* Connections libcurl may hold, in use or idle (7.88 counts both). When a transfer ends
 * with more than this open, the oldest idle one is closed, so at most this many stay open
 * after a burst: by default libcurl kept about one per stream of the burst, for good. The
 * price: past this many concurrent calls, a new call may open a new connection (and, with
 * https, do a new TLS handshake) instead of reusing one. */
#define HTTPC_MAX_CONNECTS 64L

/* One of curl's sockets, watched by the loop; curl_multi_assign links it to its fd. */
struct httpc_sock {
	struct httpc *h;            /* borrowed owner */
	struct loop_io io;
	struct httpc_sock *prev, *next;
};

struct httpc {
	CURLM *multi;
	struct loop *loop;          /* borrowed */
	struct timer timer;         /* curl's deadline (CURLMOPT_TIMERFUNCTION) */
	struct timer kick;          /* settles the queues in the next iteration */
	struct httpc_sock *socks;   /* every socket watched, doubly linked */
	struct httpc_config cfg;
	struct httpc_req *all;      /* every request not yet freed, doubly linked */
	struct httpc_req *pending;  /* queued by httpc_post, in order (pnext) */
	struct httpc_req **pend_end;
	struct httpc_req *reap;     /* cancelled, to be removed and freed (rnext) */
	size_t count;               /* requests neither done nor cancelled */
};

struct httpc_req {
	struct httpc *h;            /* borrowed owner */
	CURL *easy;                 /* owned */
	struct curl_slist *headers; /* owned */
	struct httpc_handlers hd;
	void *ctx;                  /* borrowed */
	struct httpc_req *prev, *next, *pnext, *rnext;
	bool added;                 /* in the multi handle */
	bool cancelled;
	bool aborted;               /* the body handler returned false */
	bool idle;                  /* stopped by the idle timeout */
	bool get;                   /* nothing to send: the idle clock runs from the start */
	int64_t last_rx;            /* clock_ms() of the last byte received, or of the start */
	curl_off_t rx;              /* body bytes received by then */
	int64_t ra_ms;              /* retry-after-ms header, -1 when absent */
	int64_t ra_s;               /* Retry-After header in ms, -1 when absent */
	bool head;                  /* status and ctype are those of the response being read */
	int status;                 /* its HTTP status */
	const char *ctype;          /* its Content-Type, borrowed from curl; NULL when absent */
	char errbuf[CURL_ERROR_SIZE];
	char oserr[128];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- The event loop: curl's sockets and timer. --- */

static void settle(struct httpc *h);
static void drain(struct httpc *h);

/* Sets the timer from curl_multi_timeout, for when on_timer may not have said. */
static void ask_timer(struct httpc *h)
{
	long ms = -1;

	if (curl_multi_timeout(h->multi, &ms) == CURLM_OK && ms >= 0)
		loop_timer_start(h->loop, &h->timer, ms);
}

/* Hands curl a ready socket (or CURL_SOCKET_TIMEOUT), then reports what finished and
 * applies what the handlers queued. */
static void socket_action(struct httpc *h, curl_socket_t fd, int bits)
{
	int running = 0;
	CURLMcode mc = curl_multi_socket_action(h->multi, fd, bits, &running);

	if (mc != CURLM_OK)
		log_warn("httpc: curl_multi_socket_action: %s", curl_multi_strerror(mc));
	drain(h);
	settle(h);
	/* Every transfer keeps a timer in curl (the speed check, at least): should none be
	 * known here, a lost deadline must not leave the transfers waiting for good. */
	if (!timer_active(&h->timer) && h->count > 0)
		ask_timer(h);
}

/* What a ready socket means to curl. Errors and hang-ups count as readable and writable,
 * as curl's own poll loop has it, so that the read or write that follows says what broke. */
static void on_ready(void *arg, int fd, int ready)
{
	struct httpc_sock *s = arg;
	int bits = 0;

	if (ready & (LOOP_READ | LOOP_ERROR))
		bits |= CURL_CSELECT_IN;
	if (ready & (LOOP_WRITE | LOOP_ERROR))
		bits |= CURL_CSELECT_OUT;
	socket_action(s->h, fd, bits);
}

static void sock_free(struct httpc_sock *s)
{
	struct httpc *h = s->h;

	loop_io_stop(h->loop, &s->io);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

/* The watcher of a socket curl has not shown us before (owned by h). */
static struct httpc_sock *sock_new(struct httpc *h, curl_socket_t fd)
{
	struct httpc_sock *s = xcalloc(1, sizeof(*s));

	s->h = h;
	loop_io_init(&s->io, fd, on_ready, s);
	s->next = h->socks;
	if (h->socks)
		h->socks->prev = s;
	h->socks = s;
	curl_multi_assign(h->multi, fd, s);
	return s;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl asks. sockp is the socket's watcher, or
 * NULL the first time curl names it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp)
{
	struct httpc *h = ud;
	struct httpc_sock *s = sockp;

	if (what == CURL_POLL_REMOVE) {
		/* curl is about to close it, or needs it no more: either way stop watching. */
		if (s)
			sock_free(s);
		return 0;
	}
	if (!s)
		s = sock_new(h, fd);
	if (loop_io_set(h->loop, &s->io, (what & CURL_POLL_IN ? LOOP_READ : 0) |
						 (what & CURL_POLL_OUT ? LOOP_WRITE : 0)))
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl next wants CURL_SOCKET_TIMEOUT; -1 cancels it. curl
 * must not be called back from here, so even 0 waits for the loop's next iteration. */
static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
	struct httpc *h = ud;

	if (timeout_ms < 0)
		loop_timer_stop(h->loop, &h->timer);
	else
		loop_timer_start(h->loop, &h->timer, timeout_ms);
	return 0;
}

/* curl's timer is due: let it run what it was waiting for. */
static void run_timer(void *arg)
{
	struct httpc *h = arg;

	socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	/* curl calls on_timer only when its next deadline changes. If this came a little
	 * early by curl's own clock, nothing ran and nothing changed: ask it again. */
	if (!timer_active(&h->timer))
		ask_timer(h);
}

/* The kick timer: start what httpc_post queued, free what httpc_cancel stopped. */
static void run_kick(void *arg)
{
	struct httpc *h = arg;

	settle(h);
	if (!timer_active(&h->timer) && h->count > 0)
		ask_timer(h);
}

/* --- The client. --- */

static int set_multi(struct httpc *h)
{
	h->multi = curl_multi_init();
	if (!h->multi) {
		log_error("httpc: curl_multi_init failed");
		return ERR_INTERNAL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, HTTPC_MAX_CONNECTS);
	return 0;
}

int httpc_new(const struct httpc_config *cfg, struct loop *l, struct httpc **out)
{
	struct httpc *h;
	int err;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		log_error("httpc: curl_global_init: %s", curl_easy_strerror(global_rc));
		return ERR_INTERNAL;
	}
	h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	h->loop = l;
	h->pend_end = &h->pending;
	timer_init(&h->timer, run_timer, h);
	timer_init(&h->kick, run_kick, h);
	err = set_multi(h);
	if (err) {
		httpc_free(h);
		return err;
	}
	*out = h;
	return 0;
}

/* Unlinks r from everything and frees it; the caller has already taken it off the
 * pending and reap queues. */
static void req_destroy(struct httpc_req *r)
{
	struct httpc *h = r->h;

	if (r->added)
		curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	if (r->prev)
		r->prev->next = r->next;
	else
		h->all = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

void httpc_free(struct httpc *h)
{
	if (!h)
		return;
	while (h->all)
		req_destroy(h->all);
	/* Closing cached connections calls on_socket, which needs the loop still. */
	if (h->multi)
		curl_multi_cleanup(h->multi);
	while (h->socks)
		sock_free(h->socks);
	loop_timer_stop(h->loop, &h->timer);
	loop_timer_stop(h->loop, &h->kick);
	free(h);
}

/* --- Response handling, inside curl_multi_socket_action. --- */

/* Looks up the status and Content-Type once per response rather than once per piece. */
static void read_head(struct httpc_req *r)
{
	long status = 0;
	char *ctype = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ctype);
	r->status = (int)status;
	r->ctype = ctype;
	r->head = true;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct httpc_req *r = ud;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	if (!r->head)
		read_head(r);
	if (!r->hd.body(r->ctx, r->status, r->ctype, p, len)) {
		r->aborted = true;
		return 0;
	}
	/* The handler may have cancelled this very transfer. */
	return r->cancelled ? 0 : len;
}

/* Parses a Retry-After value: delay-seconds or an HTTP date. Returns ms or -1. */
static int64_t retry_after_value(const char *v)
{
	char *end;
	long long secs = strtoll(v, &end, 10);
	time_t when;

	if (end != v && *end == '\0')
		return secs < 0 ? 0 : secs * 1000;
	when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	when -= time(NULL);
	return when < 0 ? 0 : (int64_t)when * 1000;
}

static int64_t retry_after_ms_value(const char *v)
{
	char *end;
	double ms = strtod(v, &end);

	if (end == v || *end != '\0' || !(ms >= 0) || ms > 1e9)
		return -1;
	return (int64_t)ms;
}

/* Copies the trimmed value of header line p if its name is name, else returns false. */
static bool header_value(const char *p, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	size_t i;
	size_t end = len;

	if (len <= nlen || p[nlen] != ':' || strncasecmp(p, name, nlen) != 0)
		return false;
	for (i = nlen + 1; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	while (end > i && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' '))
		end--;
	if (end - i >= outlen)
		return false;
	memcpy(out, p + i, end - i);
	out[end - i] = '\0';
	return true;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct httpc_req *r = ud;
	size_t len = size * n;
	char v[96];

	r->last_rx = clock_ms();

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a 1xx): forget the headers of the previous one. */
		r->ra_ms = -1;
		r->ra_s = -1;
		r->head = false;
	} else if (header_value(p, len, "retry-after-ms", v, sizeof(v))) {
		r->ra_ms = retry_after_ms_value(v);
	} else if (header_value(p, len, "retry-after", v, sizeof(v))) {
		r->ra_s = retry_after_value(v);
	}
	return len;
}

/* libcurl calls this at least once a second (the low-speed check below makes sure it
 * wakes up). It implements the idle timeout exactly: libcurl's own low-speed check
 * averages over several seconds, so a request that uploaded its body looks busy for a
 * while after the upstream has gone quiet. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct httpc_req *r = ud;
	int64_t now = clock_ms();

	if (r->cancelled)
		return 1;
	/* The clock starts with the first byte sent: connecting has its own timeout. A GET sends
	 * no body, so its clock runs from the start. */
	if (dlnow != r->rx || (ulnow == 0 && !r->get)) {
		r->rx = dlnow;
		r->last_rx = now;
	}
	if (now - r->last_rx < r->h->cfg.idle_timeout_ms)
		return 0;
	r->idle = true;
	return 1;
}

/* --- Starting and cancelling. --- */

static void set_options(struct httpc_req *r, const char *url, const char *body, size_t len)
{
	CURL *e = r->easy;
	long idle_s = (r->h->cfg.idle_timeout_ms + 999) / 1000;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)r->h->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
	/* libcurl's low-speed check is a backstop for on_progress, and its 1 s timer is what
	 * keeps on_progress running while a connection is silent. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, idle_s > 0 ? idle_s : 1L);
}

/* Queues a GET (body NULL) or a POST of body. */
static struct httpc_req *queue(struct httpc *h, const char *url, const char *const *headers,
			       const char *body, size_t len, const struct httpc_handlers *hd,
			       void *ctx)
{
	struct httpc_req *r = xcalloc(1, sizeof(*r));

	r->h = h;
	r->hd = *hd;
	r->ctx = ctx;
	r->ra_ms = -1;
	r->ra_s = -1;
	r->get = !body;
	r->easy = curl_easy_init();
	if (!r->easy)
		abort();
	/* An empty "Expect:" stops curl from waiting for 100-continue on large bodies. */
	r->headers = curl_slist_append(NULL, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		r->headers = curl_slist_append(r->headers, headers[i]);
	if (!r->headers)
		abort();
	set_options(r, url, body, len);
	r->next = h->all;
	if (h->all)
		h->all->prev = r;
	h->all = r;
	*h->pend_end = r;
	h->pend_end = &r->pnext;
	h->count++;
	loop_timer_start(h->loop, &h->kick, 0);
	return r;
}

struct httpc_req *httpc_post(struct httpc *h, const char *url, const char *const *headers,
			     const char *body, size_t len, const struct httpc_handlers *hd,
			     void *ctx)
{
	return queue(h, url, headers, body ? body : "", len, hd, ctx);
}

struct httpc_req *httpc_get(struct httpc *h, const char *url, const char *const *headers,
			    const struct httpc_handlers *hd, void *ctx)
{
	return queue(h, url, headers, NULL, 0, hd, ctx);
}

void httpc_cancel(struct httpc_req *r)
{
	if (r->cancelled)
		return;
	r->cancelled = true;
	r->rnext = r->h->reap;
	r->h->reap = r;
	r->h->count--;
	loop_timer_start(r->h->loop, &r->h->kick, 0);
}

/* Adds queued requests to the multi handle and frees cancelled ones. */
static void settle(struct httpc *h)
{
	while (h->pending) {
		struct httpc_req *r = h->pending;
		CURLMcode mc;

		h->pending = r->pnext;
		if (r->cancelled)
			continue;
		mc = curl_multi_add_handle(h->multi, r->easy);
		if (mc != CURLM_OK) {
			log_error("httpc: curl_multi_add_handle: %s", curl_multi_strerror(mc));
			abort();
		}
		r->added = true;
		r->last_rx = clock_ms();
	}
	h->pend_end = &h->pending;
	while (h->reap) {
		struct httpc_req *r = h->reap;

		h->reap = r->rnext;
		req_destroy(r);
	}
}

static enum httpc_fail classify(const struct httpc_req *r, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return HTTPC_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTPC_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPC_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return r->idle ? HTTPC_TIMEOUT : HTTPC_TRANSPORT;
	default:
		return r->aborted ? HTTPC_ABORTED : HTTPC_TRANSPORT;
	}
}

/* A transfer finished: reports it and frees the request. */
static void finish(struct httpc_req *r, CURLcode rc)
{
	struct httpc_result res = { .retry_after_ms = r->ra_ms >= 0 ? r->ra_ms : r->ra_s };
	long status = 0;
	long oserr = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
	res.fail = classify(r, rc);
	res.status = (int)status;
	res.error = "";
	res.detail = r->errbuf;
	if (res.fail != HTTPC_OK)
		res.error = curl_easy_strerror(rc);
	if (r->idle) {
		snprintf(r->errbuf, sizeof(r->errbuf), "no data for %d ms",
			 r->h->cfg.idle_timeout_ms);
		res.error = r->errbuf;
	}
	if (oserr)
		res.os_error = strerror_r((int)oserr, r->oserr, sizeof(r->oserr));
	curl_multi_remove_handle(r->h->multi, r->easy);
	r->added = false;
	r->h->count--;
	r->hd.done(r->ctx, &res);
	req_destroy(r);
}

static void drain(struct httpc *h)
{
	CURLMsg *msg;
	int left;

	for (;;) {
		struct httpc_req *r;
		void *priv = NULL;

		msg = curl_multi_info_read(h->multi, &left);
		if (!msg)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = priv;
		/* A cancelled transfer is freed by settle, with no word to its owner. */
		if (!r->cancelled)
			finish(r, msg->data.result);
	}
}

size_t httpc_count(const struct httpc *h)
{
	return h->count;
}
