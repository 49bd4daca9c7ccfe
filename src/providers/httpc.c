/* httpc.c - the libcurl multi client of httpc.h.
 *
 * The loop is libcurl's "multi_socket" one: curl tells on_socket which of its sockets to
 * watch for what, and on_timer when it next needs to run; httpc_poll waits on an epoll set
 * of those sockets (plus an eventfd for httpc_wakeup) and hands curl only the sockets that
 * are ready, or CURL_SOCKET_TIMEOUT once its timer is due. So a pass costs the ready
 * transfers, not all of them: curl_multi_perform visits every transfer on every call.
 *
 * Requests are queued by httpc_post and cancelled by httpc_cancel without touching the
 * multi handle, because both may be called from inside a curl callback (a body handler
 * that ends up starting or cancelling another call), where libcurl forbids adding or
 * removing handles. httpc_poll settles those queues at its start and end. Nothing here
 * parses bodies or decides about retries. */
#include "httpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"

/* Connections libcurl may hold, in use or idle (7.88 counts both). When a transfer ends
 * with more than this open, the oldest idle one is closed, so at most this many stay open
 * after a burst: by default libcurl kept about one per stream of the burst, for good. The
 * price: past this many concurrent calls, a new call may open a new connection (and, with
 * https, do a new TLS handshake) instead of reusing one. */
#define HTTPC_MAX_CONNECTS 64L
#define HTTPC_EVENTS 256 /* ready sockets taken per epoll_wait */

struct httpc {
	CURLM *multi;
	int epfd;                   /* owned epoll set: curl's sockets and wakefd */
	int wakefd;                 /* owned eventfd that httpc_wakeup writes to */
	int64_t timer_us;           /* clock_us() when curl's timer is due; -1 when unset */
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

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl asks. The socket's curl_multi_assign
 * pointer is non-NULL once it is in the epoll set. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp)
{
	struct httpc *h = ud;
	struct epoll_event ev = { .data.fd = fd };
	int op = sockp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (what == CURL_POLL_REMOVE) {
		/* curl is about to close it, or needs it no more: either way stop watching. */
		if (sockp)
			(void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(h->epfd, op, fd, &ev) != 0) {
		/* A closed fd leaves the set by itself, and its number may come back. */
		op = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if (epoll_ctl(h->epfd, op, fd, &ev) != 0) {
			log_error("httpc: epoll_ctl(%d): %s", fd, strerror(errno));
			return -1;
		}
	}
	if (!sockp)
		curl_multi_assign(h->multi, fd, h);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl next wants CURL_SOCKET_TIMEOUT; -1 cancels it. */
static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
	struct httpc *h = ud;

	h->timer_us = timeout_ms < 0 ? -1 : clock_us() + (int64_t)timeout_ms * 1000;
	return 0;
}

static void socket_action(struct httpc *h, curl_socket_t fd, int bits)
{
	int running = 0;
	CURLMcode mc = curl_multi_socket_action(h->multi, fd, bits, &running);

	if (mc != CURLM_OK)
		log_warn("httpc: curl_multi_socket_action: %s", curl_multi_strerror(mc));
}

/* Sets the timer from curl_multi_timeout, for when on_timer may not have said. */
static void ask_timer(struct httpc *h)
{
	long ms = -1;

	if (curl_multi_timeout(h->multi, &ms) == CURLM_OK && ms >= 0)
		h->timer_us = clock_us() + (int64_t)ms * 1000;
}

/* curl's timer is due: let it run what it was waiting for. */
static void run_timer(struct httpc *h)
{
	h->timer_us = -1;
	socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	/* curl calls on_timer only when its next deadline changes. If this came a little
	 * early by curl's own clock, nothing ran and nothing changed: ask it again. */
	if (h->timer_us < 0)
		ask_timer(h);
}

/* What an epoll event means to curl. Errors and hang-ups count as readable and writable,
 * as curl's own poll loop has it, so that the read or write that follows says what broke. */
static int select_bits(uint32_t events)
{
	int bits = 0;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		bits |= CURL_CSELECT_IN;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		bits |= CURL_CSELECT_OUT;
	return bits;
}

/* How long epoll_wait may sleep: timeout_ms, less if curl's timer is due sooner. */
static int wait_ms(const struct httpc *h, int timeout_ms)
{
	int64_t left;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (h->timer_us < 0)
		return timeout_ms;
	left = h->timer_us - clock_us();
	if (left <= 0)
		return 0;
	left = (left + 999) / 1000;
	return left < timeout_ms ? (int)left : timeout_ms;
}

static void clear_wakeup(struct httpc *h)
{
	uint64_t n;
	ssize_t got = read(h->wakefd, &n, sizeof(n));

	(void)got; /* EAGAIN: nothing was pending */
}

/* --- The client. --- */

static int set_multi(struct httpc *h)
{
	struct epoll_event ev = { .events = EPOLLIN };

	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->multi = curl_multi_init();
	if (h->epfd < 0 || h->wakefd < 0 || !h->multi) {
		log_error("httpc: cannot set up the event loop: %s", strerror(errno));
		return ERR_INTERNAL;
	}
	ev.data.fd = h->wakefd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->wakefd, &ev) != 0) {
		log_error("httpc: epoll_ctl: %s", strerror(errno));
		return ERR_INTERNAL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, HTTPC_MAX_CONNECTS);
	return 0;
}

int httpc_new(const struct httpc_config *cfg, struct httpc **out)
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
	h->pend_end = &h->pending;
	h->timer_us = -1;
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
	/* Closing cached connections calls on_socket, which needs epfd still open. */
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->wakefd >= 0)
		close(h->wakefd);
	if (h->epfd >= 0)
		close(h->epfd);
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
	/* The clock starts with the first byte sent: connecting has its own timeout. */
	if (dlnow != r->rx || ulnow == 0) {
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
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
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

struct httpc_req *httpc_post(struct httpc *h, const char *url, const char *const *headers,
			     const char *body, size_t len, const struct httpc_handlers *hd,
			     void *ctx)
{
	struct httpc_req *r = xcalloc(1, sizeof(*r));

	r->h = h;
	r->hd = *hd;
	r->ctx = ctx;
	r->ra_ms = -1;
	r->ra_s = -1;
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
	return r;
}

void httpc_cancel(struct httpc_req *r)
{
	if (r->cancelled)
		return;
	r->cancelled = true;
	r->rnext = r->h->reap;
	r->h->reap = r;
	r->h->count--;
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

void httpc_poll(struct httpc *h, int timeout_ms)
{
	struct epoll_event ev[HTTPC_EVENTS];
	int n;

	settle(h);
	/* Every transfer keeps a timer in curl (the speed check, at least): should none be
	 * known here, a lost deadline must not leave the transfers waiting for good. */
	if (h->timer_us < 0 && h->count > 0)
		ask_timer(h);
	n = epoll_wait(h->epfd, ev, HTTPC_EVENTS, wait_ms(h, timeout_ms));
	if (n < 0 && errno != EINTR)
		log_warn("httpc: epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == h->wakefd)
			clear_wakeup(h);
		else
			socket_action(h, ev[i].data.fd, select_bits(ev[i].events));
	}
	if (h->timer_us >= 0 && clock_us() >= h->timer_us)
		run_timer(h);
	drain(h);
	settle(h);
}

void httpc_wakeup(struct httpc *h)
{
	uint64_t one = 1;
	ssize_t put = write(h->wakefd, &one, sizeof(one));

	(void)put; /* EAGAIN: the counter is full, so a wakeup is pending anyway */
}

size_t httpc_count(const struct httpc *h)
{
	return h->count;
}
