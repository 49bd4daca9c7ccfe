/* test_store.c - unit tests for src/store: the store.h contract, run against the SQLite store
 * (suite "store") and the PostgreSQL store (suite "store_pg").
 *
 * Each test opens a store in a fresh directory under /tmp and removes it at the end. The
 * cases are written against store.h only, so both backends run the same ones: store_pg runs
 * them on a fresh database of the throwaway cluster whose socket directory scripts/test.sh
 * puts in ASSISTD_TEST_PG (scripts/pg.sh), and is skipped, with a note, without one. */
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/err.h"
#include "../../src/store/store.h"
#include "suites.h"
#include "t_store.h"

static int put(struct store *st, const char *project, enum store_kind kind, const char *id,
	       const char *parent, int64_t created_at, int64_t expect)
{
	struct store_obj o = {
		.kind = kind,
		.id = id,
		.parent = parent,
		.created_at = created_at,
		.body = id,
	};

	return store_put(st, project, &o, expect);
}

static int put_run(struct store *st, const char *project, const char *id, const char *thread,
		   const char *status, int64_t created_at)
{
	struct store_obj o = {
		.kind = STORE_RUN,
		.id = id,
		.parent = thread,
		.status = status,
		.created_at = created_at,
		.body = status,
	};

	return store_put(st, project, &o, 0);
}

/* store_get's result as a string: the body, or the error's name. Not thread-safe: the result
 * is a static buffer, overwritten by the next call. */
static const char *get(struct store *st, const char *project, enum store_kind kind,
		       const char *id, const char *parent)
{
	static char out[256];
	char *body = NULL;
	int err = store_get(st, project, kind, id, parent, &body, NULL);

	if (err)
		snprintf(out, sizeof(out), "%s", err_name(err));
	else
		snprintf(out, sizeof(out), "%s", body);
	free(body);
	return out;
}

/* A page as "id,id,id", with " more" when has_more, or the error's name. Not thread-safe,
 * like get(). */
static const char *page_str(struct store *st, const char *project, enum store_kind kind,
			    const char *parent, const struct store_page *pg)
{
	static char out[1024];
	struct store_list l;
	size_t len = 0;
	int err = store_list(st, project, kind, parent, pg, &l);

	out[0] = '\0';
	if (err) {
		snprintf(out, sizeof(out), "%s", err_name(err));
		return out;
	}
	for (size_t i = 0; i < l.n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "",
					l.items[i].id);
	if (l.has_more)
		snprintf(out + len, sizeof(out) - len, " more");
	store_list_cleanup(&l);
	return out;
}

#define PAGE(st, kind, parent, ...) \
	page_str((st), "p", (kind), (parent), &(struct store_page){ __VA_ARGS__ })

static void open_creates_schema_and_reopen_keeps_data(void)
{
	struct tstore t;
	struct stat sb;
	char *body = NULL;
	int64_t version = 0;

	tstore_open(&t);
	if (!t_on_pg) {
		ASSERT_OK(stat(t.dir, &sb));
		ASSERT_EQ_INT(sb.st_mode & 0777, 0700);
	}
	ASSERT_OK(put(t.st, "p", STORE_ASSISTANT, "asst_a", NULL, 100, -1));
	ASSERT_OK(put(t.st, "p", STORE_ASSISTANT, "asst_a", NULL, 100, 1));
	store_close(t.st);
	ASSERT_OK(tstore_reopen(&t, &t.st));
	ASSERT_OK(store_get(t.st, "p", STORE_ASSISTANT, "asst_a", NULL, &body, &version));
	ASSERT_STR_EQ(body, "asst_a");
	ASSERT_EQ_INT(version, 2);
	free(body);
	/* Insertion order continues across a reopen: a tie on created_at sorts after. */
	ASSERT_OK(put(t.st, "p", STORE_ASSISTANT, "asst_b", NULL, 100, -1));
	ASSERT_STR_EQ(PAGE(t.st, STORE_ASSISTANT, NULL, .limit = 10), "asst_a,asst_b");
	store_close(NULL);
	tstore_close(&t);
}

static void open_makes_nested_dirs_and_reports_errors(void)
{
	struct tstore t;
	struct store *st = NULL;
	char *deep;
	char *file;
	FILE *f;

	tstore_open(&t);
	deep = xasprintf("%s/a/b/c", t.root);
	ASSERT_OK(store_open(deep, &st));
	store_close(st);
	/* A regular file where the directory should be. */
	file = xasprintf("%s/file", t.root);
	f = fopen(file, "w");
	ASSERT(f != NULL);
	fclose(f);
	ASSERT_EQ_INT(store_open(file, &st), ERR_DB);
	ASSERT(st == NULL);
	free(deep);
	free(file);
	tstore_close(&t);
}

static void put_get_and_versions(void)
{
	struct tstore t;
	struct store_obj o = { .kind = STORE_THREAD, .id = "thread_1", .created_at = 5 };
	char *body = NULL;
	int64_t version = 0;

	tstore_open(&t);
	o.body = "{\"v\":1}";
	ASSERT_OK(store_put(t.st, "p", &o, -1));
	ASSERT_OK(store_get(t.st, "p", STORE_THREAD, "thread_1", NULL, &body, &version));
	ASSERT_STR_EQ(body, "{\"v\":1}");
	ASSERT_EQ_INT(version, 1);
	free(body);
	o.body = "{\"v\":2}";
	ASSERT_OK(store_put(t.st, "p", &o, 0));
	o.body = "{\"v\":3}";
	ASSERT_OK(store_put(t.st, "p", &o, 2));
	ASSERT_OK(store_get(t.st, "p", STORE_THREAD, "thread_1", NULL, &body, &version));
	ASSERT_STR_EQ(body, "{\"v\":3}");
	ASSERT_EQ_INT(version, 3);
	free(body);
	/* version may be NULL; another kind with the same id does not exist. */
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "thread_1", NULL), "{\"v\":3}");
	ASSERT_STR_EQ(get(t.st, "p", STORE_ASSISTANT, "thread_1", NULL), "ERR_NOT_FOUND");
	ASSERT_EQ_INT(store_get(t.st, "p", STORE_THREAD, "nope", NULL, &body, NULL),
		      ERR_NOT_FOUND);
	ASSERT(body == NULL);
	tstore_close(&t);
}

static void expect_version_conflicts(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_1", NULL, 1, -1));
	ASSERT_EQ_INT(put(t.st, "p", STORE_THREAD, "thread_1", NULL, 1, -1), ERR_CONFLICT);
	ASSERT_EQ_INT(put(t.st, "p", STORE_THREAD, "thread_1", NULL, 1, 2), ERR_CONFLICT);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_1", NULL, 1, 1));
	ASSERT_EQ_INT(put(t.st, "p", STORE_THREAD, "thread_1", NULL, 1, 1), ERR_CONFLICT);
	ASSERT_EQ_INT(put(t.st, "p", STORE_THREAD, "thread_gone", NULL, 1, 3), ERR_NOT_FOUND);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_new", NULL, 1, 0));
	/* The id is taken by another kind or collection: not this object, and not free. */
	ASSERT_OK(put(t.st, "p", STORE_MESSAGE, "msg_1", "thread_1", 1, -1));
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "msg_1", "thread_new", 1, 0), ERR_CONFLICT);
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "msg_1", "thread_new", 1, 1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put(t.st, "p", STORE_RUN, "msg_1", "thread_1", 1, 0), ERR_CONFLICT);
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "msg_1", "thread_1"), "msg_1");
	tstore_close(&t);
}

