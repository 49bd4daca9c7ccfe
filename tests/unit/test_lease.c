/* test_lease.c - unit tests for run leases and run commands (store.h, sqlite_lease.c,
 * pg_lease.c): who may claim a run, renewing, fencing a node's writes, lapsed runs, commands
 * between nodes and their pruning, and what a run was created with (its origin). Each case
 * runs on both backends (t_store.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/err.h"
#include "../../src/store/store.h"
#include "suites.h"
#include "t_store.h"

/* Writes thread t1 and run id (status) in project p, the run leased to owner (NULL: none)
 * until `until`. */
static int put_run(struct store *st, const char *id, const char *status, const char *owner,
		   int64_t until)
{
	struct store_op ops[3] = {
		{ .type = STORE_PUT, .obj = { .kind = STORE_THREAD, .id = "t1", .body = "{}" } },
		{ .type = STORE_PUT, .obj = { .kind = STORE_RUN, .id = id, .parent = "t1",
					     .status = status, .body = "{}" } },
		{ .type = STORE_SET_LEASE, .obj = { .kind = STORE_RUN, .id = id },
		  .lease = owner, .lease_until = until },
	};

	return store_write(st, "p", ops, 3);
}

static bool claim(struct store *st, const char *id, const char *owner, const char *former,
		  int64_t now, bool parked)
{
	struct store_claim c = { .owner = owner, .former = former, .now = now,
				 .until = now + 1000, .parked = parked };
	bool got = false;

	ASSERT_OK(store_lease_claim(st, "p", id, &c, &got));
	return got;
}

static const char *owner_of(struct store *st, const char *id)
{
	static char buf[64];
	char *o = NULL;

	ASSERT_OK(store_lease_owner(st, "p", id, &o));
	snprintf(buf, sizeof(buf), "%s", o ? o : "(none)");
	free(o);
	return buf;
}

static void claim_takes_free_lapsed_and_former_leases(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 5000));
	ASSERT(!claim(t.st, "r1", "b#1", NULL, 4000, false));   /* held and live */
	ASSERT(claim(t.st, "r1", "a#1", NULL, 4000, false));    /* its own */
	ASSERT(claim(t.st, "r1", "b#1", NULL, 5001, false));    /* lapsed */
	ASSERT_STR_EQ(owner_of(t.st, "r1"), "b#1");
	ASSERT(!claim(t.st, "r1", "a#2", "a#", 5500, false));   /* b is not a's former self */
	ASSERT(claim(t.st, "r1", "b#2", "b#", 5500, false));    /* b restarted */
	ASSERT_STR_EQ(owner_of(t.st, "r1"), "b#2");
	ASSERT_OK(put_run(t.st, "r2", "requires_action", "a#1", 9000));
	ASSERT(!claim(t.st, "r2", "b#1", NULL, 4000, false));
	ASSERT(claim(t.st, "r2", "b#1", NULL, 4000, true));     /* parked runs move */
	ASSERT_OK(put_run(t.st, "r3", "queued", NULL, 0));
	ASSERT(claim(t.st, "r3", "c#1", NULL, 1, false));       /* nobody's */
	ASSERT(!claim(t.st, "nope", "c#1", NULL, 1, false));
	tstore_close(&t);
}

static void writes_are_fenced_by_the_lease(void)
{
	struct tstore t;
	struct store_op ops[2] = {
		{ .type = STORE_EXPECT_LEASE, .obj = { .kind = STORE_RUN, .id = "r1" },
		  .lease = "a#1" },
		{ .type = STORE_PUT, .obj = { .kind = STORE_STEP, .id = "s1", .parent = "r1",
					     .status = "in_progress", .body = "{}" },
		  .expect_version = -1 },
	};
	char *body = NULL;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 5000));
	ASSERT_OK(store_write(t.st, "p", ops, 2));
	ASSERT(claim(t.st, "r1", "b#1", NULL, 6000, false));
	ops[1].obj.id = "s2";
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 2), ERR_LEASE);
	ASSERT_EQ_INT(store_get(t.st, "p", STORE_STEP, "s2", NULL, &body, NULL), ERR_NOT_FOUND);
	ops[0].obj.id = "gone";
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 2), ERR_NOT_FOUND);
	tstore_close(&t);
}

static void renew_moves_every_lease_of_an_owner(void)
{
	struct tstore t;
	int64_t held = 0;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 1000));
	ASSERT_OK(put_run(t.st, "r2", "in_progress", "a#1", 1000));
	ASSERT_OK(put_run(t.st, "r3", "in_progress", "b#1", 1000));
	ASSERT_OK(store_lease_renew(t.st, "a#1", 9000, &held));
	ASSERT_EQ_INT(held, 2);
	ASSERT(!claim(t.st, "r1", "b#1", NULL, 5000, false));
	ASSERT(claim(t.st, "r3", "a#1", NULL, 5000, false)); /* b did not renew */
	tstore_close(&t);
}

