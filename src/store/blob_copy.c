/* blob_copy.c - copying the file blobs of one data directory into another, for backups.
 *
 * Blobs are written whole under a temporary name and renamed into place (blob.c), so every
 * name in <data>/files/ that is not a temporary is a complete, immutable file: copying it
 * while the server runs is safe. A blob deleted while we copy is skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/log.h"
#include "blob.h"

#define COPY_CHUNK (64 * 1024)

/* Copies the open file in to out; 0 or ERR_INTERNAL. */
static int copy_fd(int in, int out)
{
	char chunk[COPY_CHUNK];
	ssize_t n;

	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n)
			return ERR_INTERNAL;
	}
	return n == 0 ? 0 : ERR_INTERNAL;
}

/* Copies blob name from directory fd src to dst unless dst has it; a vanished source is not
 * an error. */
static int copy_one(int src, int dst, const char *name)
{
	int in = -1;
	int out = -1;
	int err = 0;

	if (faccessat(dst, name, F_OK, 0) == 0)
		return 0;
	in = openat(src, name, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : ERR_INTERNAL;
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		err = ERR_INTERNAL;
		goto out;
	}
	err = copy_fd(in, out);
	if (!err && fsync(out) != 0)
		err = ERR_INTERNAL;
out:
	if (out >= 0)
		close(out);
	close(in);
	if (err)
		log_error("backup: copying file blob %s failed: %s", name, strerror(errno));
	return err;
}

/* Copies each complete blob of the open directory d (fd src) into dst. */
static int copy_dir(DIR *d, int src, int dst)
{
	struct dirent *e;
	int err = 0;

	while (!err && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ".", "..", and temporaries (".tmp-<id>") */
		err = copy_one(src, dst, e->d_name);
	}
	return err;
}

int blobs_copy(const char *from, const char *to)
{
	DIR *d = NULL;
	int dst = -1;
	int err = ERR_INTERNAL;

	if (mkdir(to, 0700) != 0 && errno != EEXIST)
		goto out;
	dst = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		goto out;
	d = opendir(from);
	if (!d) {
		err = errno == ENOENT ? 0 : ERR_INTERNAL; /* ENOENT: no upload ever */
		goto out;
	}
	err = copy_dir(d, dirfd(d), dst);
	if (!err && fsync(dst) != 0)
		err = ERR_INTERNAL;
out:
	if (err)
		log_error("backup: copying %s to %s failed: %s", from, to, strerror(errno));
	if (d)
		closedir(d);
	if (dst >= 0)
		close(dst);
	return err;
}
