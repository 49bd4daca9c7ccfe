/* test_store_events.c - unit tests for the store's change notifications (store_notify,
 * store_watch) and the run event log (store_events_*), written against store.h only.
 *
 * Two store handles opened on one directory stand for two processes (two nodes): what one
 * announces or logs, the other must hear of and read. The suite store_events_pg runs the
 * same cases on PostgreSQL (both handles on a new database of the cluster of
 * ASSISTD_TEST_PG, which scripts/test.sh starts). */
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/base/err.h"
#include "../../src/store/store.h"
#include "suites.h"
#include "t_store.h"

#define HEAR_WAIT_MS 2000 /* how long a test waits for a topic that must come */

struct tdir {
	char root[64];
	char *dir;
};

static char project[32]; /* this test's project: "p<pid>" */
static char *pg_url;     /* on PostgreSQL: the test's new database */

/* On PostgreSQL, makes the test's database (the cluster is dropped with its databases). */
static void pg_fresh(void)
{
	char cmd[512];
	char db[64];

	if (!t_on_pg)
		return;
	snprintf(db, sizeof(db), "evlog_%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "scripts/pg.sh createdb '%s' %s >/dev/null",
		 getenv("ASSISTD_TEST_PG"), db);
	ASSERT_OK(system(cmd));
	pg_url = xasprintf("postgresql://postgres@/%s?host=%s", db, getenv("ASSISTD_TEST_PG"));
}

/* Opens a handle on the test's store: t's directory, or its PostgreSQL database. */
static int open_handle(const struct tdir *t, struct store **st)
{
	return store_open_url(pg_url, t->dir, st);
}

static void tdir_make(struct tdir *t)
{
	snprintf(project, sizeof(project), "p%d", (int)getpid());
	pg_fresh();
	snprintf(t->root, sizeof(t->root), "/tmp/assistd-evlog-XXXXXX");
	ASSERT(mkdtemp(t->root) != NULL);
	t->dir = xasprintf("%s/data", t->root);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void tdir_remove(struct tdir *t)
{
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t->dir);
	free(pg_url);
	pg_url = NULL;
}

/* What a watcher heard: the topics, joined with spaces. */
struct heard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char text[4096];
	int count;
};

static void heard_init(struct heard *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
}