static void lapsed_lists_active_runs_nobody_holds(void)
{
	struct tstore t;
	struct store_claim c = { .owner = "b#1", .former = "b#", .now = 5000 };
	struct store_list l;
	char **projects = NULL;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 4000)); /* lapsed */
	ASSERT_OK(put_run(t.st, "r2", "in_progress", "a#1", 9000)); /* live */
	ASSERT_OK(put_run(t.st, "r3", "completed", NULL, 0));       /* finished */
	ASSERT_OK(put_run(t.st, "r4", "queued", NULL, 0));          /* nobody's */
	ASSERT_OK(put_run(t.st, "r5", "queued", "b#0", 9000));      /* b's former self */
	ASSERT_OK(put_run(t.st, "r6", "queued", "b#1", 9000));      /* b's own */
	ASSERT_OK(store_lease_lapsed(t.st, &c, 10, &l, &projects));
	ASSERT_EQ_INT(l.n, 3);
	ASSERT_STR_EQ(l.items[0].id, "r1");
	ASSERT_STR_EQ(l.items[1].id, "r4");
	ASSERT_STR_EQ(l.items[2].id, "r5");
	ASSERT_STR_EQ(projects[0], "p");
	store_projects_free(projects, l.n);
	store_list_cleanup(&l);
	tstore_close(&t);
}

static void commands_reach_their_owner_and_come_back(void)
{
	struct tstore t;
	struct store_cmd *cmds = NULL;
	size_t n = 0;
	bool done = true;
	int err = -1;
	char *answer = NULL;
	int64_t held = -1;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 5000));
	ASSERT_OK(store_cmd_post(t.st, "c1", "p", "r1", "a#1", "cancel", 1));
	ASSERT_OK(store_cmd_post(t.st, "c2", "p", "r2", "b#1", "cancel", 2));
	ASSERT_OK(store_cmd_take(t.st, "a#1", &cmds, &n, &held));
	ASSERT_EQ_INT(n, 1);
	ASSERT_EQ_INT(held, 1);
	ASSERT_STR_EQ(cmds[0].id, "c1");
	ASSERT_STR_EQ(cmds[0].run_id, "r1");
	ASSERT_STR_EQ(cmds[0].kind, "cancel");
	store_cmds_free(cmds, n);
	ASSERT_OK(store_cmd_result(t.st, "c1", &done, &err, &answer));
	ASSERT(!done);
	ASSERT_OK(store_cmd_answer(t.st, "c1", ERR_INVALID, "finished"));
	ASSERT_OK(store_cmd_take(t.st, "a#1", &cmds, &n, &held));
	ASSERT_EQ_INT(n, 0);
	store_cmds_free(cmds, n);
	ASSERT_OK(store_cmd_result(t.st, "c1", &done, &err, &answer));
	ASSERT(done);
	ASSERT_EQ_INT(err, ERR_INVALID);
	ASSERT_STR_EQ(answer, "finished");
	free(answer);
	ASSERT_EQ_INT(store_cmd_result(t.st, "c1", &done, &err, &answer), ERR_NOT_FOUND);
	ASSERT_OK(store_cmd_remove(t.st, "c2"));
	ASSERT_OK(store_cmd_take(t.st, "b#1", &cmds, &n, &held));
	ASSERT_EQ_INT(n, 0);
	store_cmds_free(cmds, n);
	tstore_close(&t);
}

/* A thread's session hold reads back while it lasts, is renewed with its owner's run
 * leases and lapses after; it is no run lease (store_cmd_take does not count it); an
 * unknown thread cannot be held. */
static void session_holds_are_thread_leases(void)
{
	struct tstore t;
	struct store_cmd *cmds = NULL;
	size_t n = 0;
	char *owner = NULL;
	int64_t held = -1;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "in_progress", "a#1", 5000));
	ASSERT_OK(store_session_hold(t.st, "p", "t1", "a#1", 2000));
	ASSERT_OK(store_session_owner(t.st, "p", "t1", 1500, &owner));
	ASSERT_STR_EQ(owner, "a#1");
	free(owner);
	ASSERT_OK(store_session_owner(t.st, "p", "t1", 2500, &owner));
	ASSERT(owner == NULL);
	ASSERT_OK(store_lease_renew(t.st, "a#1", 9000, &held));
	ASSERT_EQ_INT(held, 2);
	ASSERT_OK(store_session_owner(t.st, "p", "t1", 2500, &owner));
	ASSERT_STR_EQ(owner, "a#1");
	free(owner);
	ASSERT_OK(store_cmd_take(t.st, "a#1", &cmds, &n, &held));
	ASSERT_EQ_INT(held, 1);
	store_cmds_free(cmds, n);
	ASSERT_OK(store_session_owner(t.st, "q", "t1", 2500, &owner));
	ASSERT(owner == NULL);
	ASSERT_EQ_INT(store_session_hold(t.st, "p", "t9", "a#1", 2000), ERR_NOT_FOUND);
	tstore_close(&t);
}

