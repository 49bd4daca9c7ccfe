/* prov_int.h - what provider.c shares with the backends (demo.c, openai.c); private to
 * src/providers.
 *
 * provider.c owns the parts every backend needs: each call's timer on the loop, the list of
 * calls, cancellation (done with PROV_CANCELLED is delivered by provider.c, never by a
 * backend) and the bookkeeping behind every callback. A backend supplies a struct prov_ops
 * and embeds struct prov_call as the first member of its own call struct. */
#ifndef ASSISTD_PROV_INT_H
#define ASSISTD_PROV_INT_H

#include "../base/buf.h"
#include "../base/timer.h"
#include "provider.h"

struct prov_ops {
	const char *name;
	/* Sets up p->be from p->cfg and p->loop. Errors: ERR_INTERNAL. */
	int (*open)(struct prov *p);
	/* Frees p->be; every call is gone by then. */
	void (*close)(struct prov *p);
	/* Allocates a call (struct prov_call first), runs prov_call_init on it and queues its
	 * work, delivering nothing yet. Errors: ERR_INVALID, ERR_INTERNAL, nothing allocated. */
	int (*start)(struct prov *p, const struct prov_request *rq,
		     const struct prov_callbacks *cb, void *ctx, struct prov_call **out);
	/* Stops every piece of work of a call being cancelled or dropped; its timer is
	 * already disarmed. No callback may follow. */
	void (*stop)(struct prov_call *c);
	/* Frees a call that is over (after its done callback, or at prov_free). */
	void (*call_free)(struct prov_call *c);
};

/* Text that never reaches a client: the upstream URL (as configured and without its
 * userinfo), its userinfo, its password and the upstream key. */
#define PROV_SECRETS 5

struct prov {
	const struct prov_ops *ops;
	struct prov_config cfg;      /* strings are owned copies; defaults filled in */
	char *secrets[PROV_SECRETS]; /* owned, longest first; NULL where there is none */
	char *public_url;            /* owned: the upstream URL without userinfo, for logs */
	void *be;                    /* the backend's state, owned by it */
	struct loop *loop;           /* borrowed: runs every socket, timer and callback */
	struct prov_call *calls;     /* every call not yet over, doubly linked */
	int ncalls;                  /* how many */
	struct prov_call *cancelled; /* cancelled calls awaiting their done callback */
	struct timer reap;           /* delivers the cancelled calls' done, next iteration */
	struct models_fetch *models; /* the model list fetcher (models.c), or NULL */
};

struct prov_call {
	struct prov *p;              /* borrowed owner */
	struct prov_callbacks cb;
	void *ctx;                   /* borrowed, the engine's */
	struct timer timer;          /* for the backend: demo pacing, retry backoff */
	struct prov_call *prev, *next; /* in p->calls */
	struct prov_call *cnext;     /* in p->cancelled */
	bool cancelled;
	bool delivered;              /* a text or tool_call callback has run */
	enum tok_enc enc;            /* the model's encoding */
	int64_t prompt_tokens;       /* counted from the request */
	int64_t start_us;            /* when the call began, for the latency metric */
	struct buf out;              /* text, tool names and arguments delivered, for usage */
};

/* Fills the common part of a new call and links it into p. timer_fn(c) is the call's timer
 * callback (may be NULL when the backend needs none). */
void prov_call_init(struct prov_call *c, struct prov *p, const struct prov_request *rq,
		    const struct prov_callbacks *cb, void *ctx, void (*timer_fn)(void *c));

/* Runs the call's timer function delay_ms from now (0: in the next loop iteration),
 * replacing any earlier arming. */
void prov_call_after(struct prov_call *c, int64_t delay_ms);

/* Deliver a piece of the reply; no-ops once the call is cancelled. */
void prov_emit_text(struct prov_call *c, const char *delta, size_t len);
void prov_emit_tool(struct prov_call *c, int index, const char *id, const char *name,
		    const char *args_delta);

/* Ends a call: runs done with res, then frees the call. A no-op for a cancelled call (its
 * done comes from provider.c). c must not be used afterwards. */
void prov_call_end(struct prov_call *c, const struct prov_result *res);
/* Ends a call with PROV_FAILED, error code and a printf-style message. */
void prov_call_fail(struct prov_call *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The tokens of what the call has delivered: completion_tokens when the model reports none. */
int64_t prov_call_out_tokens(const struct prov_call *c);

/* The model to send upstream for model under aliases ("a=b,c=d"; a key "*" matches any
 * model without an entry of its own). Returns an owned string. */
char *prov_alias(const char *aliases, const char *model);
/* One "key=value" entry of the aliases (not NUL-terminated); return true to stop. */
typedef bool prov_alias_fn(void *arg, const char *k, size_t klen, const char *v, size_t vlen);
/* Calls fn on each well-formed entry until it returns true. Returns false when some entry
 * (non-empty, without "key=value") was malformed and skipped, true otherwise. */
bool prov_alias_walk(const char *aliases, prov_alias_fn *fn, void *arg);
/* True when aliases is NULL or well formed; logs the first bad entry. */
bool prov_aliases_valid(const char *aliases);

/* models.c: frees the model list fetcher; a fetch under way is dropped, its done never runs. */
void prov_models_free(struct prov *p);

extern const struct prov_ops prov_demo_ops;
extern const struct prov_ops prov_openai_ops;

#endif
