/* limits_sync.c - the thread that keeps a node's limits in step with the store: every
 * sync_ms it reads the limits again (so `assistd limits set` reaches every node within one
 * sync), adds what this node counted since the last sync to the shared counters and reads
 * every node's totals back (store_count_sync), all in one transaction per sync. With no
 * limit set it only reads the limits table.
 *
 * Only this thread replaces lim->rules, so the rules it reads between taking and giving back
 * the lock stay where they are; the counters in them change under the lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "limits_int.h"

/* One counter being shared: which rule and kind it is, and the store's view of it. */
struct share {
	size_t rule;
	int kind;
};

static int hash_cmp(const void *a, const void *b)
{
	const struct lim_rule *const *x = a;
	const struct lim_rule *const *y = b;

	return strcmp((*x)->l.key_hash, (*y)->l.key_hash);
}

/* Takes the strings of l into a new rule, keeping the counters of the old one. */
static void rule_init(struct lim_rule *r, struct store_limit *l, const struct lim_rule *old)
{
	memset(r, 0, sizeof(*r));
	r->l = *l;
	l->subject = l->key_hash = NULL;
	r->max[STORE_COUNT_REQUESTS] = r->l.requests;
	r->max[STORE_COUNT_RUNS] = r->l.runs;
	r->max[STORE_COUNT_TOKENS] = r->l.tokens;
	if (old && old->l.monthly == r->l.monthly)
		memcpy(r->c, old->c, sizeof(r->c));
	else if (old)
		memcpy(r->c, old->c, sizeof(r->c[0]) * STORE_COUNT_TOKENS);
}

static void rules_free(struct lim_rule *rules, size_t n, struct lim_rule **by_hash)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].l.subject);
		free(rules[i].l.key_hash);
	}
	free(rules);
	free(by_hash);
}

/* Under the lock: new rules from the list just read (taking its strings), each with the
 * counters of the rule it replaces; *by_hash (owned) indexes the keys' ones by hash. */
static struct lim_rule *rules_build(struct limits *lim, struct store_limit *list, size_t n,
				    struct lim_rule ***by_hash, size_t *nhash)
{
	struct lim_rule *rules = xcalloc(n ? n : 1, sizeof(*rules));

	*by_hash = xcalloc(n ? n : 1, sizeof(**by_hash));
	*nhash = 0;
	for (size_t i = 0; i < n; i++) {
		rule_init(&rules[i], &list[i], lim_find(lim->rules, lim->nrules, list[i].scope,
							 list[i].subject));
		if (rules[i].l.key_hash)
			(*by_hash)[(*nhash)++] = &rules[i];
	}
	qsort(*by_hash, *nhash, sizeof(**by_hash), hash_cmp);
	return rules;
}

/* Replaces the rules with the list just read (whose strings it takes). */
static void rules_swap(struct limits *lim, struct store_limit *list, size_t n)
{
	struct lim_rule *old = lim->rules;
	struct lim_rule **old_hash = lim->by_hash;
	size_t nold = lim->nrules;

	pthread_mutex_lock(&lim->mu);
	lim->rules = rules_build(lim, list, n, &lim->by_hash, &lim->nhash);
	lim->nrules = n;
	atomic_store(&lim->any, n > 0);
	pthread_mutex_unlock(&lim->mu);
	rules_free(old, nold, old_hash);
}

static int reload(struct limits *lim)
{
	struct store_limit *list = NULL;
	size_t n = 0;
	int err = store_limit_list(lim->st, &list, &n);

	if (!err)
		rules_swap(lim, list, n);
	store_limits_free(list, err ? 0 : n);
	return err;
}

/* Under the lock: moves every counter's delta to pending, into c[] (sized for every kind
 * of every rule). Returns how many. */
static size_t collect(struct limits *lim, int64_t now, struct store_count *c, struct share *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < lim->nrules; i++) {
		struct lim_rule *r = &lim->rules[i];

		for (int k = 0; k < LIMITS_KINDS; k++) {
			const struct lim_counter *q = &r->c[k];

			if (!r->max[k])
				continue;
			lim_roll(lim, r, k, now);
			c[n] = (struct store_count){ r->l.scope, r->l.subject, k, q->win_ms,
						     q->end_ms + (q->end_ms - q->win_ms), q->delta,
						     0 };
			sh[n++] = (struct share){ i, k };
			r->c[k].pending += r->c[k].delta;
			r->c[k].delta = 0;
		}
	}
	return n;
}