static void projects_are_isolated(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_ASSISTANT, "asst_1", NULL, 1, -1));
	ASSERT_STR_EQ(get(t.st, "q", STORE_ASSISTANT, "asst_1", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(page_str(t.st, "q", STORE_ASSISTANT, NULL,
			       &(struct store_page){ .limit = 5 }),
		      "");
	ASSERT_EQ_INT(put(t.st, "q", STORE_ASSISTANT, "asst_1", NULL, 1, 1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(store_delete(t.st, "q", STORE_ASSISTANT, "asst_1", NULL), ERR_NOT_FOUND);
	ASSERT_STR_EQ(page_str(t.st, "q", STORE_ASSISTANT, NULL,
			       &(struct store_page){ .limit = 5, .after = "asst_1" }),
		      "ERR_INVALID");
	/* The same id in another project is another object. */
	ASSERT_OK(put(t.st, "q", STORE_ASSISTANT, "asst_1", NULL, 1, -1));
	ASSERT_OK(store_delete(t.st, "q", STORE_ASSISTANT, "asst_1", NULL));
	ASSERT_STR_EQ(get(t.st, "p", STORE_ASSISTANT, "asst_1", NULL), "asst_1");
	tstore_close(&t);
}

static void get_checks_parent(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_a", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_b", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p", STORE_MESSAGE, "msg_1", "thread_a", 1, -1));
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "msg_1", "thread_a"), "msg_1");
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "msg_1", NULL), "msg_1");
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "msg_1", "thread_b"), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "thread_a", "thread_b"), "ERR_NOT_FOUND");
	tstore_close(&t);
}

/* Five assistants whose order by (created_at, insertion) is d b e a c. */
static void put_five(struct store *st)
{
	ASSERT_OK(put(st, "p", STORE_ASSISTANT, "a", NULL, 5, -1));
	ASSERT_OK(put(st, "p", STORE_ASSISTANT, "b", NULL, 3, -1));
	ASSERT_OK(put(st, "p", STORE_ASSISTANT, "c", NULL, 5, -1));
	ASSERT_OK(put(st, "p", STORE_ASSISTANT, "d", NULL, 1, -1));
	ASSERT_OK(put(st, "p", STORE_ASSISTANT, "e", NULL, 3, -1));
}

static void list_orders_and_limits(void)
{
	struct tstore t;
	enum store_kind k = STORE_ASSISTANT;

	tstore_open(&t);
	put_five(t.st);
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 100), "d,b,e,a,c");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 100, .desc = true), "c,a,e,b,d");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2), "d,b more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 4, .desc = true), "c,a,e,b more");
	/* has_more is exact: a page that ends on the last object says so. */
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 5), "d,b,e,a,c");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 1, .after = "a"), "c");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 1, .after = "e"), "a more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 0), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = STORE_LIST_MAX + 1), "ERR_INVALID");
	/* Replacing an object keeps its place, whatever created_at the new version carries. */
	ASSERT_OK(put(t.st, "p", k, "d", NULL, 99, 1));
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 100), "d,b,e,a,c");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 100), "");
	tstore_close(&t);
}

static void list_after_and_before(void)
{
	struct tstore t;
	enum store_kind k = STORE_ASSISTANT;

	tstore_open(&t);
	put_five(t.st); /* ascending: d b e a c */
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .after = "b"), "e,a more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .after = "a"), "c");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .after = "c"), "");
	/* before alone is the previous page: the objects just before it; has_more tells
	 * whether more lie beyond the page, away from the cursor. */
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .before = "a"), "b,e more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .before = "e"), "d,b");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .before = "d"), "");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 10, .after = "d", .before = "c"), "b,e,a");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .after = "d", .before = "c"), "b,e more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .after = "e", .before = "a"), "");
	/* descending: c a e b d */
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .desc = true, .after = "a"), "e,b more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 2, .desc = true, .after = "b"), "d");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 1, .desc = true, .before = "e"), "a more");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 5, .desc = true, .before = "a"), "c");
	ASSERT_STR_EQ(PAGE(t.st, k, NULL, .limit = 5, .desc = true, .after = "c", .before = "b"),
		      "a,e");
	tstore_close(&t);
}

static void list_rejects_foreign_cursors(void)
{
	struct tstore t;
	enum store_kind k = STORE_MESSAGE;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_a", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_b", NULL, 1, -1));
	ASSERT_OK(put(t.st, "q", STORE_THREAD, "thread_a", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p", k, "msg_1", "thread_a", 1, -1));
	ASSERT_OK(put(t.st, "p", k, "msg_2", "thread_b", 1, -1));
	ASSERT_OK(put(t.st, "p", STORE_RUN, "run_1", "thread_a", 1, -1));
	ASSERT_OK(put(t.st, "q", k, "msg_3", "thread_a", 1, -1));
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .after = "nope"), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .before = "nope"), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .after = "msg_2"), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .after = "run_1"), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .after = "msg_3"), "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .after = "msg_1", .before = "x"),
		      "ERR_INVALID");
	ASSERT_STR_EQ(PAGE(t.st, k, "thread_a", .limit = 5, .before = "msg_1"), "");
	tstore_close(&t);
}

static void list_filters_by_run(void)
{
	struct tstore t;
	const char *runs[] = { "run_1", NULL, "run_1", "run_2", "run_1" };
	char id[16];

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "thread_a", NULL, 1, -1));
	for (int i = 0; i < 5; i++) {
		struct store_obj o = { .kind = STORE_MESSAGE, .id = id, .parent = "thread_a",
				       .run_id = runs[i], .created_at = 10, .body = "{}" };

		snprintf(id, sizeof(id), "msg_%d", i);
		ASSERT_OK(store_put(t.st, "p", &o, -1));
	}
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_a", .limit = 10, .run_id = "run_1"),
		      "msg_0,msg_2,msg_4");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_a", .limit = 2, .run_id = "run_1"),
		      "msg_0,msg_2 more");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_a", .limit = 10, .run_id = "run_1",
			   .desc = true, .after = "msg_3"),
		      "msg_2,msg_0");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_a", .limit = 10, .run_id = "run_9"), "");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_a", .limit = 10),
		      "msg_0,msg_1,msg_2,msg_3,msg_4");
	tstore_close(&t);
}

static int put_thread(struct store *st, const char *id, int64_t at, const char *body)
{
	struct store_obj o = { .kind = STORE_THREAD, .id = id, .created_at = at, .body = body };

	return store_put(st, "p", &o, -1);
}

/* GET /v1/threads?metadata[k]=v: one key of the body's metadata object, exact value. */
static void list_filters_by_metadata(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put_thread(t.st, "thread_1", 1, "{\"metadata\":{\"color\":\"red\"}}"));
	ASSERT_OK(put_thread(t.st, "thread_2", 2, "{\"metadata\":{\"color\":\"blue\"}}"));
	ASSERT_OK(put_thread(t.st, "thread_3", 3,
			     "{\"metadata\":{\"color\":\"red\",\"n\":\"1\"}}"));
	ASSERT_OK(put_thread(t.st, "thread_4", 4, "{\"metadata\":{}}"));
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 10, .meta_key = "color",
			   .meta_value = "red"),
		      "thread_1,thread_3");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 1, .desc = true, .meta_key = "color",
			   .meta_value = "red"),
		      "thread_3 more");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 10, .after = "thread_3", .desc = true,
			   .meta_key = "color", .meta_value = "red"),
		      "thread_1");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 10, .meta_key = "color",
			   .meta_value = "re"),
		      "");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 10, .meta_key = "n",
			   .meta_value = "1"),
		      "thread_3");
	ASSERT_STR_EQ(PAGE(t.st, STORE_THREAD, NULL, .limit = 10),
		      "thread_1,thread_2,thread_3,thread_4");
	tstore_close(&t);
}

