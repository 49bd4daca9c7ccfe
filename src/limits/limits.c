/* limits.c - the checks of rate limits and token budgets (see limits.h), against the counts
 * this node keeps and the totals limits_sync.c reads from the store.
 *
 * Windows are fixed and aligned to the Unix epoch, so every node agrees on them: a request
 * window starts at a multiple of window_ms, a budget's period at 00:00 UTC or on the first of
 * the month. A check finds the key's and the project's rule (binary searches), and counts
 * only when every limit lets it through: a refused request uses nothing. */
#include "limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "limits_int.h"

#define DAY_MS 86400000LL

/* The UTC month containing t (Unix ms), moved by add months: its first day at 00:00. */
static int64_t month_start(int64_t t_ms, int add)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon += add;
	return (int64_t)timegm(&tm) * 1000;
}

void lim_window(const struct limits *lim, const struct lim_rule *r, int kind, int64_t now_ms,
		int64_t *start, int64_t *end)
{
	int64_t len = kind == STORE_COUNT_TOKENS ? DAY_MS : lim->window_ms;

	if (kind == STORE_COUNT_TOKENS && r->l.monthly) {
		*start = month_start(now_ms, 0);
		*end = month_start(now_ms, 1);
		return;
	}
	*start = now_ms - now_ms % len;
	*end = *start + len;
}

void lim_roll(const struct limits *lim, struct lim_rule *r, int kind, int64_t now_ms)
{
	struct lim_counter *c = &r->c[kind];
	int64_t start;
	int64_t end;

	if (now_ms >= c->win_ms && now_ms < c->end_ms)
		return;
	lim_window(lim, r, kind, now_ms, &start, &end);
	if (c->win_ms != start)
		*c = (struct lim_counter){ .win_ms = start };
	c->end_ms = end;
}

static int rule_cmp(enum store_limit_scope scope, const char *subject, const struct lim_rule *r)
{
	if (scope != r->l.scope)
		return scope < r->l.scope ? -1 : 1;
	return strcmp(subject, r->l.subject);
}

struct lim_rule *lim_find(struct lim_rule *rules, size_t n, enum store_limit_scope scope,
			  const char *subject)
{
	size_t lo = 0;
	size_t hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rule_cmp(scope, subject, &rules[mid]);

		if (c == 0)
			return &rules[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static struct lim_rule *find_hash(struct limits *lim, const char *hash)
{
	size_t lo = 0;
	size_t hi = lim->nhash;

	while (hash && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(hash, lim->by_hash[mid]->l.key_hash);

		if (c == 0)
			return lim->by_hash[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The key's and the project's rules (either may be NULL), their counters in the current
 * windows. Called with lim->mu held. */
static void rules_of(struct limits *lim, const char *hash, const char *project, int64_t now,
		     struct lim_rule *rs[2])
{
	rs[0] = find_hash(lim, hash);
	rs[1] = lim_find(lim->rules, lim->nrules, STORE_LIMIT_PROJECT, project);
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < LIMITS_KINDS && rs[i]; k++)
			lim_roll(lim, rs[i], k, now);
	}
}

static int64_t used(const struct lim_rule *r, int kind)
{
	const struct lim_counter *c = &r->c[kind];

	return c->base + c->pending + c->delta;
}

/* Would one more of kind (for tokens: any) pass r's limit? */
static bool passes(const struct lim_rule *r, int kind)
{
	if (!r->max[kind])
		return true;
	return kind == STORE_COUNT_TOKENS ? used(r, kind) < r->max[kind]
					  : used(r, kind) + 1 <= r->max[kind];
}

static void refuse(struct limits_state *s, const struct lim_rule *r, int kind, int64_t now)
{
	s->refused = (enum store_count_kind)kind;
	s->scope = r->l.scope;
	s->monthly = r->l.monthly;
	s->max = r->max[kind];
	s->used = used(r, kind);
	s->retry_ms = r->c[kind].end_ms - now;
	snprintf(s->subject, sizeof(s->subject), "%s", r->l.subject);
}

/* The first limit of rs that refuses: a spent budget (for a run) before the rates. */
static int check(struct lim_rule *rs[2], bool run, int64_t now, struct limits_state *s)
{
	static const struct {
		int kind;
		bool run_only;
		int err;
	} order[] = {
		{ STORE_COUNT_TOKENS, true, ERR_QUOTA },
		{ STORE_COUNT_REQUESTS, false, ERR_REQUESTS },
		{ STORE_COUNT_RUNS, true, ERR_REQUESTS },
	};

	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		for (int i = 0; i < 2 && (run || !order[o].run_only); i++) {
			if (rs[i] && !passes(rs[i], order[o].kind)) {
				refuse(s, rs[i], order[o].kind, now);
				return order[o].err;
			}
		}
	}
	return 0;
}

/* Per kind, the limit of rs with the least left. */
static void state_fill(struct lim_rule *rs[2], int64_t now, struct limits_state *s)
{
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < LIMITS_KINDS && rs[i]; k++) {
			int64_t left = rs[i]->max[k] - used(rs[i], k);

			if (!rs[i]->max[k] || (s->set[k] && s->remaining[k] <= left))
				continue;
			s->set[k] = true;
			s->limit[k] = rs[i]->max[k];
			s->remaining[k] = left > 0 ? left : 0;
			s->reset_ms[k] = rs[i]->c[k].end_ms - now;
		}
	}
}

