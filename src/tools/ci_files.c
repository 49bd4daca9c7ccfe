/* ci_files.c - code_interpreter's files: the user's files placed in /mnt/data before a
 * call, and the files a call wrote stored as Files after it.
 *
 * An input file appears twice: /mnt/data/<file id>, as on the hosted service, and a copy
 * under its own filename (no links: the sandbox resolves none), unless that name is not a
 * plain file name. Outputs go through the blob store like uploads; images (figures, and
 * .png/.jpg/.jpeg/.gif/.webp files) are marked so the message shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../store/blob.h"
#include "../store/obj.h"
#include "ci_int.h"
#include "sandbox.h"

#define CI_MAX_INPUTS 20 /* files per assistant or thread on the hosted service */
#define CI_MAX_MESSAGES 1000
#define CI_RESTORE_RUNS 20   /* the latest runs of a thread whose written files come back */
#define CI_RESTORE_STEPS 100 /* and the latest steps of each */

static bool has(const struct ci_work *w, const char *id)
{
	for (size_t i = 0; i < w->nin; i++) {
		if (strcmp(w->ins[i].file_id, id) == 0)
			return true;
	}
	return false;
}

/* A filename usable as one name in /mnt/data (owned copy), or NULL. */
static char *plain_name(const char *filename)
{
	if (!filename || !filename[0] || strchr(filename, '/') || strcmp(filename, ".") == 0 ||
	    strcmp(filename, "..") == 0 || strlen(filename) > 200)
		return NULL;
	return xstrdup(filename);
}

/* Opens File id (skipped when it is gone: deleted since it was attached). */
static int add_input(const struct ci_from *from, struct ci_work *w, const char *id)
{
	jv *f = NULL;
	int fd = -1;
	int err;

	if (!id || has(w, id) || w->nin >= 3 * CI_MAX_INPUTS)
		return 0;
	err = obj_get(from->sc.st, from->sc.project, STORE_FILE, id, NULL, &f, NULL);
	if (!err && from->bs)
		err = blob_open_read(from->bs, id, &fd, NULL);
	if (err == ERR_NOT_FOUND || err == ERR_INVALID)
		err = 0;
	else if (!err) {
		w->ins = xrealloc(w->ins, (w->nin + 1) * sizeof(*w->ins));
		w->ins[w->nin++] = (struct ci_input){ xstrdup(id),
						      plain_name(jv_get_str(f, "filename")), fd,
						      false };
	}
	jv_free(f);
	return err;
}

static int add_list(const struct ci_from *from, struct ci_work *w, const jv *ids)
{
	int err = 0;

	for (size_t i = 0; i < jv_size(ids) && !err; i++)
		err = add_input(from, w, jv_str(jv_at(ids, i)));
	return err;
}

/* The file_ids of the stored object's tool_resources.code_interpreter. */
static int add_resources(const struct ci_from *from, struct ci_work *w, enum store_kind kind,
			 const char *id)
{
	jv *v = NULL;
	int err = id ? obj_get(from->sc.st, from->sc.project, kind, id, NULL, &v, NULL) : 0;

	if (!err && v)
		err = add_list(from, w, jv_get(jv_get(jv_get(v, "tool_resources"),
						   "code_interpreter"), "file_ids"));
	jv_free(v);
	return err == ERR_NOT_FOUND ? 0 : err;
}

static int add_message(const struct ci_from *from, struct ci_work *w, const char *body)
{
	jv *m = jv_parse(body, strlen(body), NULL, 0);
	const jv *atts = jv_get(m, "attachments");
	int err = 0;

	for (size_t i = 0; i < jv_size(atts) && !err; i++) {
		if (tool_attached_for(jv_at(atts, i), "code_interpreter"))
			err = add_input(from, w, jv_get_str(jv_at(atts, i), "file_id"));
	}
	jv_free(m);
	return err;
}