static int put_file(struct store *st, const char *project, const char *id, const char *purpose,
		    int64_t expires_at)
{
	struct store_obj o = { .kind = STORE_FILE, .id = id, .tag = purpose, .created_at = 10,
			       .expires_at = expires_at, .body = id };

	return store_put(st, project, &o, -1);
}

static void list_filters_by_tag(void)
{
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(put_file(t.st, "p", "file-1", "assistants", 0));
	ASSERT_OK(put_file(t.st, "p", "file-2", "batch", 0));
	ASSERT_OK(put_file(t.st, "p", "file-3", "assistants", 0));
	ASSERT_OK(put_file(t.st, "q", "file-4", "assistants", 0));
	ASSERT_STR_EQ(PAGE(t.st, STORE_FILE, NULL, .limit = 10, .tag = "assistants"),
		      "file-1,file-3");
	ASSERT_STR_EQ(PAGE(t.st, STORE_FILE, NULL, .limit = 1, .tag = "assistants", .desc = true),
		      "file-3 more");
	ASSERT_STR_EQ(PAGE(t.st, STORE_FILE, NULL, .limit = 10, .tag = "batch"), "file-2");
	ASSERT_STR_EQ(PAGE(t.st, STORE_FILE, NULL, .limit = STORE_LIST_MAX),
		      "file-1,file-2,file-3");
	ASSERT_STR_EQ(PAGE(t.st, STORE_FILE, NULL, .limit = STORE_LIST_MAX + 1), "ERR_INVALID");
	tstore_close(&t);
}

static void expired_and_id_exists_span_projects(void)
{
	struct tstore t;
	struct store_list l;
	char **projects = NULL;
	bool found = false;

	tstore_open(&t);
	ASSERT_OK(put_file(t.st, "p1", "file-a", "assistants", 300));
	ASSERT_OK(put_file(t.st, "p2", "file-b", "assistants", 100));
	ASSERT_OK(put_file(t.st, "p1", "file-c", "assistants", 0));
	ASSERT_OK(put_file(t.st, "p1", "file-d", "assistants", 200));
	ASSERT_OK(store_expired(t.st, NULL, STORE_FILE, 200, 10, &l, &projects));
	ASSERT_EQ_INT(l.n, 2);
	ASSERT_STR_EQ(l.items[0].id, "file-b");
	ASSERT_STR_EQ(projects[0], "p2");
	ASSERT_STR_EQ(l.items[1].id, "file-d");
	store_projects_free(projects, l.n);
	store_list_cleanup(&l);
	ASSERT_OK(store_expired(t.st, "p1", STORE_FILE, 1000, 10, &l, &projects));
	ASSERT_EQ_INT(l.n, 2);
	ASSERT_STR_EQ(l.items[0].id, "file-d");
	ASSERT_STR_EQ(l.items[1].id, "file-a");
	store_projects_free(projects, l.n);
	store_list_cleanup(&l);
	ASSERT_OK(store_id_exists(t.st, STORE_FILE, "file-b", &found));
	ASSERT(found);
	ASSERT_OK(store_id_exists(t.st, STORE_ASSISTANT, "file-b", &found));
	ASSERT(!found);
	ASSERT_OK(store_delete(t.st, "p2", STORE_FILE, "file-b", NULL));
	ASSERT_OK(store_id_exists(t.st, STORE_FILE, "file-b", &found));
	ASSERT(!found);
	tstore_close(&t);
}

/* Threads t1 and t2 with messages, runs and steps. */
static void put_tree(struct store *st)
{
	ASSERT_OK(put(st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_OK(put(st, "p", STORE_THREAD, "t2", NULL, 1, -1));
	ASSERT_OK(put(st, "p", STORE_MESSAGE, "m1", "t1", 1, -1));
	ASSERT_OK(put(st, "p", STORE_MESSAGE, "m2", "t1", 1, -1));
	ASSERT_OK(put(st, "p", STORE_MESSAGE, "m3", "t2", 1, -1));
	ASSERT_OK(put_run(st, "p", "r1", "t1", "completed", 1));
	ASSERT_OK(put_run(st, "p", "r2", "t1", "failed", 1));
	ASSERT_OK(put_run(st, "p", "r3", "t2", "completed", 1));
	ASSERT_OK(put(st, "p", STORE_STEP, "s1", "r1", 1, -1));
	ASSERT_OK(put(st, "p", STORE_STEP, "s2", "r1", 1, -1));
	ASSERT_OK(put(st, "p", STORE_STEP, "s3", "r2", 1, -1));
	ASSERT_OK(put(st, "p", STORE_STEP, "s4", "r3", 1, -1));
}

static void delete_cascades(void)
{
	struct tstore t;

	tstore_open(&t);
	put_tree(t.st);
	ASSERT_EQ_INT(store_delete(t.st, "p", STORE_MESSAGE, "m3", "t1"), ERR_NOT_FOUND);
	ASSERT_EQ_INT(store_delete(t.st, "p", STORE_MESSAGE, "t1", NULL), ERR_NOT_FOUND);
	ASSERT_OK(store_delete(t.st, "p", STORE_THREAD, "t1", NULL));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t1", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "m1", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_RUN, "r2", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s1", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s3", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(PAGE(t.st, STORE_STEP, "r1", .limit = 10), "");
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "m3", "t2"), "m3");
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s4", "r3"), "s4");
	ASSERT_EQ_INT(store_delete(t.st, "p", STORE_THREAD, "t1", NULL), ERR_NOT_FOUND);
	ASSERT_OK(store_delete(t.st, "p", STORE_RUN, "r3", "t2"));
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s4", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t2", NULL), "t2");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "t2", .limit = 10), "m3");
	ASSERT_OK(store_delete(t.st, "p", STORE_MESSAGE, "m3", "t2"));
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "t2", .limit = 10), "");
	tstore_close(&t);
}

static void batch_is_atomic(void)
{
	struct tstore t;
	struct store_op ops[3] = {
		{ .type = STORE_PUT, .expect_version = -1,
		  .obj = { .kind = STORE_THREAD, .id = "t_new", .body = "{}" } },
		{ .type = STORE_PUT, .expect_version = 1,
		  .obj = { .kind = STORE_THREAD, .id = "t_old", .body = "changed" } },
		{ .type = STORE_DELETE, .obj = { .kind = STORE_MESSAGE, .id = "missing" } },
	};
	int64_t version = 0;
	char *body = NULL;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t_old", NULL, 1, -1));
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 3), ERR_NOT_FOUND);
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t_new", NULL), "ERR_NOT_FOUND");
	ASSERT_OK(store_get(t.st, "p", STORE_THREAD, "t_old", NULL, &body, &version));
	ASSERT_STR_EQ(body, "t_old");
	ASSERT_EQ_INT(version, 1);
	free(body);
	/* A conflict late in the batch undoes the earlier ops too. */
	ops[2] = ops[0];
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 3), ERR_CONFLICT);
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t_new", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t_old", NULL), "t_old");
	ASSERT_OK(store_write(t.st, "p", ops, 2));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t_old", NULL), "changed");
	ASSERT_OK(store_write(t.st, "p", ops, 0));
	tstore_close(&t);
}

