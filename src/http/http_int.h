/* http_int.h - what the files of src/http share: the server, request, waiter and stream
 * structs, and the functions one file calls in another.
 *
 * Nothing outside src/http includes this. Threads and locks, in one place:
 * - A request (struct http_req) belongs to the worker thread MHD runs its connection on;
 *   the fields under "shared" are also touched by wakers and the timer, under srv->mu.
 * - A waiter or stream handle may outlive its request (and the server): its own mutex guards
 *   the link back to the request, which is cleared when the request ends.
 * - Lock order: waiter->mu or stream->mu first, then srv->mu. Nothing waits while holding
 *   srv->mu, and MHD_suspend/resume_connection are called under it (they never call back). */
#ifndef ASSISTD_HTTP_INT_H
#define ASSISTD_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "../base/metrics.h"
#include "../base/timer.h"
#include "http.h"
#include "router.h"

#define HTTP_DEFAULT_THREADS 2
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024) /* when the config says 0 */
#define HTTP_CONN_TIMEOUT_S 120
#define HTTP_CONN_LIMIT 16384
/* MHD's per-connection memory, for the request line, headers and I/O buffers. MHD zeroes all
 * of it after every request (and half of it again while answering), so each KiB here costs
 * every keep-alive request time and cache: 32 KiB (MHD's default) made a GET 1 us dearer than
 * 16 KiB. What the request leaves of it must still hold the response header: with 16 KiB, a
 * 16 KB URL got no response at all. With 20 KiB, targets up to ~19.5 KB get our 414 (see
 * HTTP_MAX_TARGET) and headers up to ~19 KB are served; beyond, MHD answers 414 or 431 itself
 * (see docs/ARCHITECTURE.md for the one narrow gap left). */
#define HTTP_CONN_MEMORY (20 * 1024)
#define HTTP_STOP_DRAIN_MS 1000 /* after the grace period, for resumed requests to answer */
#define HTTP_PATH_INLINE 192    /* paths up to this long keep their params in the request */
#define HTTP_REQ_ID_SIZE 32
/* After a refusal the rest of the body is read and dropped, never kept, and the answer sent
 * once it is in: a client still writing its body when the connection closes gets a reset, not
 * the answer. Bounded, so that a client sending a huge body with a bad key costs little: past
 * 16 MiB (any JSON body and most uploads) or 5 s after the refusal, the connection is closed. */
#define HTTP_DISCARD_MAX (16 * 1024 * 1024)
#define HTTP_DISCARD_MS 5000
#define HTTP_DEFAULT_BODY_MEMORY ((size_t)64 * 1024 * 1024) /* when the config says 0 */
#define HTTP_BODY_STEP (64 * 1024) /* a body of unknown length grows by at least this */
/* The longest request target (path and query, as sent) that is served; longer ones get 414.
 * Well under HTTP_CONN_MEMORY, so the 414 itself still fits in the connection's memory. */
#define HTTP_MAX_TARGET (8 * 1024)

struct http_server {
	struct http_config cfg; /* copied; cfg.routes and cfg.app stay borrowed */
	unsigned *depths;       /* owned: router_depth of each route's pattern */
	struct http_route_stats *stats; /* owned: nroutes + 1 (unmatched), see stats.c */
	struct MHD_Daemon *d;
	int port;
	atomic_int inflight;  /* requests begun and not completed */
	atomic_size_t body_mem; /* bytes reserved by buffered bodies (see body.c) */
	atomic_bool stopping; /* set once by http_stop; read without the lock */

	pthread_mutex_t mu; /* guards everything below and the "shared" fields of requests */
	pthread_cond_t timer_cv;
	pthread_t timer;
	bool timer_started; /* written only by the thread that starts and stops the server */
	bool timer_quit;
	struct http_req *susp_head; /* suspended requests (deferred or streaming) */
	int nsuspended;
	struct timer_heap deadlines; /* deferred requests with a deadline (req->deadline) */
};

enum req_stage {
	REQ_NEW,       /* the request line is in; the access handler has not run yet */
	REQ_RECEIVING, /* the body is coming in */
	REQ_PARKED,    /* deferred: the next access call reruns the handler */
	REQ_ANSWERED,  /* a response is queued */
};

struct http_req {
	struct http_server *srv;     /* borrowed */
	struct MHD_Connection *conn; /* borrowed from MHD for the request's life */
	const char *method;          /* borrowed from MHD; NULL until the access handler runs */
	const char *path;            /* borrowed from MHD, URL-decoded, without the query */
	size_t target_len;           /* the request target as sent (path and query) */
	bool target_nul;             /* the target encodes a NUL (%00) */
	char id[HTTP_REQ_ID_SIZE];
	int64_t start_us;
	enum req_stage stage;

	struct buf body;
	size_t reserved;  /* bytes of srv->body_mem held for body */
	int body_err;     /* set while receiving: the rest of the body is dropped, then this */
	size_t discarded; /* bytes dropped once body_err is set */
	int64_t refused_ms; /* clock_ms() when body_err was set */
	uint64_t sunk;    /* body bytes handed to the route's sink */
	struct multipart *mp; /* owned: the multipart parser (multipart.c), or NULL */

	const struct http_route *route; /* borrowed from the config */
	struct router_match match;
	char *pvals; /* the path copy params point into: pinline or owned */
	char pinline[HTTP_PATH_INLINE];

