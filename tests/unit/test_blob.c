/* test_blob.c - unit tests for src/store/blob.c: whole-or-nothing writes, reads, removal, and
 * the sweep of what a crash leaves behind. Each test works in a fresh directory under /tmp. */
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/store/blob.h"
#include "suites.h"

struct tblobs {
	char root[64];
	struct blobs *bs;
};

static void tblobs_open(struct tblobs *t)
{
	char *dir;

	snprintf(t->root, sizeof(t->root), "/tmp/assistd-blob-XXXXXX");
	ASSERT(mkdtemp(t->root) != NULL);
	dir = xasprintf("%s/files", t->root);
	ASSERT_OK(blobs_open(dir, &t->bs));
	free(dir);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void tblobs_close(struct tblobs *t)
{
	blobs_close(t->bs);
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whether <root>/files/name exists. */
static bool has(const struct tblobs *t, const char *name)
{
	char *path = xasprintf("%s/files/%s", t->root, name);
	bool ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

static void write_blob(struct blobs *bs, const char *id, const char *text)
{
	struct blob_writer *w = NULL;

	ASSERT_OK(blob_create(bs, id, &w));
	ASSERT_OK(blob_write(w, text, strlen(text)));
	ASSERT_EQ_INT(blob_written(w), strlen(text));
	ASSERT_OK(blob_commit(w));
}

static void commit_makes_the_blob_visible_whole(void)
{
	struct tblobs t;
	struct blob_writer *w = NULL;
	uint64_t size = 0;
	char got[16] = { 0 };
	int fd = -1;

	tblobs_open(&t);
	ASSERT_OK(blob_create(t.bs, "file-a", &w));
	ASSERT_OK(blob_write(w, "hello ", 6));
	ASSERT(has(&t, ".tmp-file-a"));
	ASSERT(!has(&t, "file-a"));
	ASSERT_EQ_INT(blob_open_read(t.bs, "file-a", &fd, NULL), ERR_NOT_FOUND);
	ASSERT_OK(blob_write(w, "world", 5));
	ASSERT_OK(blob_commit(w));
	ASSERT(!has(&t, ".tmp-file-a"));
	ASSERT_OK(blob_open_read(t.bs, "file-a", &fd, &size));
	ASSERT_EQ_INT(size, 11);
	ASSERT_EQ_INT(read(fd, got, sizeof(got)), 11);
	ASSERT_STR_EQ(got, "hello world");
	close(fd);
	tblobs_close(&t);
}

static void abort_and_remove_leave_nothing(void)
{
	struct tblobs t;
	struct blob_writer *w = NULL;
	int fd = -1;

	tblobs_open(&t);
	ASSERT_OK(blob_create(t.bs, "file-a", &w));
	ASSERT_OK(blob_write(w, "x", 1));
	blob_abort(w);
	blob_abort(NULL);
	ASSERT(!has(&t, ".tmp-file-a"));
	ASSERT_EQ_INT(blob_open_read(t.bs, "file-a", &fd, NULL), ERR_NOT_FOUND);
	write_blob(t.bs, "file-b", "bytes");
	ASSERT_OK(blob_remove(t.bs, "file-b"));
	ASSERT(!has(&t, "file-b"));
	ASSERT_OK(blob_remove(t.bs, "file-b"));
	tblobs_close(&t);
}

static void ids_cannot_leave_the_directory(void)
{
	static const char *const bad[] = { "../x", "a/b", ".tmp-file-a", "", "..", "file-\n" };
	struct tblobs t;
	struct blob_writer *w = NULL;
	int fd = -1;

	tblobs_open(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ_INT(blob_create(t.bs, bad[i], &w), ERR_INVALID);
		ASSERT(w == NULL);
		ASSERT_EQ_INT(blob_open_read(t.bs, bad[i], &fd, NULL), ERR_INVALID);
		ASSERT_EQ_INT(blob_remove(t.bs, bad[i]), ERR_INVALID);
	}
	tblobs_close(&t);
}

/* keep() for the sweep: only "file-kept" has a store row. */
static bool keep_one(void *ctx, const char *id)
{
	(*(int *)ctx)++;
	return strcmp(id, "file-kept") == 0;
}

static void sweep_removes_temporaries_and_orphans(void)
{
	struct tblobs t;
	struct blob_writer *w = NULL;
	char *stranger;
	int asked = 0;
	int fd;

	tblobs_open(&t);
	write_blob(t.bs, "file-kept", "k");
	write_blob(t.bs, "file-orphan", "o");
	ASSERT_OK(blob_create(t.bs, "file-half", &w));
	ASSERT_OK(blob_write(w, "half", 4));
	/* A name that is not an id is not ours and stays. */
	stranger = xasprintf("%s/files/not.an.id", t.root);
	fd = open(stranger, O_WRONLY | O_CREAT, 0600);
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_EQ_INT(blobs_sweep(t.bs, keep_one, &asked), 2);
	ASSERT_EQ_INT(asked, 2);
	ASSERT(has(&t, "file-kept"));
	ASSERT(!has(&t, "file-orphan"));
	ASSERT(!has(&t, ".tmp-file-half"));
	ASSERT(has(&t, "not.an.id"));
	/* The writer's file is gone; aborting it is still safe. */
	blob_abort(w);
	free(stranger);
	tblobs_close(&t);
}

static void open_reports_a_bad_directory(void)
{
	struct tblobs t;
	struct blobs *bs = (struct blobs *)&t;
	char *file;
	int fd;

	tblobs_open(&t);
	file = xasprintf("%s/plain", t.root);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_EQ_INT(blobs_open(file, &bs), ERR_INTERNAL);
	ASSERT(bs == NULL);
	free(file);
	tblobs_close(&t);
}

const struct t_case blob_tests[] = {
	T_CASE(open_reports_a_bad_directory),
	T_CASE(commit_makes_the_blob_visible_whole),
	T_CASE(abort_and_remove_leave_nothing),
	T_CASE(ids_cannot_leave_the_directory),
	T_CASE(sweep_removes_temporaries_and_orphans),
	{ NULL, NULL },
};