static void expect_exists_and_idle(void)
{
	static const char *const active[] = { "queued", "in_progress", "requires_action",
					      "cancelling" };
	struct tstore t;
	struct store_op ops[3] = {
		{ .type = STORE_EXPECT_EXISTS, .obj = { .kind = STORE_THREAD, .id = "t1" } },
		{ .type = STORE_EXPECT_IDLE, .obj = { .kind = STORE_THREAD, .id = "t1" } },
		{ .type = STORE_PUT, .expect_version = -1,
		  .obj = { .kind = STORE_MESSAGE, .id = "m1", .parent = "t1", .body = "{}" } },
	};

	tstore_open(&t);
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 3), ERR_NOT_FOUND);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t2", NULL, 1, -1));
	ASSERT_OK(put_run(t.st, "p", "r_other", "t2", "queued", 1));
	for (int i = 0; i < 4; i++) {
		ASSERT_OK(put_run(t.st, "p", "r1", "t1", active[i], 1));
		ASSERT_EQ_INT(store_write(t.st, "p", ops, 3), ERR_CONFLICT);
		ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "m1", NULL), "ERR_NOT_FOUND");
		ASSERT_OK(store_delete(t.st, "p", STORE_RUN, "r1", "t1"));
	}
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "completed", 1));
	ASSERT_OK(store_write(t.st, "p", ops, 3));
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "m1", "t1"), "{}");
	/* EXPECT_EXISTS checks the parent when one is given. */
	ops[0].obj = (struct store_obj){ .kind = STORE_MESSAGE, .id = "m1", .parent = "t2" };
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 1), ERR_NOT_FOUND);
	ops[0].obj.parent = "t1";
	ASSERT_OK(store_write(t.st, "p", ops, 1));
	tstore_close(&t);
}

static void runs_by_status_spans_projects(void)
{
	static const char *const want[] = { "queued", "in_progress" };
	struct tstore t;
	struct store_list l;
	char **projects = NULL;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p1", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_OK(put(t.st, "p2", STORE_THREAD, "t2", NULL, 1, -1));
	ASSERT_OK(put_run(t.st, "p1", "r1", "t1", "queued", 10));
	ASSERT_OK(put_run(t.st, "p1", "r2", "t1", "completed", 5));
	ASSERT_OK(put_run(t.st, "p2", "r3", "t2", "in_progress", 7));
	ASSERT_OK(put_run(t.st, "p2", "r4", "t2", "requires_action", 12));
	ASSERT_OK(put_run(t.st, "p2", "r5", "t2", "queued", 10));
	ASSERT_OK(store_runs_by_status(t.st, want, 2, &l, &projects));
	ASSERT_EQ_INT(l.n, 3);
	ASSERT_STR_EQ(l.items[0].id, "r3");
	ASSERT_STR_EQ(projects[0], "p2");
	ASSERT_STR_EQ(l.items[0].body, "in_progress");
	ASSERT_STR_EQ(l.items[1].id, "r1");
	ASSERT_STR_EQ(projects[1], "p1");
	ASSERT_STR_EQ(l.items[2].id, "r5");
	ASSERT_STR_EQ(projects[2], "p2");
	for (size_t i = 0; i < l.n; i++)
		free(projects[i]);
	free(projects);
	store_list_cleanup(&l);
	ASSERT_OK(store_runs_by_status(t.st, want, 0, &l, &projects));
	ASSERT_EQ_INT(l.n, 0);
	free(projects);
	store_list_cleanup(&l);
	tstore_close(&t);
}

static const struct store_key key1 = { .id = "key_1", .project = "p1", .hint = "sk-1...a",
				       .created_at = 20 };
static const struct store_key key2 = { .id = "key_2", .project = "p2", .hint = "sk-2...b",
				       .created_at = 10 };

static void keys_insert_lookup_list(void)
{
	struct tstore t;
	struct store_key dup = key2;
	struct store_key *keys = NULL;
	char *project = NULL;
	size_t n = 0;
	bool any = true;

	tstore_open(&t);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(!any);
	ASSERT_OK(store_key_insert(t.st, &key1, "hash1"));
	ASSERT_OK(store_key_insert(t.st, &key2, "hash2"));
	dup.id = "key_3";
	ASSERT_EQ_INT(store_key_insert(t.st, &dup, "hash2"), ERR_CONFLICT);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(any);
	ASSERT_OK(store_key_project(t.st, "hash1", &project));
	ASSERT_STR_EQ(project, "p1");
	free(project);
	ASSERT_EQ_INT(store_key_project(t.st, "nope", &project), ERR_AUTH);
	ASSERT(project == NULL);
	ASSERT_OK(store_key_list(t.st, &keys, &n));
	ASSERT_EQ_INT(n, 2);
	ASSERT_STR_EQ(keys[0].id, "key_2");
	ASSERT_STR_EQ(keys[0].hint, "sk-2...b");
	ASSERT_STR_EQ(keys[1].project, "p1");
	ASSERT_EQ_INT(keys[1].created_at, 20);
	ASSERT_EQ_INT(keys[1].revoked_at, 0);
	store_keys_free(keys, n);
	tstore_close(&t);
}

static void keys_revoke(void)
{
	struct tstore t;
	struct store_key *keys = NULL;
	char *project = NULL;
	size_t n = 0;
	bool any = true;

	tstore_open(&t);
	ASSERT_OK(store_key_insert(t.st, &key1, "hash1"));
	ASSERT_OK(store_key_insert(t.st, &key2, "hash2"));
	ASSERT_OK(store_key_revoke(t.st, "key_1", 30));
	/* Revoking twice succeeds and keeps the first time. */
	ASSERT_OK(store_key_revoke(t.st, "key_1", 40));
	ASSERT_EQ_INT(store_key_revoke(t.st, "key_9", 30), ERR_NOT_FOUND);
	ASSERT_EQ_INT(store_key_project(t.st, "hash1", &project), ERR_AUTH);
	ASSERT_OK(store_key_list(t.st, &keys, &n));
	ASSERT_EQ_INT(n, 2);
	ASSERT_EQ_INT(keys[1].revoked_at, 30);
	ASSERT_EQ_INT(keys[0].revoked_at, 0);
	store_keys_free(keys, n);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(any);
	/* Every key revoked: keys still existed, so the API stays closed. */
	ASSERT_OK(store_key_revoke(t.st, "key_2", 50));
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(any);
	tstore_close(&t);
}

/* Longer than the store may reuse a read snapshot (SQ_SNAP_MS in sqlite_pool.c). */
#define SNAP_WAIT_MS 250

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A store sees its own writes at once, from any thread; another store's (another
 * process's, such as `assistd keys`) within a short snapshot age. */
static void other_writers_seen_within_snapshot_age(void)
{
	struct tstore t;
	struct store *other = NULL;
	char *project = NULL;
	bool any = true;

	tstore_open(&t);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(!any);
	ASSERT_OK(tstore_reopen(&t, &other));
	ASSERT_OK(store_key_insert(other, &key1, "hash1"));
	sleep_ms(SNAP_WAIT_MS);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(any);
	ASSERT_OK(store_key_revoke(other, "key_1", 5));
	sleep_ms(SNAP_WAIT_MS);
	ASSERT_EQ_INT(store_key_project(t.st, "hash1", &project), ERR_AUTH);
	ASSERT_OK(store_key_ever(t.st, &any));
	ASSERT(any);
	/* Own writes: visible to the very next read, with no wait. */
	ASSERT_OK(store_key_insert(t.st, &key2, "hash2"));
	ASSERT_OK(store_key_project(t.st, "hash2", &project));
	ASSERT_STR_EQ(project, "p2");
	free(project);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t1", NULL), "t1");
	ASSERT_OK(store_delete(t.st, "p", STORE_THREAD, "t1", NULL));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t1", NULL), "ERR_NOT_FOUND");
	store_close(other);
	tstore_close(&t);
}

