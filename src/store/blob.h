/* blob.h - where uploaded files' bytes live: one blob per file id, behind a small interface.
 *
 * The store (store.h) keeps a file's metadata; its bytes are a blob named by the file id.
 * blob.c keeps them in a local directory, <data>/files/; a shared backend for several nodes
 * implements this same header. A blob becomes visible only whole: a writer writes to a
 * temporary name, and blob_commit flushes it to disk and renames it into place. Whoever
 * commits the blob writes the store row after it, and removes the blob if that fails, so a
 * crash leaves at most an orphan (a temporary or a blob with no row), which blobs_sweep
 * removes at the next start.
 * Thread-safe: one struct blobs serves every thread; a writer belongs to one thread. */
#ifndef ASSISTD_BLOB_H
#define ASSISTD_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct blobs;
struct blob_writer;

/* Opens (creating it if needed, not its parents) the blob directory dir (by default
 * <data>/files; every node on one database shares one, see README). On success *out is owned
 * by the caller: close with blobs_close. Errors: ERR_INTERNAL (the reason is logged). */
int blobs_open(const char *dir, struct blobs **out) MUST_CHECK;
/* Closes bs; writers must be committed or aborted first. NULL is a no-op. */
void blobs_close(struct blobs *bs);

/* Removes what a crash left behind: every temporary, and every blob for which keep(ctx, id)
 * returns false (its store row never got written, or was deleted). Call it before serving,
 * when no writer is open. Returns the number removed, or -1 when the directory cannot be
 * read (logged). */
int blobs_sweep(struct blobs *bs, bool (*keep)(void *ctx, const char *id), void *ctx);

/* Starts writing the blob of id (a file id: letters, digits, '-' and '_'). On success *out
 * is owned by the caller until blob_commit or blob_abort. Errors: ERR_INVALID (bad id),
 * ERR_INTERNAL (logged). */
int blob_create(struct blobs *bs, const char *id, struct blob_writer **out) MUST_CHECK;
/* Appends len bytes. Errors: ERR_INTERNAL (disk full or I/O error; logged). */
int blob_write(struct blob_writer *w, const void *p, size_t len) MUST_CHECK;
/* The number of bytes written so far. */
uint64_t blob_written(const struct blob_writer *w);
/* Flushes the bytes to disk, renames the blob into place and frees w, whatever the result.
 * Errors: ERR_INTERNAL (logged; nothing is left behind). */
int blob_commit(struct blob_writer *w) MUST_CHECK;
/* Drops an unfinished blob: removes its temporary and frees w. NULL is a no-op. */
void blob_abort(struct blob_writer *w);

/* Opens the blob of id for reading. On success *fd is an owned descriptor (close it) and
 * *size, when not NULL, the blob's length. Errors: ERR_NOT_FOUND, ERR_INVALID (bad id),
 * ERR_INTERNAL (logged). */
int blob_open_read(struct blobs *bs, const char *id, int *fd, uint64_t *size) MUST_CHECK;
/* Removes the blob of id; a blob already gone is fine. Errors: ERR_INVALID (bad id),
 * ERR_INTERNAL (logged). */
int blob_remove(struct blobs *bs, const char *id) MUST_CHECK;

/* Copies every complete blob of the blob directory from into to (created if needed),
 * skipping temporaries and blobs the destination already has, while a server may be writing
 * and deleting blobs. Errors: ERR_INTERNAL (logged). */
int blobs_copy(const char *from, const char *to) MUST_CHECK;

#endif
