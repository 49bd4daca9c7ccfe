/* blob.c - blobs in a local directory (see blob.h): <data>/files/<id>, written as
 * <data>/files/.tmp-<id> and renamed into place once on disk.
 *
 * Every path is resolved against the directory's descriptor (openat and friends), and ids are
 * checked to be plain names, so no id can reach outside the directory. The directory is
 * fsynced after a rename or removal so that the name change itself survives a crash. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/id.h"
#include "../base/log.h"
#include "blob.h"

#define BLOB_TMP ".tmp-" /* ids never start with '.', so temporaries cannot clash with blobs */
#define BLOB_NAME_MAX (sizeof(BLOB_TMP) + ID_MAX + 1)

struct blobs {
	char *dir; /* owned: <data_dir>/files, for log lines */
	int dirfd;
};

struct blob_writer {
	struct blobs *bs; /* borrowed */
	int fd;
	uint64_t written;
	char tmp[BLOB_NAME_MAX];
	char name[BLOB_NAME_MAX];
};

static bool name_ok(const char *id)
{
	return id_valid(id, "");
}

static int sys_fail(const struct blobs *bs, const char *what, const char *name)
{
	log_error("blob: %s %s/%s: %s", what, bs->dir, name, strerror(errno));
	return ERR_INTERNAL;
}

int blobs_open(const char *dir, struct blobs **out)
{
	struct blobs *bs = xcalloc(1, sizeof(*bs));
	int err = 0;

	*out = NULL;
	bs->dir = xstrdup(dir);
	bs->dirfd = -1;
	if (mkdir(bs->dir, 0700) != 0 && errno != EEXIST)
		err = sys_fail(bs, "create", ".");
	if (!err)
		bs->dirfd = open(bs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!err && bs->dirfd < 0)
		err = sys_fail(bs, "open", ".");
	if (err) {
		blobs_close(bs);
		return err;
	}
	*out = bs;
	return 0;
}

void blobs_close(struct blobs *bs)
{
	if (!bs)
		return;
	if (bs->dirfd >= 0)
		close(bs->dirfd);
	free(bs->dir);
	free(bs);
}

/* Makes the directory's entries (a rename, a removal) durable. */
static int dir_sync(struct blobs *bs)
{
	if (fsync(bs->dirfd) != 0)
		return sys_fail(bs, "fsync", ".");
	return 0;
}

/* Decides whether the entry name is an orphan (see blobs_sweep). */
static bool orphan(const char *name, bool (*keep)(void *ctx, const char *id), void *ctx)
{
	if (strncmp(name, BLOB_TMP, strlen(BLOB_TMP)) == 0)
		return true;
	/* Names that are not ids are not ours: leave them alone. */
	return name_ok(name) && !keep(ctx, name);
}

int blobs_sweep(struct blobs *bs, bool (*keep)(void *ctx, const char *id), void *ctx)
{
	int fd = dup(bs->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		(void)sys_fail(bs, "read", ".");
		return -1;
	}
	rewinddir(d);
	for (e = readdir(d); e; e = readdir(d)) {
		if (!orphan(e->d_name, keep, ctx))
			continue;
		if (unlinkat(bs->dirfd, e->d_name, 0) != 0 && errno != ENOENT) {
			(void)sys_fail(bs, "remove", e->d_name);
			continue;
		}
		log_info("blob: removed %s/%s, left behind by an earlier run", bs->dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		(void)dir_sync(bs);
	return n;
}

int blob_create(struct blobs *bs, const char *id, struct blob_writer **out)
{
	struct blob_writer *w;

	*out = NULL;
	if (!name_ok(id))
		return ERR_INVALID;
	w = xcalloc(1, sizeof(*w));
	w->bs = bs;
	snprintf(w->name, sizeof(w->name), "%s", id);
	snprintf(w->tmp, sizeof(w->tmp), "%s%s", BLOB_TMP, id);
	w->fd = openat(bs->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		int err = sys_fail(bs, "create", w->tmp);

		free(w);
		return err;
	}
	*out = w;
	return 0;
}

int blob_write(struct blob_writer *w, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(w->fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sys_fail(w->bs, "write", w->tmp);
		c += n;
		len -= (size_t)n;
		w->written += (uint64_t)n;
	}
	return 0;
}

uint64_t blob_written(const struct blob_writer *w)
{
	return w->written;
}

int blob_commit(struct blob_writer *w)
{
	struct blobs *bs = w->bs;
	int err = 0;

	if (fsync(w->fd) != 0)
		err = sys_fail(bs, "fsync", w->tmp);
	if (close(w->fd) != 0 && !err)
		err = sys_fail(bs, "close", w->tmp);
	w->fd = -1;
	if (!err && renameat(bs->dirfd, w->tmp, bs->dirfd, w->name) != 0)
		err = sys_fail(bs, "rename", w->tmp);
	if (!err)
		err = dir_sync(bs);
	if (err) {
		(void)unlinkat(bs->dirfd, w->tmp, 0);
		(void)unlinkat(bs->dirfd, w->name, 0);
	}
	free(w);
	return err;
}

void blob_abort(struct blob_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	if (unlinkat(w->bs->dirfd, w->tmp, 0) != 0 && errno != ENOENT)
		(void)sys_fail(w->bs, "remove", w->tmp);
	free(w);
}

int blob_open_read(struct blobs *bs, const char *id, int *fd, uint64_t *size)
{
	struct stat sb;

	*fd = -1;
	if (!name_ok(id))
		return ERR_INVALID;
	*fd = openat(bs->dirfd, id, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? ERR_NOT_FOUND : sys_fail(bs, "open", id);
	if (fstat(*fd, &sb) != 0) {
		int err = sys_fail(bs, "stat", id);

		close(*fd);
		*fd = -1;
		return err;
	}
	if (size)
		*size = (uint64_t)sb.st_size;
	return 0;
}

int blob_remove(struct blobs *bs, const char *id)
{
	if (!name_ok(id))
		return ERR_INVALID;
	if (unlinkat(bs->dirfd, id, 0) != 0)
		return errno == ENOENT ? 0 : sys_fail(bs, "remove", id);
	return dir_sync(bs);
}