/* The child of writes_of_a_store_sharer_seen_at_once: opens the store and says so on done;
 * at a byte from go puts thread t1 and says so; keeps the store open until go is closed. */
static void share_and_put(const struct tstore *t, const int go[2], const int done[2])
{
	struct store *st = NULL;
	char c;

	close(go[1]);
	close(done[0]);
	if (tstore_reopen(t, &st) || write(done[1], "o", 1) != 1 || read(go[0], &c, 1) != 1 ||
	    put(st, "p", STORE_THREAD, "t1", NULL, 1, -1) || write(done[1], "p", 1) != 1)
		_exit(1);
	while (read(go[0], &c, 1) > 0)
		; /* until the parent closes it */
	store_close(st);
	_exit(0);
}

/* Servers on one data directory behind a balancer: what a client wrote through one is there
 * on the very next read through another, with no snapshot age to wait for. */
static void writes_of_a_store_sharer_seen_at_once(void)
{
	struct tstore t;
	int go[2], done[2], status;
	char before[64] = "", after[64] = "";
	pid_t pid;
	char c;

	tstore_open(&t);
	ASSERT_OK(pipe(go));
	ASSERT_OK(pipe(done));
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		share_and_put(&t, go, done);
	if (read(done[0], &c, 1) == 1) {
		sleep_ms(SNAP_WAIT_MS); /* no snapshot from before the other opened is left */
		snprintf(before, sizeof(before), "%s", get(t.st, "p", STORE_THREAD, "t1", NULL));
		if (write(go[1], "w", 1) == 1 && read(done[0], &c, 1) == 1)
			snprintf(after, sizeof(after), "%s",
				 get(t.st, "p", STORE_THREAD, "t1", NULL));
	}
	for (int i = 0; i < 2; i++) {
		close(go[i]); /* the child ends at EOF, whatever happened */
		close(done[i]);
	}
	ASSERT(waitpid(pid, &status, 0) == pid);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_STR_EQ(before, "ERR_NOT_FOUND");
	ASSERT_STR_EQ(after, "t1");
	tstore_close(&t);
}

/* A key another process has just created works at once, even for a reader whose snapshot
 * is reused (a miss is looked up again in a fresh snapshot). */
static void new_key_of_another_writer_works_at_once(void)
{
	struct tstore t;
	struct store *other = NULL;
	char *project = NULL;

	tstore_open(&t);
	ASSERT_EQ_INT(store_key_project(t.st, "hash1", &project), ERR_AUTH);
	ASSERT_OK(tstore_reopen(&t, &other));
	ASSERT_OK(store_key_insert(other, &key1, "hash1"));
	ASSERT_OK(store_key_project(t.st, "hash1", &project));
	ASSERT_STR_EQ(project, "p1");
	free(project);
	store_close(other);
	tstore_close(&t);
}

/* Acknowledged writes survive the process being killed: a child opens the store, writes,
 * and kills itself without closing anything; the parent then finds every object. */
static void writes_survive_kill(void)
{
	struct tstore t;
	struct store_list l;
	int status = 0;
	pid_t pid;

	tstore_open(&t);
	store_close(t.st);
	t.st = NULL;
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		char id[32];

		if (tstore_reopen(&t, &st) || put(st, "p", STORE_THREAD, "t1", NULL, 1, -1))
			_exit(1);
		for (int i = 0; i < 50; i++) {
			snprintf(id, sizeof(id), "m%02d", i);
			if (put(st, "p", STORE_MESSAGE, id, "t1", 1, -1))
				_exit(1);
		}
		raise(SIGKILL);
	}
	ASSERT(waitpid(pid, &status, 0) == pid);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_OK(tstore_reopen(&t, &t.st));
	ASSERT_OK(store_list(t.st, "p", STORE_MESSAGE, "t1",
			     &(struct store_page){ .limit = 100 }, &l));
	ASSERT_EQ_INT(l.n, 50);
	ASSERT_STR_EQ(l.items[49].id, "m49");
	store_list_cleanup(&l);
	tstore_close(&t);
}

#define CONC_THREADS 8
#define CONC_MSGS 150

struct worker {
	struct tstore *t;
	int n;
	pthread_t tid;
};

/* Counts a thread's messages by paging through it 7 at a time. */
static size_t count_msgs(struct store *st, const char *thread)
{
	struct store_page pg = { .limit = 7 };
	struct store_list l;
	char last[32] = "";
	size_t total = 0;

	do {
		pg.after = last[0] ? last : NULL;
		ASSERT_OK(store_list(st, "p", STORE_MESSAGE, thread, &pg, &l));
		total += l.n;
		if (l.n)
			snprintf(last, sizeof(last), "%s", l.items[l.n - 1].id);
		pg.limit = l.has_more ? 7 : 0;
		store_list_cleanup(&l);
	} while (pg.limit);
	return total;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char *body = NULL;
	char thread[32];
	char id[32];

	snprintf(thread, sizeof(thread), "thread_%d", w->n);
	ASSERT_OK(put(w->t->st, "p", STORE_THREAD, thread, NULL, 1, -1));
	for (int i = 0; i < CONC_MSGS; i++) {
		struct store_op ops[2] = {
			{ .type = STORE_EXPECT_EXISTS,
			  .obj = { .kind = STORE_THREAD, .id = thread } },
			{ .type = STORE_PUT, .expect_version = -1,
			  .obj = { .kind = STORE_MESSAGE, .id = id, .parent = thread,
				   .created_at = i / 10, .body = id } },
		};

		snprintf(id, sizeof(id), "msg_%d_%03d", w->n, i);
		ASSERT_OK(store_write(w->t->st, "p", ops, 2));
		/* Not get(): its result buffer is shared by all threads. */
		ASSERT_OK(store_get(w->t->st, "p", STORE_MESSAGE, id, thread, &body, NULL));
		ASSERT_STR_EQ(body, id);
		free(body);
		if (i % 25 == 0)
			ASSERT_EQ_INT(count_msgs(w->t->st, thread), i + 1);
	}
	return NULL;
}

/* Another process (the keys command) writing the same database through its own store. */
static void *keys_main(void *arg)
{
	struct worker *w = arg;
	struct store *other = NULL;
	char id[32];

	ASSERT_OK(tstore_reopen(w->t, &other));
	for (int i = 0; i < 100; i++) {
		struct store_key k = { .id = id, .project = "p", .hint = "h", .created_at = i };

		snprintf(id, sizeof(id), "key_%d", i);
		ASSERT_OK(store_key_insert(other, &k, id));
	}
	store_close(other);
	return NULL;
}