	struct MHD_Response *resp; /* the reply made by the handler, until queued */
	int status;
	/* Response headers to send: nhdrs pairs "name\0value\0" one after another, in one
	 * buffer (a limited caller's reply carries several: one growth, not two copies each). */
	struct buf hdrs;
	size_t nhdrs;
	size_t hdr_mark; /* headers from before the handler's first run; reruns keep them */
	int fail_err;    /* the error http_fail described, with its owned detail */
	char *fail_msg;
	char *fail_param;
	char *fail_code;

	void *user;
	void (*user_free)(void *);
	void *state;               /* a handler's own state across reruns (http_set_state) */
	void (*state_free)(void *);
	void **keep; /* owned array of pointers freed at the end */
	size_t nkeep;
	size_t capkeep;

	int reruns;
	struct http_waiter *waiter; /* a reference, while deferred */
	int64_t deadline_ms;        /* -1: no timeout */
	struct http_stream *stream; /* a reference, once streaming */

	/* shared: under srv->mu */
	bool suspended;           /* MHD_suspend_connection is in force */
	bool woken;               /* a wake came while not suspended */
	bool stop_rerun;          /* rerun once already because the server is stopping */
	struct timer deadline;    /* in srv->deadlines while suspended with a deadline */
	struct http_req *sprev;   /* srv->susp_head list */
	struct http_req *snext;
};

struct http_waiter {
	pthread_mutex_t mu;
	atomic_int refs;
	struct http_req *req; /* under mu; NULL once the request reran or ended */
};

struct http_stream {
	pthread_mutex_t mu;
	atomic_int refs;
	struct http_req *req; /* under mu; NULL once the connection is done with the stream */
	http_stream_pull *pull;
	void *ctx;
	void (*ctx_free)(void *ctx);
	/* Used only by the connection's worker thread: */
	struct buf pending; /* bytes pulled and not yet handed to MHD */
	size_t off;
	bool ended;
};

/* server.c */
/* True once http_stop began. */
bool server_stopping(const struct http_server *srv);

/* suspend.c: suspending and resuming connections, the timer. All _locked functions need
 * srv->mu. */
int suspend_timer_start(struct http_server *srv) MUST_CHECK;
void suspend_timer_stop(struct http_server *srv);
/* Suspends req's connection and tracks it (and its deadline, when it has one). */
void suspend_locked(struct http_req *req, bool with_deadline);
/* Resumes a suspended request; a request not suspended only records the wake. */
void suspend_wake_locked(struct http_req *req);
/* The function of a request's deadline timer (arg: the request): resumes it. Under mu. */
void suspend_deadline_due(void *arg);
/* Resumes every suspended request (for http_stop). */
void suspend_resume_all(struct http_server *srv);
/* Requests in flight that are not suspended. */
int suspend_active(struct http_server *srv);

/* defer.c */
enum defer_next { DEFER_PARKED, DEFER_RERUN };
/* After the handler returned HTTP_DEFERRED: parks req, or says to rerun it now (a wake
 * already came, or the server is stopping), or returns an error to answer with. */
int defer_park(struct http_req *req, enum defer_next *next) MUST_CHECK;
/* Cuts the link from req's waiter (before a rerun or when the request ends). */
void defer_detach(struct http_req *req);

/* multipart.c */
#define HTTP_MULTIPART_BUFFER (64 * 1024) /* the post processor's buffer: the largest piece */
/* Frees the request's multipart parser, if any (when the request ends). */
void multipart_free(struct http_req *req);

/* stream.c */
/* The request ends: cuts the stream's link to it and drops the request's reference. */
void stream_detach(struct http_req *req);

/* stats.c */
/* Allocates and frees the server's per-route counters. */
void stats_init(struct http_server *srv);
void stats_free(struct http_server *srv);
/* Counts a completed request under its route and status, with its latency. */
void stats_count(const struct http_req *req);

/* admit.c */
/* The checks made on the first access call, before any body byte is kept: framing, target,
 * route, the before hook, body size and memory. Returns 0 or the error to answer with; *now
 * says whether to answer it at once, with the body unread (ambiguous framing, or a client
 * waiting for 100 Continue), rather than after the body is read and dropped. */
int admit_request(struct http_req *req, bool *now) MUST_CHECK;

/* body.c */
/* Reserves memory for a body of announced length len (from admit). Errors: ERR_TOO_LARGE,
 * ERR_UNAVAILABLE (the budget is spent; a Retry-After header is added). */
int body_admit(struct http_req *req, uint64_t len) MUST_CHECK;
/* Sets the error the request is answered with once its body is in; the rest is dropped. */
void body_refuse(struct http_req *req, int err);
/* Takes one piece of the body: buffers it, sinks it, or drops it once body_err is set.
 * Returns false when the client sent far more (or for far longer) than it may after a
 * refusal and the connection should go. */
bool body_take(struct http_req *req, const char *data, size_t len);
/* Frees the body and gives its memory back to the budget. */
void body_release(struct http_req *req);

/* reply.c */
/* Queues the reply (or, for err != 0, the error envelope) with the request's headers.
 * Returns what MHD_queue_response returned. */
enum MHD_Result reply_queue(struct http_req *req, int err);
/* Forgets what the handler's last run set: error detail, its headers, an unsent reply. */
void reply_reset(struct http_req *req);
/* Frees what the reply parts of req own. */
void reply_cleanup(struct http_req *req);
/* Stores an unqueued reply; takes ownership of resp (aborts when it is NULL). */
void reply_set(struct http_req *req, int status, struct MHD_Response *resp,
	       const char *content_type);

#endif