static void on_topic(void *ctx, const char *topic)
{
	struct heard *h = ctx;
	size_t len;

	if (strcmp(topic, STORE_TOPIC_ALL) == 0)
		return; /* PostgreSQL's listener has started: nothing to check in it */
	pthread_mutex_lock(&h->mu);
	len = strlen(h->text);
	snprintf(h->text + len, sizeof(h->text) - len, "%s%s", len ? " " : "", topic);
	h->count++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Waits until h heard at least n topics or HEAR_WAIT_MS passed; returns what it heard. */
static const char *hear(struct heard *h, int n)
{
	int64_t until = clock_ms() + HEAR_WAIT_MS;

	pthread_mutex_lock(&h->mu);
	while (h->count < n && clock_ms() < until) {
		pthread_mutex_unlock(&h->mu);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return h->text;
}

/* Two handles of one store, each with a watcher recording what it hears. */
struct watched {
	struct tdir t;
	struct store *a, *b;
	struct heard ha, hb;
	void *ra, *rb;
};

/* Opens w's two handles and their watchers. Errors: as store_open's. */
static int watched_open(struct watched *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	tdir_make(&w->t);
	heard_init(&w->ha);
	heard_init(&w->hb);
	err = open_handle(&w->t, &w->a);
	if (!err)
		err = open_handle(&w->t, &w->b);
	if (err)
		return err;
	w->ra = store_watch(w->a, on_topic, &w->ha);
	w->rb = store_watch(w->b, on_topic, &w->hb);
	return 0;
}

static void watched_close(struct watched *w)
{
	if (w->ra)
		store_unwatch(w->a, w->ra);
	if (w->rb)
		store_unwatch(w->b, w->rb);
	if (w->a)
		store_close(w->a);
	if (w->b)
		store_close(w->b);
	tdir_remove(&w->t);
}

/* A topic reaches this handle's watchers at once and another handle's through the watch
 * thread, once each; a handle does not hear its own topics twice. */
static void notify_reaches_both_handles(void)
{
	struct watched w;

	ASSERT_OK(watched_open(&w));
	ASSERT_OK(store_notify(w.a, "run:r1"));
	ASSERT_STR_EQ(hear(&w.ha, 1), "run:r1");
	ASSERT_STR_EQ(hear(&w.hb, 1), "run:r1");
	ASSERT_OK(store_notify(w.b, "cmd:n2"));
	ASSERT_STR_EQ(hear(&w.hb, 2), "run:r1 cmd:n2");
	ASSERT_STR_EQ(hear(&w.ha, 2), "run:r1 cmd:n2");
	nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	ASSERT_EQ_INT(w.ha.count, 2);
	ASSERT_EQ_INT(w.hb.count, 2);
	watched_close(&w);
}

/* Topics announced before a watch began are not delivered to it; a topic too long is
 * refused. On PostgreSQL a handle LISTENs from the moment it opens, so an earlier topic may
 * still be on its way when the watch begins: delivery is a wake-up, and store.h allows an
 * extra one; the new topic must arrive all the same. */
static void watch_starts_now_and_topics_are_bounded(void)
{
	struct tdir t;
	struct store *a = NULL, *b = NULL;
	struct heard hb;
	char big[STORE_TOPIC_MAX + 2];
	void *rb;

	tdir_make(&t);
	heard_init(&hb);
	ASSERT_OK(open_handle(&t, &a));
	ASSERT_OK(open_handle(&t, &b));
	ASSERT_OK(store_notify(a, "old"));
	rb = store_watch(b, on_topic, &hb);
	ASSERT_OK(store_notify(a, "new"));
	if (t_on_pg && strncmp(hear(&hb, 1), "old", 3) == 0)
		ASSERT_STR_EQ(hear(&hb, 2), "old new");
	else
		ASSERT_STR_EQ(hear(&hb, 1), "new");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ_INT(store_notify(a, big), ERR_INVALID);
	store_unwatch(b, rb);
	store_close(a);
	store_close(b);
	tdir_remove(&t);
}

static void append(struct store *st, const char *run, const char *name, bool final,
		   const char *topic)
{
	struct store_event ev = { .project = project, .run_id = run, .name = name, .data = "{}", .final = final };

	ASSERT_OK(store_events_append(st, &ev, 1, &topic, topic ? 1 : 0, NULL));
}

/* The log of one run, read from another handle, in order, from any position; other runs
 * and other projects stay out; the appending transaction's topics arrive. */
static void log_is_read_in_order_anywhere(void)
{
	struct tdir t;
	struct store *a = NULL, *b = NULL;
	struct store_events l = { 0 };
	struct heard hb;
	int64_t last = 0;
	void *rb;

	tdir_make(&t);
	heard_init(&hb);
	ASSERT_OK(open_handle(&t, &a));
	ASSERT_OK(open_handle(&t, &b));
	rb = store_watch(b, on_topic, &hb);
	append(a, "r1", "thread.run.created", false, NULL);
	append(a, "r2", "thread.run.created", false, NULL);
	append(a, "r1", "thread.run.queued", false, NULL);
	append(a, "r1", "thread.run.completed", true, "events:r1");
	ASSERT_STR_EQ(hear(&hb, 1), "events:r1");
	ASSERT_OK(store_events_read(b, project, "r1", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 3);
	ASSERT_STR_EQ(l.items[0].name, "thread.run.created");
	ASSERT_STR_EQ(l.items[2].name, "thread.run.completed");
	ASSERT(l.items[2].final && !l.items[1].final);
	ASSERT(l.items[0].id < l.items[1].id && l.items[1].id < l.items[2].id);
	ASSERT_OK(store_events_last(b, project, "r1", &last));
	ASSERT_EQ_INT(last, l.items[2].id);
	store_events_cleanup(&l);
	ASSERT_OK(store_events_read(b, project, "r1", last - 1, 1, &l));
	ASSERT_EQ_INT(l.n, 1);
	ASSERT_STR_EQ(l.items[0].name, "thread.run.completed");
	store_events_cleanup(&l);
	ASSERT_OK(store_events_read(b, "other", "r1", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 0);
	ASSERT_OK(store_events_last(b, project, "r9", &last));
	ASSERT_EQ_INT(last, 0);
	store_unwatch(b, rb);
	store_close(a);
	store_close(b);
	tdir_remove(&t);
}

/* An append reports each event's id, in order, as a read finds them (what a node that loses
 * a run streams on from). */
static void append_reports_ids(void)
{
	struct tdir t;
	struct store *st = NULL;
	struct store_events l = { 0 };
	struct store_event evs[3] = {
		{ .project = project, .run_id = "r1", .name = "a", .data = "{}" },
		{ .project = project, .run_id = "r2", .name = "b", .data = "{}" },
		{ .project = project, .run_id = "r1", .name = "c", .data = "{}" },
	};
	const char *topic = "events:r1";
	int64_t ids[3] = { 0 };

	tdir_make(&t);
	ASSERT_OK(open_handle(&t, &st));
	append(st, "r1", "first", false, NULL);
	ASSERT_OK(store_events_append(st, evs, 3, &topic, 1, ids));
	ASSERT_OK(store_events_read(st, project, "r1", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 3);
	ASSERT(ids[0] == l.items[1].id && ids[2] == l.items[2].id);
	store_events_cleanup(&l);
	ASSERT_OK(store_events_read(st, project, "r2", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 1);
	ASSERT(ids[1] == l.items[0].id && ids[0] < ids[1] && ids[1] < ids[2]);
	store_events_cleanup(&l);
	store_close(st);
	tdir_remove(&t);
}

/* Pruning removes an ended run's log after the keep time, keeps a run whose last event is
 * not final (it goes on after requires_action), and drops anything past the longest time. */
static void prune_keeps_live_logs(void)
{
	struct tdir t;
	struct store *st = NULL;
	struct store_events l = { 0 };
	int64_t now = clock_unix();

	tdir_make(&t);
	ASSERT_OK(open_handle(&t, &st));
	append(st, "ended", "thread.run.completed", true, NULL);
	append(st, "waits", "thread.run.requires_action", true, NULL);
	append(st, "waits", "thread.run.queued", false, NULL);
	ASSERT_OK(store_events_prune(st, now));
	ASSERT_OK(store_events_read(st, project, "ended", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 1); /* not yet past the keep time */
	store_events_cleanup(&l);
	ASSERT_OK(store_events_prune(st, now + STORE_EVENTS_KEEP_S + 5)); /* the clock may tick */
	ASSERT_OK(store_events_read(st, project, "ended", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 0);
	ASSERT_OK(store_events_read(st, project, "waits", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 2);
	store_events_cleanup(&l);
	ASSERT_OK(store_events_prune(st, now + STORE_EVENTS_MAX_S + 5));
	ASSERT_OK(store_events_read(st, project, "waits", 0, 10, &l));
	ASSERT_EQ_INT(l.n, 0);
	store_close(st);
	tdir_remove(&t);
}

/* Posting a command announces its owner's topic, answering it the command's: the owner and
 * the poster (another handle each) are woken without polling. An owner too long for a topic
 * is cut to fit. */
static void commands_and_answers_are_announced(void)
{
	struct watched w;
	char owner[STORE_TOPIC_MAX + 8];
	char topic[STORE_TOPIC_MAX + 1];

	ASSERT_OK(watched_open(&w));
	ASSERT_OK(store_cmd_post(w.a, "cmd_t1", project, "run_1", "nodeb#boot", "cancel", 1));
	ASSERT_STR_EQ(hear(&w.hb, 1), STORE_TOPIC_CMD "nodeb#boot");
	ASSERT_OK(store_cmd_answer(w.b, "cmd_t1", 0, "{}"));
	ASSERT_STR_EQ(hear(&w.ha, 2), "cmd:nodeb#boot answer:cmd_t1");
	ASSERT_OK(store_cmd_remove(w.a, "cmd_t1"));
	memset(owner, 'n', sizeof(owner) - 1);
	owner[sizeof(owner) - 1] = '\0';
	store_cmd_topic(topic, owner);
	ASSERT_EQ_INT(strlen(topic), STORE_TOPIC_MAX);
	ASSERT_OK(store_cmd_post(w.a, "cmd_t2", project, "run_1", owner, "cancel", 2));
	ASSERT_EQ_INT(strlen(hear(&w.hb, 3)), strlen("cmd:nodeb#boot answer:cmd_t1 ") + STORE_TOPIC_MAX);
	ASSERT_OK(store_cmd_remove(w.a, "cmd_t2"));
	watched_close(&w);
}

#define PG_CASES(X)                                                                        \
	X(notify_reaches_both_handles) X(watch_starts_now_and_topics_are_bounded)             \
	X(log_is_read_in_order_anywhere) X(append_reports_ids) X(prune_keeps_live_logs)      \
	X(commands_and_answers_are_announced)

const struct t_case store_events_tests[] = {
	PG_CASES(T_ENTRY)
	{ NULL, NULL },
};

PG_CASES(T_PG_WRAP)

const struct t_case store_events_pg_tests[] = {
	PG_CASES(T_PG_ENTRY)
	{ NULL, NULL },
};