static void concurrent_writers_and_readers(void)
{
	struct tstore t;
	struct worker w[CONC_THREADS + 1];
	struct store_key *keys = NULL;
	size_t n = 0;
	char thread[32];

	tstore_open(&t);
	for (int i = 0; i <= CONC_THREADS; i++) {
		void *(*fn)(void *) = i < CONC_THREADS ? worker_main : keys_main;

		w[i] = (struct worker){ .t = &t, .n = i };
		ASSERT_OK(pthread_create(&w[i].tid, NULL, fn, &w[i]));
	}
	for (int i = 0; i <= CONC_THREADS; i++)
		ASSERT_OK(pthread_join(w[i].tid, NULL));
	for (int i = 0; i < CONC_THREADS; i++) {
		snprintf(thread, sizeof(thread), "thread_%d", i);
		ASSERT_EQ_INT(count_msgs(t.st, thread), CONC_MSGS);
	}
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "thread_3", .limit = 2, .desc = true),
		      "msg_3_149,msg_3_148 more");
	/* The keys came through another store, like another process's: allow for the age of
	 * a reused snapshot (see other_writers_seen_within_snapshot_age). */
	sleep_ms(SNAP_WAIT_MS);
	ASSERT_OK(store_key_list(t.st, &keys, &n));
	ASSERT_EQ_INT(n, 100);
	store_keys_free(keys, n);
	tstore_close(&t);
}

/* A child process of concurrent_opens_migrate_once: opens t's store and adds assistant
 * a<i>. */
static void open_and_put(const struct tstore *t, int i)
{
	struct store *st = NULL;
	char id[16];

	snprintf(id, sizeof(id), "a%d", i);
	if (tstore_reopen(t, &st) || put(st, "p", STORE_ASSISTANT, id, NULL, 1, -1))
		_exit(1);
	store_close(st);
	_exit(0);
}

#define MIX_MS 2000
#define MIX_WAL_MAX (32 << 20) /* about 4 MB when right; 60 to 300 MB when not */

struct mixer {
	struct tstore *t;
	int n;
	atomic_bool *stop;
	pthread_t tid;
};

/* Writes messages (even n), or reads now and then (odd n), until stopped. */
static void *mixer_main(void *arg)
{
	struct mixer *m = arg;
	char id[32];
	char *body;
	bool any;

	for (long i = 0; !atomic_load(m->stop); i++) {
		if (m->n % 2 == 0) {
			snprintf(id, sizeof(id), "m%d_%ld", m->n, i);
			ASSERT_OK(put(m->t->st, "p", STORE_MESSAGE, id, "t", 1, -1));
			continue;
		}
		ASSERT_OK(store_key_ever(m->t->st, &any));
		ASSERT_OK(store_get(m->t->st, "p", STORE_THREAD, "t", NULL, &body, NULL));
		free(body);
		sleep_ms(1);
	}
	return NULL;
}

/* While writes stream in, readers must not keep snapshots open between calls: that stops the
 * WAL from being checkpointed and restarted, and it grows by tens of megabytes a second. The
 * readers are sparse so that the WAL stays small when the store is right (readers that are
 * always mid-read starve checkpoints in any SQLite program). */
static void wal_stays_small_under_mixed_load(void)
{
	struct tstore t;
	struct mixer m[4];
	atomic_bool stop = false;
	struct stat sb;
	char *wal;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t", NULL, 1, -1));
	for (int i = 0; i < 4; i++) {
		m[i] = (struct mixer){ .t = &t, .n = i, .stop = &stop };
		ASSERT_OK(pthread_create(&m[i].tid, NULL, mixer_main, &m[i]));
	}
	sleep_ms(MIX_MS);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(pthread_join(m[i].tid, NULL));
	wal = xasprintf("%s/assistd.db-wal", t.dir);
	ASSERT_OK(stat(wal, &sb));
	if (sb.st_size >= MIX_WAL_MAX)
		T_FAIL("WAL is %lld bytes", (long long)sb.st_size);
	free(wal);
	tstore_close(&t);
}

/* Several processes opening a new database at once all succeed and migrate it once. */
static void concurrent_opens_migrate_once(void)
{
	struct tstore t;
	pid_t pids[4];
	char id[16];
	int status;

	tstore_open(&t);
	store_close(t.st);
	t.st = NULL;
	free(t.dir);
	t.dir = xasprintf("%s/fresh", t.root);
	if (t_on_pg)
		t_pg_sh("dropdb", t.db);
	tstore_fresh(&t);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT(pids[i] >= 0);
		if (pids[i] == 0)
			open_and_put(&t, i);
	}
	for (int i = 0; i < 4; i++) {
		ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
		ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ASSERT_OK(tstore_reopen(&t, &t.st));
	/* The children raced, so their order is unknown: four ids, and no more. */
	ASSERT_EQ_INT(strlen(PAGE(t.st, STORE_ASSISTANT, NULL, .limit = 4)), strlen("a0,a1,a2,a3"));
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		ASSERT_STR_EQ(get(t.st, "p", STORE_ASSISTANT, id, NULL), id);
	}
	tstore_close(&t);
}

/* A put never creates an object whose parent is gone: not a message or run of a deleted
 * thread, not a step of a deleted run, whatever the expected version; in a batch, the failed
 * put undoes the batch. */
static void puts_need_their_parent(void)
{
	struct tstore t;
	struct store_op ops[2] = {
		{ .type = STORE_DELETE, .obj = { .kind = STORE_THREAD, .id = "t2" } },
		{ .type = STORE_PUT, .expect_version = -1,
		  .obj = { .kind = STORE_MESSAGE, .id = "m9", .parent = "t2", .body = "{}" } },
	};

	tstore_open(&t);
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "m1", "t1", 1, -1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "m1", "t1", 1, 0), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "m1", NULL, 1, -1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put_run(t.st, "p", "r1", "t1", "queued", 1), ERR_NOT_FOUND);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "in_progress", 1));
	ASSERT_OK(put(t.st, "q", STORE_THREAD, "t_q", NULL, 1, -1));
	ASSERT_EQ_INT(put(t.st, "q", STORE_STEP, "s1", "r1", 1, -1), ERR_NOT_FOUND);
	ASSERT_OK(put(t.st, "p", STORE_STEP, "s1", "r1", 1, -1));
	/* The thread goes while its run works: the run's next writes create nothing. */
	ASSERT_OK(store_delete(t.st, "p", STORE_THREAD, "t1", NULL));
	ASSERT_EQ_INT(put(t.st, "p", STORE_STEP, "s2", "r1", 1, -1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put(t.st, "p", STORE_STEP, "s1", "r1", 1, 1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put(t.st, "p", STORE_MESSAGE, "m2", "t1", 1, -1), ERR_NOT_FOUND);
	ASSERT_EQ_INT(put_run(t.st, "p", "r1", "t1", "completed", 1), ERR_NOT_FOUND);
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s2", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_MESSAGE, "m2", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(get(t.st, "p", STORE_RUN, "r1", NULL), "ERR_NOT_FOUND");
	ASSERT_STR_EQ(PAGE(t.st, STORE_STEP, "r1", .limit = 10), "");
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "t1", .limit = 10), "");
	/* A delete and a put of its child in one batch: all or nothing. */
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t2", NULL, 1, -1));
	ASSERT_EQ_INT(store_write(t.st, "p", ops, 2), ERR_NOT_FOUND);
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t2", NULL), "t2");
	tstore_close(&t);
}

/* A replace of a run or step that moves its status against the table in base/status.c is
 * refused and changes nothing; staying in a status (a metadata change) is no move. */
