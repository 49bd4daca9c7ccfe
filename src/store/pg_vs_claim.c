/* pg_vs_claim.c - which node runs an ingestion job, on PostgreSQL (pg_vs_int.h).
 *
 * Several nodes ingest at once, so a job is run by the node that holds its claim: a
 * session-level advisory lock, keyed by the job (project, store, file and seq: attaching the
 * file again makes a new job), taken on a connection of the node's own that it keeps for
 * nothing else. A node that dies takes its connection, and so its claims, with it: another
 * node (or the same one restarted) can take its jobs over at once, with no lease to wait out
 * and none to renew while a long file is parsed. The claim's holder is also written into the
 * job's row (vs_files.claimed_by), and writing chunks or finishing requires it there: a node
 * that lost its claim without dying (its claims connection broke, and another node took the
 * job over) is turned away and stops, as for a cancelled file. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "pg_vs_int.h"

#define UNLOCK_MAX 8 /* a claim taken again after a retried transaction stacks: undo all */

/* The lock's key text for j. Owned. */
static char *claim_key(const struct vs_job *j)
{
	return xasprintf("%s/%s/%s/%lld", j->project, j->vs, j->file, (long long)j->seq);
}

/* Unlocking a claim this session does not hold warns: expected, not worth a log line. */
static void quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* Runs one advisory lock function on the claims connection (reconnecting it when it broke)
 * and reads its boolean answer. Called with s->claim_mu held. */
static bool claim_call(struct pg_vs_state *s, const char *sql, const char *key)
{
	const char *params[1] = { key };
	PGresult *r;
	bool yes;

	if (s->claims && PQstatus(s->claims) != CONNECTION_OK) {
		PQfinish(s->claims);
		s->claims = NULL;
	}
	if (!s->claims) {
		s->claims = PQconnectdb(s->conninfo);
		PQsetNoticeReceiver(s->claims, quiet, NULL);
	}
	r = PQexecParams(s->claims, sql, 1, NULL, params, NULL, NULL, 0);
	yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	      strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		log_warn("store: ingestion claims: %s", PQerrorMessage(s->claims));
	PQclear(r);
	return yes;
}

bool pg_claim_take(struct pg_vs_state *s, const struct vs_job *j)
{
	char *key = claim_key(j);
	bool got;

	pthread_mutex_lock(&s->claim_mu);
	got = claim_call(s, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key);
	pthread_mutex_unlock(&s->claim_mu);
	free(key);
	return got;
}

void pg_claim_drop(struct pg_vs_state *s, const struct vs_job *j)
{
	char *key = claim_key(j);

	pthread_mutex_lock(&s->claim_mu);
	for (int i = 0; i < UNLOCK_MAX; i++) {
		if (!claim_call(s, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key))
			break;
	}
	pthread_mutex_unlock(&s->claim_mu);
	free(key);
}