/* A run's origin (STORE_SET_RUN_ORIGIN) reads back, stays out of its body, and survives
 * the run's replacement (the engine's writes); a run without one has none. */
static void run_origin_is_kept_apart(void)
{
	struct tstore t;
	struct store_op op = { .type = STORE_SET_RUN_ORIGIN, .obj = { .kind = STORE_RUN, .id = "r1" },
			       .run_key = "abc123", .run_include = STORE_INCLUDE_CONTENT };
	struct store_op put = { .type = STORE_PUT, .obj = { .kind = STORE_RUN, .id = "r1",
							    .parent = "t1", .status = "in_progress",
							    .body = "{\"v\":2}" } };
	char *key = NULL;
	char *body = NULL;
	int64_t include = -1;

	tstore_open(&t);
	ASSERT_OK(put_run(t.st, "r1", "queued", NULL, 0));
	ASSERT_OK(store_run_origin(t.st, "p", "r1", &key, &include));
	ASSERT(key == NULL);
	ASSERT_EQ_INT(include, 0);
	ASSERT_OK(store_write(t.st, "p", &op, 1));
	ASSERT_OK(store_write(t.st, "p", &put, 1));
	ASSERT_OK(store_run_origin(t.st, "p", "r1", &key, &include));
	ASSERT_STR_EQ(key, "abc123");
	ASSERT_EQ_INT(include, STORE_INCLUDE_CONTENT);
	free(key);
	ASSERT_OK(store_get(t.st, "p", STORE_RUN, "r1", NULL, &body, NULL));
	ASSERT_STR_EQ(body, "{\"v\":2}");
	free(body);
	ASSERT_EQ_INT(store_run_origin(t.st, "q", "r1", &key, &include), ERR_NOT_FOUND);
	op.obj.id = "r9";
	ASSERT_EQ_INT(store_write(t.st, "p", &op, 1), ERR_NOT_FOUND);
	tstore_close(&t);
}

/* Commands posted before the cut go, answered or not; later ones stay. */
static void old_commands_are_pruned(void)
{
	struct tstore t;
	bool done = true;
	int err = -1;
	char *answer = NULL;
	int64_t removed = -1;

	tstore_open(&t);
	ASSERT_OK(store_cmd_post(t.st, "c1", "p", "r1", "gone#1", "start", 100));
	ASSERT_OK(store_cmd_post(t.st, "c2", "p", "r2", "a#1", "cancel", 120));
	ASSERT_OK(store_cmd_answer(t.st, "c2", 0, "{}"));
	ASSERT_OK(store_cmd_post(t.st, "c3", "p", "r3", "a#1", "cancel", 200));
	ASSERT_OK(store_cmd_prune(t.st, 150, &removed));
	ASSERT_EQ_INT(removed, 2);
	ASSERT_EQ_INT(store_cmd_result(t.st, "c1", &done, &err, &answer), ERR_NOT_FOUND);
	ASSERT_EQ_INT(store_cmd_result(t.st, "c2", &done, &err, &answer), ERR_NOT_FOUND);
	ASSERT_OK(store_cmd_result(t.st, "c3", &done, &err, &answer));
	ASSERT(!done);
	ASSERT_OK(store_cmd_prune(t.st, 150, NULL));
	ASSERT_OK(store_cmd_result(t.st, "c3", &done, &err, &answer));
	tstore_close(&t);
}

#define PG_CASES(X)                                                                        \
	X(session_holds_are_thread_leases) X(claim_takes_free_lapsed_and_former_leases)       \
	X(writes_are_fenced_by_the_lease) X(renew_moves_every_lease_of_an_owner)              \
	X(lapsed_lists_active_runs_nobody_holds) X(commands_reach_their_owner_and_come_back)  \
	X(run_origin_is_kept_apart) X(old_commands_are_pruned)

const struct t_case lease_tests[] = {
	PG_CASES(T_ENTRY)
	{ NULL, NULL },
};

PG_CASES(T_PG_WRAP)

const struct t_case lease_pg_tests[] = {
	PG_CASES(T_PG_ENTRY)
	{ NULL, NULL },
};