static void status_moves_are_guarded(void)
{
	struct tstore t;
	struct store_obj step = { .kind = STORE_STEP, .id = "s1", .parent = "r1",
				  .status = "in_progress", .body = "open" };

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "queued", 1));
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "in_progress", 1));
	ASSERT_EQ_INT(put_run(t.st, "p", "r1", "t1", "queued", 1), ERR_INTERNAL);
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "in_progress", 1));
	ASSERT_OK(put_run(t.st, "p", "r1", "t1", "completed", 1));
	ASSERT_EQ_INT(put_run(t.st, "p", "r1", "t1", "cancelling", 1), ERR_INTERNAL);
	ASSERT_EQ_INT(put_run(t.st, "p", "r1", "t1", "in_progress", 1), ERR_INTERNAL);
	ASSERT_STR_EQ(get(t.st, "p", STORE_RUN, "r1", "t1"), "completed");
	ASSERT_OK(store_put(t.st, "p", &step, -1));
	step.status = "completed";
	step.body = "done";
	ASSERT_OK(store_put(t.st, "p", &step, 1));
	step.status = "in_progress";
	step.body = "reopened";
	ASSERT_EQ_INT(store_put(t.st, "p", &step, 2), ERR_INTERNAL);
	ASSERT_STR_EQ(get(t.st, "p", STORE_STEP, "s1", "r1"), "done");
	tstore_close(&t);
}

#define NODE_WRITERS 3
#define NODE_MSGS 60

/* A writer or reader of nodes_keep_thread_order, on its own handle (node). */
struct node {
	struct tstore *t;
	struct store *st;
	int n;
	atomic_int *writing; /* writers still at work */
	bool seen[NODE_WRITERS * NODE_MSGS];
	int nseen;
	pthread_t tid;
};

static void *node_writer(void *arg)
{
	struct node *w = arg;
	char id[32];

	for (int i = 0; i < NODE_MSGS; i++) {
		snprintf(id, sizeof(id), "m%03d", w->n * NODE_MSGS + i);
		ASSERT_OK(put(w->st, "p", STORE_MESSAGE, id, "t", 1, -1));
	}
	atomic_fetch_sub(w->writing, 1);
	return NULL;
}

/* Follows the thread with after-cursors, as a client that polls for new messages does. Once
 * the writers are done it waits out the age of a reused SQLite snapshot (another handle's
 * writes may be that late), then reads the rest. */
static void *node_reader(void *arg)
{
	struct node *r = arg;
	struct store_page pg = { .limit = 50 };
	struct store_list l;
	char last[32] = "";
	bool done = false;

	while (!done) {
		done = atomic_load(r->writing) == 0;
		if (done)
			sleep_ms(SNAP_WAIT_MS);
		pg.after = last[0] ? last : NULL;
		ASSERT_OK(store_list(r->st, "p", STORE_MESSAGE, "t", &pg, &l));
		for (size_t i = 0; i < l.n; i++) {
			int k = atoi(l.items[i].id + 1);

			ASSERT(!r->seen[k]);
			r->seen[k] = true;
			r->nseen++;
		}
		if (l.n)
			snprintf(last, sizeof(last), "%s", l.items[l.n - 1].id);
		done = done && !l.has_more;
		store_list_cleanup(&l);
	}
	return NULL;
}

/* Writers on several handles (nodes) append to one thread while a reader follows it page by
 * page after the last message it saw: the thread's order is the order of commits, so the
 * reader misses none and sees none twice (a message that committed after a later-numbered
 * one would fall behind the reader's cursor). */
static void nodes_keep_thread_order(void)
{
	struct tstore t;
	struct node *nodes = xcalloc(NODE_WRITERS + 1, sizeof(*nodes));
	atomic_int writing = NODE_WRITERS;

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t", NULL, 1, -1));
	for (int i = 0; i <= NODE_WRITERS; i++) {
		nodes[i] = (struct node){ .t = &t, .n = i, .writing = &writing };
		ASSERT_OK(tstore_reopen(&t, &nodes[i].st));
		ASSERT_OK(pthread_create(&nodes[i].tid, NULL, i < NODE_WRITERS ? node_writer :
						   node_reader, &nodes[i]));
	}
	for (int i = 0; i <= NODE_WRITERS; i++) {
		ASSERT_OK(pthread_join(nodes[i].tid, NULL));
		store_close(nodes[i].st);
	}
	ASSERT_EQ_INT(nodes[NODE_WRITERS].nseen, NODE_WRITERS * NODE_MSGS);
	free(nodes);
	tstore_close(&t);
}

#define IDLE_ROUNDS 20

/* One of two nodes starting a run on the same thread at once. */
struct starter {
	struct store *st;
	const char *thread;
	const char *run;
	pthread_barrier_t *go;
	int err;
	pthread_t tid;
};

static void *start_run(void *arg)
{
	struct starter *s = arg;
	struct store_op ops[2] = {
		{ .type = STORE_EXPECT_IDLE, .obj = { .kind = STORE_THREAD, .id = s->thread } },
		{ .type = STORE_PUT, .expect_version = -1,
		  .obj = { .kind = STORE_RUN, .id = s->run, .parent = s->thread,
			   .status = "queued", .created_at = 1, .body = s->run } },
	};

	pthread_barrier_wait(s->go);
	s->err = store_write(s->st, "p", ops, 2);
	return NULL;
}

/* Two nodes that each check a thread is idle and start a run on it, at the same moment: one
 * wins, the other gets ERR_CONFLICT, never two active runs. */
static void idle_guard_holds_across_nodes(void)
{
	struct tstore t;
	struct store *other = NULL;
	pthread_barrier_t go;
	char thread[32], run_a[32], run_b[32];

	tstore_open(&t);
	ASSERT_OK(tstore_reopen(&t, &other));
	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < IDLE_ROUNDS; i++) {
		struct starter s[2] = {
			{ .st = t.st, .thread = thread, .run = run_a, .go = &go },
			{ .st = other, .thread = thread, .run = run_b, .go = &go },
		};

		snprintf(thread, sizeof(thread), "t%d", i);
		snprintf(run_a, sizeof(run_a), "ra%d", i);
		snprintf(run_b, sizeof(run_b), "rb%d", i);
		ASSERT_OK(put(t.st, "p", STORE_THREAD, thread, NULL, 1, -1));
		for (int k = 0; k < 2; k++)
			ASSERT_OK(pthread_create(&s[k].tid, NULL, start_run, &s[k]));
		for (int k = 0; k < 2; k++)
			ASSERT_OK(pthread_join(s[k].tid, NULL));
		ASSERT((s[0].err == 0) != (s[1].err == 0));
		ASSERT_EQ_INT(s[0].err + s[1].err, ERR_CONFLICT);
		ASSERT_EQ_INT(strlen(PAGE(t.st, STORE_RUN, thread, .limit = 5)), strlen(run_a));
	}
	pthread_barrier_destroy(&go);
	store_close(other);
	tstore_close(&t);
}

/* --- Limits per key or project and their shared counters (src/limits) --- */

static void set_limit(struct store *st, enum store_limit_scope scope, const char *subject,
		      int64_t requests, int64_t tokens, bool monthly)
{
	struct store_limit l = { .scope = scope, .subject = (char *)subject,
				 .requests = requests, .tokens = tokens, .monthly = monthly };

	ASSERT_OK(store_limit_set(st, &l));
}

/* Sorted by scope (keys first) and subject bytewise; a key's limit carries its hash while
 * the key is active. */
