/* sandbox_files.c - a session's /mnt/data as the server sees it: what changed in a call,
 * whether it is full, placing input files and opening output files.
 *
 * The server reaches /mnt/data only through the descriptor the driver sent at start, and
 * resolves every name beneath it with openat2: never through a symbolic link, a magic link
 * or onto another mount, so code that plants a link to /etc/shadow in /mnt/data gets the
 * server to read nothing. Only regular files are listed and opened. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "sandbox_int.h"

#define SCAN_DEPTH 8
#define FULL_SLACK (64 * 1024) /* less free space than this counts as full */

static int open_beneath(int dir, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.mode = (flags & O_CREAT) ? 0644 : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};

	return (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
}

bool sbx_files_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 255 && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static void snap_add(struct sbx_snapshot *snap, const char *name, const struct stat *st)
{
	struct sbx_entry *e;

	snap->v = xrealloc(snap->v, (snap->len + 1) * sizeof(*snap->v));
	e = &snap->v[snap->len++];
	e->name = xstrdup(name);
	e->size = st->st_size;
	e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e->ino = st->st_ino;
}

static void scan_dir(struct sbx_sess *sess, struct sbx_snapshot *snap, const char *rel,
		     int depth);

/* One directory entry: regular files are recorded, directories walked. */
static void scan_entry(struct sbx_sess *sess, struct sbx_snapshot *snap, int dfd,
		       const char *rel, const char *name, int depth)
{
	struct stat st;
	char *path;

	if (++snap->entries > (size_t)sess->s->lim.max_files)
		return;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	path = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	if (S_ISREG(st.st_mode))
		snap_add(snap, path, &st);
	else if (S_ISDIR(st.st_mode) && depth < SCAN_DEPTH)
		scan_dir(sess, snap, path, depth + 1);
	free(path);
}

static void scan_dir(struct sbx_sess *sess, struct sbx_snapshot *snap, const char *rel,
		     int depth)
{
	int fd = open_beneath(sess->data, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && snap->entries <= (size_t)sess->s->lim.max_files) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			scan_entry(sess, snap, fd, rel, de->d_name, depth);
	}
	closedir(d);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sbx_entry *)a)->name, ((const struct sbx_entry *)b)->name);
}

void sbx_snapshot_cleanup(struct sbx_snapshot *snap)
{
	for (size_t i = 0; i < snap->len; i++)
		free(snap->v[i].name);
	free(snap->v);
	memset(snap, 0, sizeof(*snap));
}

void sbx_files_scan(struct sbx_sess *sess, struct sbx_snapshot *snap)
{
	sbx_snapshot_cleanup(snap);
	if (sess->data < 0)
		return;
	scan_dir(sess, snap, "", 0);
	if (snap->len > 1)
		qsort(snap->v, snap->len, sizeof(*snap->v), entry_cmp);
}

static bool changed(const struct sbx_snapshot *before, const struct sbx_entry *e)
{
	const struct sbx_entry *old = before->len ? bsearch(e, before->v, before->len, sizeof(*e),
							    entry_cmp) : NULL;

	return !old || old->size != e->size || old->mtime_ns != e->mtime_ns || old->ino != e->ino;
}

static bool is_figure(const jv *figures, const char *name)
{
	for (size_t i = 0; i < jv_size(figures); i++) {
		const char *f = jv_str(jv_at(figures, i));

		if (f && strcmp(f, name) == 0)
			return true;
	}
	return false;
}

void sbx_files_diff(const struct sbx_snapshot *before, const struct sbx_snapshot *after,
		    const jv *figures, struct sbx_file **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < after->len; i++) {
		const struct sbx_entry *e = &after->v[i];
		struct sbx_file *f;

		if (!changed(before, e))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		f = &(*out)[(*n)++];
		f->name = xstrdup(e->name);
		f->size = e->size;
		f->figure = is_figure(figures, e->name);
	}
}

bool sbx_files_full(const struct sbx_sess *sess)
{
	struct statfs sf;
	uint64_t files_used;

	if (sess->data < 0 || fstatfs(sess->data, &sf) != 0)
		return false;
	files_used = sbx_files_entries(sess);
	return (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < FULL_SLACK ||
	       files_used > (uint64_t)sess->s->lim.max_files;
}

static int copy_fd(int from, int to)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == ENOSPC || errno == EFBIG)
			return ERR_LIMIT;
		if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP)
			return ERR_INTERNAL;
		break;
	}
	for (;;) {
		ssize_t n = read(from, tmp, sizeof(tmp));

		if (n <= 0)
			return n == 0 ? 0 : ERR_INTERNAL;
		if (write(to, tmp, (size_t)n) != n)
			return errno == ENOSPC || errno == EFBIG ? ERR_LIMIT : ERR_INTERNAL;
	}
}

/* Creates name as the sandbox's user: the tmpfs belongs to the sandbox's user namespace,
 * where root (the server, perhaps) has no uid to own a file with. setfsuid is per thread. */
static int create_as(const struct sbx_sess *sess, const char *name)
{
	bool root = geteuid() == 0;
	int fd;

	if (root) {
		setfsgid(sess->s->lim.uid);
		setfsuid(sess->s->lim.uid);
	}
	fd = open_beneath(sess->data, name, O_WRONLY | O_CREAT | O_EXCL);
	if (root) {
		setfsuid(0);
		setfsgid(0);
	}
	return fd;
}

int sbx_files_put(struct sbx_sess *sess, const char *name, int src_fd)
{
	int fd;
	int err;

	/* whatever the code left under that name (a link, a directory) is not followed */
	unlinkat(sess->data, name, 0);
	fd = create_as(sess, name);
	if (fd < 0) {
		log_warn("sandbox: cannot create %s in /mnt/data: %s", name, strerror(errno));
		return errno == ENOSPC ? ERR_LIMIT : ERR_INTERNAL;
	}
	lseek(src_fd, 0, SEEK_SET);
	err = copy_fd(src_fd, fd);
	close(fd);
	if (err)
		unlinkat(sess->data, name, 0);
	return err;
}

int sbx_files_open(int dir, const char *name, int *fd)
{
	struct stat st;
	int f = open_beneath(dir, name, O_RDONLY | O_NONBLOCK);

	*fd = -1;
	if (f < 0)
		return ERR_NOT_FOUND;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return ERR_NOT_FOUND;
	}
	fcntl(f, F_SETFL, 0);
	*fd = f;
	return 0;
}

uint64_t sbx_files_entries(const struct sbx_sess *sess)
{
	struct statfs sf;

	if (sess->data < 0 || fstatfs(sess->data, &sf) != 0)
		return 0;
	return (uint64_t)(sf.f_files - sf.f_ffree);
}