static int add_attachments(const struct ci_from *from, struct ci_work *w)
{
	struct store_page pg = { .limit = CI_MAX_MESSAGES };
	struct store_list l = { 0 };
	const char *thread_id = jv_get_str(from->sc.run, "thread_id");
	int err = store_list(from->sc.st, from->sc.project, STORE_MESSAGE, thread_id, &pg, &l);

	for (size_t i = 0; !err && i < l.n; i++)
		err = add_message(from, w, l.items[i].body);
	store_list_cleanup(&l);
	return err;
}

/* True when an entry of w is placed under name. */
static bool has_name(const struct ci_work *w, const char *name)
{
	for (size_t i = 0; i < w->nin; i++) {
		if (w->ins[i].name && strcmp(w->ins[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Adds f ({name, file_id} of a call's files) unless a later one took its name. */
static int add_written(const struct ci_from *from, struct ci_work *w, const jv *f)
{
	const char *id = jv_get_str(f, "file_id");
	char *name = plain_name(jv_get_str(f, "name"));
	int fd = -1;
	int err = 0;

	if (id && name && !has_name(w, name) && !has(w, id) && w->nin < 3 * CI_MAX_INPUTS)
		err = blob_open_read(from->bs, id, &fd, NULL);
	if (!err && fd >= 0) {
		w->ins = xrealloc(w->ins, (w->nin + 1) * sizeof(*w->ins));
		w->ins[w->nin] = (struct ci_input){ xstrdup(id), name, fd, true };
		w->nin++;
		name = NULL;
	}
	free(name);
	return err == ERR_NOT_FOUND || err == ERR_INVALID ? 0 : err; /* a File deleted since */
}

/* The files of the code_interpreter calls of one stored step, latest first. */
static int add_step(const struct ci_from *from, struct ci_work *w, const char *body)
{
	jv *s = jv_parse(body, strlen(body), NULL, 0);
	const jv *calls = jv_get(jv_get(s, "step_details"), "tool_calls");
	int err = 0;

	for (size_t i = jv_size(calls); i-- > 0 && !err;) {
		const jv *files = jv_get(jv_get(jv_at(calls, i), "code_interpreter"), CI_FILES);

		for (size_t k = jv_size(files); k-- > 0 && !err;)
			err = add_written(from, w, jv_at(files, k));
	}
	jv_free(s);
	return err;
}

/* The items of list kind under parent, newest first, each through fn. */
static int each_newest(const struct ci_from *from, struct ci_work *w, enum store_kind kind,
		       const char *parent, int limit,
		       int (*fn)(const struct ci_from *, struct ci_work *, const char *))
{
	struct store_page pg = { .limit = limit, .desc = true };
	struct store_list l = { 0 };
	int err = store_list(from->sc.st, from->sc.project, kind, parent, &pg, &l);

	for (size_t i = 0; !err && i < l.n; i++)
		err = fn(from, w, kind == STORE_RUN ? l.items[i].id : l.items[i].body);
	store_list_cleanup(&l);
	return err;
}

static int add_run(const struct ci_from *from, struct ci_work *w, const char *run_id)
{
	return each_newest(from, w, STORE_STEP, run_id, CI_RESTORE_STEPS, add_step);
}

int ci_written_gather(const struct ci_from *from, struct ci_work *w)
{
	return each_newest(from, w, STORE_RUN, jv_get_str(from->sc.run, "thread_id"),
			   CI_RESTORE_RUNS, add_run);
}

int ci_inputs_gather(const struct ci_from *from, struct ci_work *w)
{
	int err = add_resources(from, w, STORE_ASSISTANT, jv_get_str(from->sc.run, "assistant_id"));

	if (!err)
		err = add_resources(from, w, STORE_THREAD, jv_get_str(from->sc.run, "thread_id"));
	if (!err)
		err = add_attachments(from, w);
	return err;
}

/* Places the file at path as name unless the session has a file of that name already (put
 * by an earlier call, perhaps changed by the code since: it stays as it is). */
static int put_once(struct tool_job *j, struct ci_work *w, const char *name, const char *path)
{
	int fd;

	if (sbx_open_file(j->env->sbx, w->thread_id, name, &fd) == 0) {
		close(fd);
		return 0;
	}
	return sbx_put_file(j->env->sbx, w->thread_id, name, path);
}

void ci_inputs_put(struct tool_job *j, struct ci_work *w)
{
	for (size_t i = 0; i < w->nin; i++) {
		struct ci_input *in = &w->ins[i];
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", in->fd);
		if ((!in->written && put_once(j, w, in->file_id, path)) ||
		    (in->name && strcmp(in->name, in->file_id) != 0 &&
		     put_once(j, w, in->name, path)))
			log_warn("code_interpreter: %s could not be placed in /mnt/data",
				 in->file_id);
		close(in->fd);
		in->fd = -1;
	}
}

void ci_inputs_free(struct ci_work *w)
{
	for (size_t i = 0; i < w->nin; i++) {
		if (w->ins[i].fd >= 0)
			close(w->ins[i].fd);
		free(w->ins[i].file_id);
		free(w->ins[i].name);
	}
	free(w->ins);
	for (size_t i = 0; i < w->nout; i++) {
		if (w->outs[i].fd >= 0)
			close(w->outs[i].fd);
	}
}

static bool is_image(const struct ci_output *o)
{
	static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".gif", ".webp" };
	size_t n = strlen(o->name);

	for (size_t i = 0; !o->figure && i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t k = strlen(exts[i]);

		if (n > k && strcasecmp(o->name + n - k, exts[i]) == 0)
			return true;
	}
	return o->figure;
}

/* Copies fd into a new blob id; returns the size in *bytes. */
static int copy_blob(struct blobs *bs, const char *id, int fd, int64_t *bytes)
{
	struct blob_writer *wr;
	char chunk[65536];
	ssize_t got;
	int err = blob_create(bs, id, &wr);

	while (!err && (got = read(fd, chunk, sizeof(chunk))) > 0)
		err = blob_write(wr, chunk, (size_t)got);
	if (!err && got < 0)
		err = ERR_INTERNAL;
	if (err) {
		blob_abort(wr);
		return err;
	}
	*bytes = (int64_t)blob_written(wr);
	return blob_commit(wr);
}

/* The File object of an output (assistants_output). Owned. */
static jv *file_new(const char *id, const char *name, int64_t bytes)
{
	const char *base = strrchr(name, '/');
	jv *f = jv_object();

	jv_set_str(f, "object", "file");
	jv_set_str(f, "id", id);
	jv_set_str(f, "purpose", "assistants_output");
	jv_set_str(f, "filename", base ? base + 1 : name);
	jv_set_int(f, "bytes", bytes);
	jv_set_int(f, "created_at", clock_unix());
	jv_set_null(f, "expires_at");
	jv_set_str(f, "status", "processed");
	jv_set_null(f, "status_details");
	return f;
}

/* Stores one output as a File; its row after its blob, and no blob without a row. */
static int save_one(struct tool_job *j, const struct ci_output *o, jv *files)
{
	char id[ID_MAX + 1];
	int64_t bytes = 0;
	jv *f;
	jv *entry;
	int err = id_new(ID_FILE, id, sizeof(id));

	if (!err)
		err = copy_blob(j->env->bs, id, o->fd, &bytes);
	if (err)
		return err;
	f = file_new(id, o->name, bytes);
	err = obj_put(j->env->st, j->project, STORE_FILE, f, -1, NULL);
	jv_free(f);
	if (err) {
		if (blob_remove(j->env->bs, id))
			log_warn("code_interpreter: %s: blob left without a row", id);
		return err;
	}
	entry = jv_object();
	jv_set_str(entry, "name", o->name);
	jv_set_str(entry, "file_id", id);
	jv_set_bool(entry, "image", is_image(o));
	jv_push(files, entry);
	return 0;
}

int ci_outputs_save(struct tool_job *j, struct ci_work *w, jv *files)
{
	int err = 0;

	for (size_t i = 0; i < w->nout && !err; i++)
		err = save_one(j, &w->outs[i], files);
	return err;
}