int limits_admit(struct limits *lim, const char *key_hash, const char *project, bool run,
		 struct limits_state *s)
{
	struct lim_rule *rs[2];
	int64_t now;
	int err;

	memset(s, 0, sizeof(*s));
	if (!lim || !atomic_load_explicit(&lim->any, memory_order_relaxed))
		return 0;
	now = clock_unix_ms();
	pthread_mutex_lock(&lim->mu);
	rules_of(lim, key_hash, project, now, rs);
	err = check(rs, run, now, s);
	for (int i = 0; i < 2 && !err; i++) {
		if (rs[i] && rs[i]->max[STORE_COUNT_REQUESTS])
			rs[i]->c[STORE_COUNT_REQUESTS].delta++;
		if (rs[i] && run && rs[i]->max[STORE_COUNT_RUNS])
			rs[i]->c[STORE_COUNT_RUNS].delta++;
	}
	state_fill(rs, now, s);
	pthread_mutex_unlock(&lim->mu);
	return err;
}

void limits_tokens(struct limits *lim, const char *key_hash, const char *project, int64_t n)
{
	struct lim_rule *rs[2];

	if (!lim || n <= 0 || !atomic_load_explicit(&lim->any, memory_order_relaxed))
		return;
	pthread_mutex_lock(&lim->mu);
	rules_of(lim, key_hash, project, clock_unix_ms(), rs);
	for (int i = 0; i < 2; i++) {
		if (rs[i] && rs[i]->max[STORE_COUNT_TOKENS])
			rs[i]->c[STORE_COUNT_TOKENS].delta += n;
	}
	pthread_mutex_unlock(&lim->mu);
}

int limits_budget(struct limits *lim, const char *key_hash, const char *project, char *why,
		  size_t len)
{
	struct limits_state s = { 0 };
	struct lim_rule *rs[2];
	int64_t now = clock_unix_ms();
	int err = 0;

	if (!lim || !atomic_load_explicit(&lim->any, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&lim->mu);
	rules_of(lim, key_hash, project, now, rs);
	for (int i = 0; i < 2 && !err; i++) {
		if (rs[i] && !passes(rs[i], STORE_COUNT_TOKENS)) {
			refuse(&s, rs[i], STORE_COUNT_TOKENS, now);
			err = ERR_QUOTA;
		}
	}
	pthread_mutex_unlock(&lim->mu);
	if (err)
		limits_quota_message(&s, why, len);
	return err;
}

int64_t limits_window_ms(const struct limits *lim)
{
	return lim ? lim->window_ms : LIMITS_WINDOW_MS;
}

/* Writes v (>= 0) in decimal at p; returns where it ends. */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void limits_decimal(int64_t v, char *out)
{
	*put_dec(out, v > 0 ? (uint64_t)v : 0) = '\0';
}

/* Writes ".NNN" for ms (1..999) without trailing zeros at p; returns where it ends. */
static char *put_ms(char *p, int64_t ms)
{
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	while (p[-1] == '0')
		p--;
	return p;
}

void limits_duration(int64_t d, char *out)
{
	char *p = out;

	if (d < 1000) {
		p = put_dec(p, d > 0 ? (uint64_t)d : 0);
		memcpy(p, "ms", 3);
		return;
	}
	if (d >= 3600000) {
		p = put_dec(p, (uint64_t)(d / 3600000));
		*p++ = 'h';
	}
	if (d >= 60000) {
		p = put_dec(p, (uint64_t)(d / 60000 % 60));
		*p++ = 'm';
	}
	p = put_dec(p, (uint64_t)(d / 1000 % 60));
	if (d % 1000)
		p = put_ms(p, d % 1000);
	memcpy(p, "s", 2);
}

void limits_quota_message(const struct limits_state *s, char *out, size_t len)
{
	char reset[LIMITS_TEXT_LEN];

	limits_duration(s->retry_ms, reset);
	snprintf(out, len,
		 "You exceeded your current quota: the token budget of %s '%s' (%lld tokens per "
		 "%s) is spent; it renews in %s. Ask the server's operator to raise it with "
		 "`assistd limits set`.",
		 s->scope == STORE_LIMIT_KEY ? "API key" : "project", s->subject,
		 (long long)s->max, s->monthly ? "month" : "day", reset);
}
