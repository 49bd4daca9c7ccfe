/* cli_backup.c - `assistd backup --data DIR --to DEST`: an online backup of a data directory.
 *
 * DEST becomes a new directory laid out like a data directory (assistd.db and files/), so
 * restoring is copying it to where the server looks (or pointing --data at it). It is built
 * under DEST.partial and renamed into place only when complete. While the server keeps
 * writing: the blobs are copied, then the database is copied in one read transaction (a
 * consistent snapshot), then the blobs written meanwhile are copied. A file's blob is on disk
 * before its row, so every file the snapshot has, has its bytes in the backup, unless it was
 * deleted between the snapshot and the second copy; blobs without a row are removed by the
 * server when it starts on the restored directory. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "cli.h"
#include "config.h"
#include "store/blob.h"
#include "store/store.h"

#define PATH_MAX_LEN 4096

static int usage(void)
{
	fprintf(stderr, "usage: assistd backup --to DEST [--data DIR]\n"
			"  DEST must not exist; it becomes a copy of the data directory.\n");
	return 2;
}

/* Takes --to DEST out of argv (into *to) and loads the rest as server options. */
static int parse(int argc, char **argv, const char **to, struct config *cfg)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0;
	int err;

	rest[nrest++] = argv[0];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			*to = argv[++i];
		else if (strncmp(argv[i], "--to=", 5) == 0)
			*to = argv[i] + 5;
		else
			rest[nrest++] = argv[i];
	}
	err = config_load(cfg, nrest, rest, 1);
	free(rest);
	return err;
}

/* Blobs, then the database snapshot, then the blobs written meanwhile, into dir. */
static int copy_all(const struct config *cfg, const char *dir)
{
	char db[PATH_MAX_LEN];
	char files[PATH_MAX_LEN];
	int err;

	if ((size_t)snprintf(db, sizeof(db), "%s/assistd.db", dir) >= sizeof(db) ||
	    (size_t)snprintf(files, sizeof(files), "%s/files", dir) >= sizeof(files))
		return ERR_INVALID;
	err = blobs_copy(cfg->files_dir, files);
	if (!err)
		err = store_backup(cfg->data_dir, db);
	if (!err)
		err = blobs_copy(cfg->files_dir, files);
	return err;
}

/* A store in PostgreSQL is backed up with PostgreSQL's own tools: says how, and fails. */
static int refuse_pg(const struct config *cfg)
{
	fprintf(stderr, "assistd backup: the store is in PostgreSQL (--database-url or "
			"ASSISTD_DATABASE_URL), which this command does not copy. Back the "
			"database up with pg_dump (pg_dump --format=custom --file=FILE URL; see "
			"README, \"Backups\") and copy the files directory %s alongside it.\n",
		cfg->files_dir);
	return 1;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Removes the partial backup at dir after a failure; says so when even that fails. */
static void remove_partial(const char *dir)
{
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "assistd backup: could not remove %s; remove it by hand\n", dir);
}

/* Creates the directory the backup is built in, refusing to touch an existing DEST. */
static int make_partial(const char *to, const char *part)
{
	if (access(to, F_OK) == 0) {
		fprintf(stderr, "assistd backup: %s already exists; name a new directory\n", to);
		return ERR_CONFLICT;
	}
	if (mkdir(part, 0700) != 0) {
		fprintf(stderr, "assistd backup: cannot create %s: %s\n", part, strerror(errno));
		return ERR_INTERNAL;
	}
	return 0;
}

int cli_backup(int argc, char **argv)
{
	struct config cfg;
	const char *to = NULL;
	char part[PATH_MAX_LEN];

	if (parse(argc, argv, &to, &cfg) || !to || !*to)
		return usage();
	if (store_url_pg(cfg.database_url))
		return refuse_pg(&cfg);
	log_set_level(cfg.log_level);
	umask(077); /* the copy holds what the data directory holds: keep it private */
	if ((size_t)snprintf(part, sizeof(part), "%s.partial", to) >= sizeof(part) - 64)
		return usage();
	if (make_partial(to, part) != 0)
		return 1;
	if (copy_all(&cfg, part) != 0 || rename(part, to) != 0) {
		fprintf(stderr, "assistd backup: failed (see above); no backup was made\n");
		remove_partial(part);
		return 1;
	}
	printf("backed up %s to %s\n", cfg.data_dir, to);
	return 0;
}