static void limits_set_list_delete(void)
{
	struct store_key k = { .id = "key_b", .project = "p", .hint = "sk-...b", .created_at = 1 };
	struct store_limit *l = NULL;
	size_t n = 0;
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(store_key_insert(t.st, &k, "hash_b"));
	set_limit(t.st, STORE_LIMIT_PROJECT, "b", 1, 0, true);
	set_limit(t.st, STORE_LIMIT_PROJECT, "B", 2, 0, true);
	set_limit(t.st, STORE_LIMIT_KEY, "key_b", 3, 100, false);
	set_limit(t.st, STORE_LIMIT_KEY, "key_b", 4, 100, false); /* replaces */
	ASSERT_OK(store_limit_list(t.st, &l, &n));
	ASSERT_EQ_INT(n, 3);
	ASSERT_STR_EQ(l[0].subject, "key_b");
	ASSERT_STR_EQ(l[0].key_hash, "hash_b");
	ASSERT_EQ_INT(l[0].requests, 4);
	ASSERT(!l[0].monthly);
	ASSERT_STR_EQ(l[1].subject, "B"); /* bytewise: "B" < "b" */
	ASSERT(l[1].key_hash == NULL);
	ASSERT_STR_EQ(l[2].subject, "b");
	ASSERT(l[2].monthly);
	store_limits_free(l, n);
	ASSERT_OK(store_key_revoke(t.st, "key_b", 2));
	ASSERT_OK(store_limit_list(t.st, &l, &n));
	ASSERT(l[0].key_hash == NULL);
	store_limits_free(l, n);
	ASSERT_OK(store_limit_delete(t.st, STORE_LIMIT_PROJECT, "B"));
	ASSERT_EQ_INT(store_limit_delete(t.st, STORE_LIMIT_PROJECT, "B"), ERR_NOT_FOUND);
	tstore_close(&t);
}

/* Two handles (two nodes) add to one counter and each reads the other's adds back; rows
 * that expired go with the next sync. */
static void counts_are_shared_between_handles(void)
{
	struct store_count c = { STORE_LIMIT_PROJECT, "p", STORE_COUNT_REQUESTS, 1000, 5000, 3, 0 };
	struct store *other;
	struct tstore t;

	tstore_open(&t);
	ASSERT_OK(tstore_reopen(&t, &other));
	ASSERT_OK(store_count_sync(t.st, &c, 1, 100));
	ASSERT_EQ_INT(c.total, 3);
	c.add = 4;
	ASSERT_OK(store_count_sync(other, &c, 1, 100));
	ASSERT_EQ_INT(c.total, 7);
	c.add = 0;
	ASSERT_OK(store_count_sync(t.st, &c, 1, 100));
	ASSERT_EQ_INT(c.total, 7);
	c.kind = STORE_COUNT_TOKENS; /* another counter: its own row */
	c.expires_ms = 9000;
	c.add = 1;
	ASSERT_OK(store_count_sync(other, &c, 1, 6000)); /* sweeps the expired requests row */
	ASSERT_EQ_INT(c.total, 1);
	c.kind = STORE_COUNT_REQUESTS;
	c.expires_ms = 5000;
	c.add = 0;
	ASSERT_OK(store_count_sync(t.st, &c, 1, 6000));
	ASSERT_EQ_INT(c.total, 0);
	store_close(other);
	tstore_close(&t);
}

const struct t_case store_tests[] = {
	T_CASE(open_creates_schema_and_reopen_keeps_data),
	T_CASE(open_makes_nested_dirs_and_reports_errors),
	T_CASE(put_get_and_versions),
	T_CASE(expect_version_conflicts),
	T_CASE(projects_are_isolated),
	T_CASE(get_checks_parent),
	T_CASE(list_orders_and_limits),
	T_CASE(list_after_and_before),
	T_CASE(list_rejects_foreign_cursors),
	T_CASE(list_filters_by_run),
	T_CASE(list_filters_by_tag),
	T_CASE(list_filters_by_metadata),
	T_CASE(expired_and_id_exists_span_projects),
	T_CASE(delete_cascades),
	T_CASE(batch_is_atomic),
	T_CASE(expect_exists_and_idle),
	T_CASE(runs_by_status_spans_projects),
	T_CASE(puts_need_their_parent),
	T_CASE(status_moves_are_guarded),
	T_CASE(keys_insert_lookup_list),
	T_CASE(keys_revoke),
	T_CASE(new_key_of_another_writer_works_at_once),
	T_CASE(writes_of_a_store_sharer_seen_at_once),
	T_CASE(other_writers_seen_within_snapshot_age),
	T_CASE(writes_survive_kill),
	T_CASE(concurrent_writers_and_readers),
	T_CASE(concurrent_opens_migrate_once),
	T_CASE(wal_stays_small_under_mixed_load),
	T_CASE(nodes_keep_thread_order),
	T_CASE(idle_guard_holds_across_nodes),
	T_CASE(limits_set_list_delete),
	T_CASE(counts_are_shared_between_handles),
	{ NULL, NULL },
};

/* PostgreSQL only: the server ends every connection of the store (a restart, a failover, an
 * administrator's pg_terminate_backend). The next calls notice on their pooled connection's
 * first statement and run again on a new one: reads, lists and writes all succeed. */
static void connections_ended_by_the_server(void)
{
	struct tstore t;
	char cmd[512];

	tstore_open(&t);
	ASSERT_OK(put(t.st, "p", STORE_THREAD, "t1", NULL, 1, -1));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t1", NULL), "t1");
	snprintf(cmd, sizeof(cmd), "psql -q '%s' -c \"SELECT pg_terminate_backend(pid) FROM "
		 "pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()\" >/dev/null",
		 t.url, t.db);
	ASSERT_OK(system(cmd));
	ASSERT_STR_EQ(get(t.st, "p", STORE_THREAD, "t1", NULL), "t1");
	ASSERT_OK(system(cmd));
	ASSERT_OK(put(t.st, "p", STORE_MESSAGE, "m1", "t1", 1, -1));
	ASSERT_OK(system(cmd));
	ASSERT_STR_EQ(PAGE(t.st, STORE_MESSAGE, "t1", .limit = 5), "m1");
	tstore_close(&t);
}

/* The store_pg cases: each runs a case of store_tests on PostgreSQL. */
#define PG_CASES(X)                                                                        \
	X(open_creates_schema_and_reopen_keeps_data) X(put_get_and_versions)                  \
	X(expect_version_conflicts) X(projects_are_isolated) X(get_checks_parent)              \
	X(list_orders_and_limits) X(list_after_and_before) X(list_rejects_foreign_cursors)     \
	X(list_filters_by_run) X(list_filters_by_tag) X(list_filters_by_metadata)              \
	X(expired_and_id_exists_span_projects) X(delete_cascades) X(batch_is_atomic)           \
	X(expect_exists_and_idle) X(runs_by_status_spans_projects) X(puts_need_their_parent)   \
	X(status_moves_are_guarded) X(keys_insert_lookup_list) X(keys_revoke)                  \
	X(new_key_of_another_writer_works_at_once) X(other_writers_seen_within_snapshot_age)   \
	X(writes_survive_kill) X(concurrent_writers_and_readers)                               \
	X(concurrent_opens_migrate_once) X(nodes_keep_thread_order)                            \
	X(idle_guard_holds_across_nodes) X(connections_ended_by_the_server)                   \
	X(limits_set_list_delete) X(counts_are_shared_between_handles)

PG_CASES(T_PG_WRAP)

const struct t_case store_pg_tests[] = {
	PG_CASES(T_PG_ENTRY)
	{ NULL, NULL },
};
