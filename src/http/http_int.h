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

#include "../base/timer.h"
#include "http.h"
#include "router.h"

#define HTTP_DEFAULT_THREADS 2
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024) /* when the config says 0 */
#define HTTP_CONN_TIMEOUT_S 120
#define HTTP_CONN_LIMIT 16384
/* MHD's per-connection memory, for the request line, headers and I/O buffers. MHD clears it
 * after every request, so its default of 32 KiB costs time; 16 KiB still takes ~8 KiB of
 * request headers (more is answered 431). */
#define HTTP_CONN_MEMORY (16 * 1024)
#define HTTP_STOP_DRAIN_MS 1000 /* after the grace period, for resumed requests to answer */
#define HTTP_PATH_INLINE 192    /* paths up to this long keep their params in the request */
#define HTTP_REQ_ID_SIZE 32
#define HTTP_DISCARD_MAX (8 * 1024 * 1024) /* body bytes read past the limit before a 413 */

struct http_server {
	struct http_config cfg; /* copied; cfg.routes and cfg.app stay borrowed */
	unsigned *depths;       /* owned: router_depth of each route's pattern */
	struct MHD_Daemon *d;
	int port;
	atomic_int inflight;  /* requests begun and not completed */
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

struct http_header {
	char *name; /* owned */
	char *value; /* owned */
};

enum req_stage {
	REQ_RECEIVING, /* the body is coming in */
	REQ_PARKED,    /* deferred: the next access call reruns the handler */
	REQ_ANSWERED,  /* a response is queued */
};

struct http_req {
	struct http_server *srv;     /* borrowed */
	struct MHD_Connection *conn; /* borrowed from MHD for the request's life */
	const char *method;          /* borrowed from MHD */
	const char *path;            /* borrowed from MHD, URL-decoded, without the query */
	char id[HTTP_REQ_ID_SIZE];
	int64_t start_us;
	enum req_stage stage;

	struct buf body;
	bool too_large;
	size_t discarded; /* bytes dropped once too_large */

	const struct http_route *route; /* borrowed from the config */
	struct router_match match;
	char *pvals; /* the path copy params point into: pinline or owned */
	char pinline[HTTP_PATH_INLINE];

	struct MHD_Response *resp; /* the reply made by the handler, until queued */
	int status;
	struct http_header *hdrs; /* owned array of owned pairs */
	size_t nhdrs;
	size_t caphdrs;
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

/* stream.c */
/* The request ends: cuts the stream's link to it and drops the request's reference. */
void stream_detach(struct http_req *req);

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
