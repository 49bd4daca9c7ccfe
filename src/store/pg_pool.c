/* pg_pool.c - the PostgreSQL store's connections: the pool, prepared statements, parameter
 * lists, result helpers and transactions with retry, for the other pg*.c files.
 *
 * A libpq connection must not be used by two threads at once, so each call borrows one from a
 * pool that grows on demand up to PG_MAX_CONN (callers past that wait on a condition
 * variable). Each connection prepares a statement the first time it runs it, and keeps it.
 * A connection that failed (the server restarted, the network dropped) is closed when it comes
 * back instead of pooled, so the next call opens a fresh one.
 *
 * Transactions run at READ COMMITTED with explicit row locks (see pg_write.c), so PostgreSQL
 * may abort one for a deadlock; pg_tx runs it again, since a batch is all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "pg_int.h"

#define PG_MAX_CONN 16
#define PG_TX_TRIES 5

void pg_arg_s(struct pg_args *a, const char *s)
{
	if (a->n < PG_ARGS_MAX)
		a->v[a->n++] = s;
}

void pg_arg_i(struct pg_args *a, int64_t i)
{
	if (a->n >= PG_ARGS_MAX)
		return;
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%lld", (long long)i);
	a->v[a->n] = a->num[a->n];
	a->n++;
}

char *pg_col_dup(const PGresult *res, int r, int i)
{
	return xstrdup(PQgetisnull(res, r, i) ? "" : PQgetvalue(res, r, i));
}

int64_t pg_col_i(const PGresult *res, int r, int i)
{
	return PQgetisnull(res, r, i) ? 0 : strtoll(PQgetvalue(res, r, i), NULL, 10);
}

/* Log notices (CREATE ... IF NOT EXISTS and the like) are not the server's business. */
static void quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static int conn_open(const char *url, struct pg_conn **out)
{
	struct pg_conn *c = xcalloc(1, sizeof(*c));

	c->db = PQconnectdb(url);
	if (PQstatus(c->db) != CONNECTION_OK) {
		log_error("store: cannot connect to PostgreSQL: %s", PQerrorMessage(c->db));
		PQfinish(c->db);
		free(c);
		return ERR_DB;
	}
	PQsetNoticeReceiver(c->db, quiet, NULL);
	*out = c;
	return 0;
}

static void conn_close(struct pg_conn *c)
{
	PQfinish(c->db);
	free(c);
}

/* Takes a connection from the pool, opening one when all are busy and the pool may grow,
 * else waiting; release gives it back. Errors: ERR_DB (logged). */
static int acquire(struct pg_store *st, struct pg_conn **out)
{
	int err = 0;

	pthread_mutex_lock(&st->mu);
	while (!st->idle && st->nconn >= PG_MAX_CONN)
		pthread_cond_wait(&st->cv, &st->mu);
	*out = st->idle;
	if (*out)
		st->idle = (*out)->next;
	else
		st->nconn++;
	pthread_mutex_unlock(&st->mu);
	if (*out) {
		(*out)->ran = 0;
		return 0;
	}
	err = conn_open(st->url, out);
	if (err) {
		pthread_mutex_lock(&st->mu);
		st->nconn--;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
	}
	return err;
}