/* Under the lock: takes the totals read (or, after a failure, puts the deltas back). */
static void apply(struct limits *lim, const struct store_count *c, const struct share *sh,
		  size_t n, int err)
{
	for (size_t i = 0; i < n; i++) {
		struct lim_counter *k = &lim->rules[sh[i].rule].c[sh[i].kind];

		if (k->win_ms != c[i].win_ms)
			continue; /* the window moved on meanwhile */
		k->pending -= c[i].add;
		if (err)
			k->delta += c[i].add;
		else
			k->base = c[i].total - k->pending;
	}
}

static void note(struct limits *lim, int err)
{
	if (err && !lim->failing)
		log_warn("limits: the counts could not be shared through the store; each node "
			 "counts alone until it answers again");
	else if (!err && lim->failing)
		log_info("limits: the counts are shared through the store again");
	lim->failing = err != 0;
}

int lim_sync_once(struct limits *lim)
{
	struct store_count *c = NULL;
	struct share *sh = NULL;
	int64_t now = clock_unix_ms();
	size_t cap;
	size_t n;
	int err = reload(lim);

	if (err)
		goto out;
	cap = lim->nrules * LIMITS_KINDS + 1;
	c = xcalloc(cap, sizeof(*c));
	sh = xcalloc(cap, sizeof(*sh));
	pthread_mutex_lock(&lim->mu);
	n = collect(lim, now, c, sh);
	pthread_mutex_unlock(&lim->mu);
	err = store_count_sync(lim->st, c, n, now);
	pthread_mutex_lock(&lim->mu);
	apply(lim, c, sh, n, err);
	pthread_mutex_unlock(&lim->mu);
out:
	note(lim, err);
	free(c);
	free(sh);
	return err;
}

void *lim_sync_main(void *arg)
{
	struct limits *lim = arg;
	struct timespec at;

	pthread_mutex_lock(&lim->mu);
	while (!lim->stop) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_nsec += (long)lim->sync_ms * 1000000L;
		at.tv_sec += at.tv_nsec / 1000000000L;
		at.tv_nsec %= 1000000000L;
		if (pthread_cond_timedwait(&lim->cv, &lim->mu, &at) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&lim->mu);
		lim_sync_once(lim);
		pthread_mutex_lock(&lim->mu);
	}
	pthread_mutex_unlock(&lim->mu);
	return NULL;
}

int limits_start(const struct limits_config *cfg, struct limits **out)
{
	struct limits *lim = xcalloc(1, sizeof(*lim));
	pthread_condattr_t ca;
	int err;

	lim->st = cfg->st;
	lim->window_ms = cfg->window_ms > 0 ? cfg->window_ms : LIMITS_WINDOW_MS;
	lim->sync_ms = cfg->sync_ms > 0 ? cfg->sync_ms : LIMITS_SYNC_MS;
	pthread_mutex_init(&lim->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lim->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = NULL;
	err = reload(lim);
	if (!err && pthread_create(&lim->thread, NULL, lim_sync_main, lim) != 0)
		err = ERR_INTERNAL;
	if (err) {
		rules_free(lim->rules, lim->nrules, lim->by_hash);
		pthread_cond_destroy(&lim->cv);
		pthread_mutex_destroy(&lim->mu);
		free(lim);
		return err;
	}
	*out = lim;
	return 0;
}

void limits_stop(struct limits *lim)
{
	if (!lim)
		return;
	pthread_mutex_lock(&lim->mu);
	lim->stop = true;
	pthread_cond_signal(&lim->cv);
	pthread_mutex_unlock(&lim->mu);
	pthread_join(lim->thread, NULL);
	lim_sync_once(lim);
	rules_free(lim->rules, lim->nrules, lim->by_hash);
	pthread_cond_destroy(&lim->cv);
	pthread_mutex_destroy(&lim->mu);
	free(lim);
}
