/* t_store.c - opening a store for a test, on either backend (t_store.h). */
#include "t_store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "t.h"

bool t_on_pg;

void t_pg_sh(const char *verb, const char *db)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "scripts/pg.sh %s '%s' %s >/dev/null", verb,
		 getenv("ASSISTD_TEST_PG"), db);
	ASSERT_OK(system(cmd));
}

void tstore_fresh(struct tstore *t)
{
	static int made;

	if (!t_on_pg)
		return;
	snprintf(t->db, sizeof(t->db), "unit_%d_%d", (int)getpid(), ++made);
	t_pg_sh("createdb", t->db);
	free(t->url);
	t->url = xasprintf("postgresql://postgres@/%s?host=%s", t->db, getenv("ASSISTD_TEST_PG"));
}

int tstore_reopen(const struct tstore *t, struct store **st)
{
	return store_open_url(t->url, t->dir, st);
}

void tstore_open(struct tstore *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/assistd-store-XXXXXX");
	ASSERT(mkdtemp(t->root) != NULL);
	t->dir = xasprintf("%s/data", t->root);
	tstore_fresh(t);
	ASSERT_OK(tstore_reopen(t, &t->st));
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

void tstore_close(struct tstore *t)
{
	store_close(t->st);
	t->st = NULL;
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (t->url)
		t_pg_sh("dropdb", t->db);
	free(t->dir);
	free(t->url);
}