static void release(struct pg_store *st, struct pg_conn *c)
{
	bool drop = c->broken || PQstatus(c->db) != CONNECTION_OK ||
		    PQtransactionStatus(c->db) != PQTRANS_IDLE;

	if (drop)
		conn_close(c);
	pthread_mutex_lock(&st->mu);
	if (drop) {
		st->nconn--;
	} else {
		c->next = st->idle;
		st->idle = c;
	}
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

void pg_pool_close(struct pg_store *st)
{
	struct pg_conn *c;

	pthread_mutex_lock(&st->mu);
	while ((c = st->idle)) {
		st->idle = c->next;
		st->nconn--;
		conn_close(c);
	}
	pthread_mutex_unlock(&st->mu);
}

/* SQLSTATEs with an answer of their own; every other failure is ERR_DB. */
static const struct {
	const char *state;
	int err;
} states[] = {
	{ "23505", ERR_CONFLICT }, /* unique_violation */
	{ "23P01", ERR_CONFLICT }, /* exclusion_violation */
	{ "40001", ERR_TIMEOUT },  /* serialization_failure: retry */
	{ "40P01", ERR_TIMEOUT },  /* deadlock_detected: retry */
};

/* Checks res: 0 for a success, else the error its SQLSTATE maps to (logging real failures).
 * Clears res on failure. */
static int check(struct pg_conn *c, PGresult *res, const char *what)
{
	ExecStatusType s = PQresultStatus(res);
	const char *state;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		c->ran++;
		return 0;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	for (size_t i = 0; state && i < sizeof(states) / sizeof(states[0]); i++) {
		if (strcmp(state, states[i].state) == 0) {
			PQclear(res);
			return states[i].err;
		}
	}
	if (PQstatus(c->db) != CONNECTION_OK)
		c->broken = true;
	if (c->broken && c->ran == 0)
		log_warn("store: %s: the server had closed a pooled connection; trying a new one",
			 what);
	else
		log_error("store: %s: %s", what,
			  res ? PQresultErrorMessage(res) : PQerrorMessage(c->db));
	PQclear(res);
	return ERR_DB;
}

/* Prepares slot's statement on c unless it already is. */
static int prepare(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
		   char *name, size_t len)
{
	PGresult *res;
	int err;

	snprintf(name, len, "s%d", (int)slot);
	if (c->prepared[slot])
		return 0;
	res = PQprepare(c->db, name, sql, 0, NULL);
	err = check(c, res, what);
	if (err)
		return err;
	PQclear(res);
	c->prepared[slot] = true;
	return 0;
}

int pg_run(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
	   const struct pg_args *a, PGresult **res)
{
	char name[16];
	int err;

	*res = NULL;
	err = prepare(c, slot, sql, what, name, sizeof(name));
	if (err)
		return err;
	*res = PQexecPrepared(c->db, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
	err = check(c, *res, what);
	if (err)
		*res = NULL;
	return err;
}

int pg_query(struct pg_conn *c, const char *sql, const char *what, const struct pg_args *a,
	     PGresult **res)
{
	int err;

	*res = PQexecParams(c->db, sql, a ? a->n : 0, NULL, a ? a->v : NULL, NULL, NULL, 0);
	err = check(c, *res, what);
	if (err)
		*res = NULL;
	return err;
}

int pg_exec(struct pg_conn *c, const char *sql, const char *what)
{
	PGresult *res = PQexec(c->db, sql);
	int err = check(c, res, what);

	if (!err)
		PQclear(res);
	return err;
}

int64_t pg_rows(const PGresult *res)
{
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return PQntuples(res);
	return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

int pg_do(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
	  const struct pg_args *a, int64_t *changed)
{
	PGresult *res;
	int err = pg_run(c, slot, sql, what, a, &res);

	if (err)
		return err;
	if (changed)
		*changed = pg_rows(res);
	PQclear(res);
	return 0;
}

/* One attempt of pg_tx on c. */
static int tx_once(struct pg_conn *c, int (*fn)(struct pg_conn *c, void *ctx), void *ctx)
{
	int err = pg_exec(c, "BEGIN", "begin");

	if (err)
		return err;
	err = fn(c, ctx);
	if (!err)
		return pg_exec(c, "COMMIT", "commit");
	if (pg_exec(c, "ROLLBACK", "rollback"))
		c->broken = true;
	return err;
}

/* Runs fn on a pooled connection (in a transaction when tx) until it is not to be run again:
 * after a deadlock, up to PG_TX_TRIES times; after finding the connection dead at its first
 * statement (the server restarted or the network dropped while it sat in the pool), once
 * more on a new connection. A connection that breaks later is not retried: its last
 * statement (a COMMIT) may have been applied. */
static int attempt(struct pg_store *st, bool tx, int (*fn)(struct pg_conn *c, void *ctx),
		   void *ctx)
{
	int deadlocks = 0, resets = 0;
	bool dead;
	int err;

	for (;;) {
		struct pg_conn *c;

		err = acquire(st, &c);
		if (err)
			return err;
		err = tx ? tx_once(c, fn, ctx) : fn(c, ctx);
		dead = c->broken && c->ran == 0;
		release(st, c);
		if (err == ERR_TIMEOUT && ++deadlocks < PG_TX_TRIES)
			continue;
		if (err == ERR_DB && dead && resets++ == 0)
			continue;
		break;
	}
	if (err == ERR_TIMEOUT) {
		log_error("store: a transaction lost %d deadlocks in a row", PG_TX_TRIES);
		err = ERR_DB;
	}
	return err;
}

int pg_result_check(struct pg_conn *c, PGresult *res, const char *what)
{
	return check(c, res, what);
}

int pg_tx(struct pg_store *st, int (*fn)(struct pg_conn *c, void *ctx), void *ctx)
{
	return attempt(st, true, fn, ctx);
}

int pg_with(struct pg_store *st, int (*fn)(struct pg_conn *c, void *ctx), void *ctx)
{
	return attempt(st, false, fn, ctx);
}

/* One statement for pg_stmt and pg_stmt_once. */
struct one {
	bool cached;
	enum pg_slot slot;
	const char *sql, *what;
	const struct pg_args *a;
	PGresult *res;
};

static int one_run(struct pg_conn *c, void *ctx)
{
	struct one *o = ctx;

	if (o->cached)
		return pg_run(c, o->slot, o->sql, o->what, o->a, &o->res);
	return pg_query(c, o->sql, o->what, o->a, &o->res);
}

/* Runs o with pg_with; *res is the owned result. */
static int one(struct pg_store *st, struct one *o, PGresult **res)
{
	int err = pg_with(st, one_run, o);

	*res = err ? NULL : o->res;
	return err;
}

int pg_stmt(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
	    const struct pg_args *a, PGresult **res)
{
	return one(st, &(struct one){ .cached = true, .slot = slot, .sql = sql, .what = what,
				      .a = a }, res);
}

int pg_stmt_rows(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
		 const struct pg_args *a, int64_t *rows)
{
	PGresult *res;
	int err = pg_stmt(st, slot, sql, what, a, &res);

	if (err)
		return err;
	if (rows)
		*rows = pg_rows(res);
	PQclear(res);
	return 0;
}

int pg_stmt_once(struct pg_store *st, const char *sql, const char *what,
		 const struct pg_args *a, PGresult **res)
{
	return one(st, &(struct one){ .sql = sql, .what = what, .a = a }, res);
}
