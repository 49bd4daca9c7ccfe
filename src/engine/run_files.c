/* run_files.c - the files code_interpreter wrote, in the run's messages (engine thread).
 *
 * Images become image_file content parts of the next assistant message, each at its own
 * content index before the text (the SDK's imageFileDone closes a part when the next index
 * begins). Every other file is for the model to link as sandbox:/mnt/data/<name>; once the
 * message's text is complete each such link to a file of the run becomes a file_path
 * annotation ({type, text: the link, start_index, end_index (code points, end exclusive),
 * file_path: {file_id}}), streamed in a last text delta and kept in the message. */
#include "engine_int.h"

#include <string.h>

#include "../base/utf8.h"

#define LINK_PREFIX "sandbox:/mnt/data/"
#define FILES_ANNOTS_MAX 1000

void files_remember(struct exec *x, const jv *call, bool fresh)
{
	const struct tool *t = tool_find(jv_get_str(call, "type"));
	const jv *files = t ? tool_files(t, call) : NULL;

	for (size_t i = 0; i < jv_size(files); i++) {
		const jv *f = jv_at(files, i);

		if (!x->outfiles)
			x->outfiles = jv_array();
		jv_push(x->outfiles, jv_copy(f));
		if (!fresh || !jv_true(jv_get(f, "image")))
			continue;
		if (!x->images)
			x->images = jv_array();
		jv_push(x->images, jv_string(jv_get_str(f, "file_id")));
	}
}

/* An image_file content part (with its delta index when index >= 0). Owned. */
static jv *image_part(const char *file_id, int64_t index)
{
	jv *part = jv_object();
	jv *img = jv_object();

	if (index >= 0)
		jv_set_int(part, "index", index);
	jv_set_str(part, "type", "image_file");
	jv_set_str(img, "file_id", file_id);
	jv_set_str(img, "detail", "auto");
	jv_set(part, "image_file", img);
	return part;
}

int files_show_images(struct exec *x)
{
	jv_free(x->msg_images);
	x->msg_images = x->images ? x->images : jv_array();
	x->images = NULL;
	for (size_t i = 0; i < jv_size(x->msg_images); i++) {
		jv *d = jv_object();
		jv *inner = jv_object();
		jv *content = jv_array();

		jv_push(content, image_part(jv_str(jv_at(x->msg_images, i)), (int64_t)i));
		jv_set(inner, "content", content);
		jv_set_str(d, "id", jv_get_str(x->msg, "id"));
		jv_set_str(d, "object", "thread.message.delta");
		jv_set(d, "delta", inner);
		emit(x, "thread.message.delta", d);
		jv_free(d);
	}
	return (int)jv_size(x->msg_images);
}

void files_parts(const struct exec *x, jv *content)
{
	for (size_t i = 0; i < jv_size(x->msg_images); i++)
		jv_push(content, image_part(jv_str(jv_at(x->msg_images, i)), -1));
}

/* The run's file whose name follows the link prefix at p (the longest that fits); borrowed
 * from x->outfiles, or NULL. */
static const jv *linked_file(const struct exec *x, const char *p)
{
	const jv *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < jv_size(x->outfiles); i++) {
		const char *name = jv_get_str(jv_at(x->outfiles, i), "name");
		size_t n = name ? strlen(name) : 0;

		if (n > best_len && strncmp(p, name, n) == 0) {
			best = jv_at(x->outfiles, i);
			best_len = n;
		}
	}
	return best;
}

/* The file_path annotation of the link at `at` in text to file f. Owned. */
static jv *link_annotation(const char *text, const char *at, const jv *f)
{
	size_t len = strlen(LINK_PREFIX) + strlen(jv_get_str(f, "name"));
	int64_t start = utf8_count(text, (size_t)(at - text));
	jv *a = jv_object();
	jv *fp = jv_object();

	jv_set_str(a, "type", "file_path");
	jv_set(a, "text", jv_stringn(at, len));
	jv_set_int(a, "start_index", start);
	jv_set_int(a, "end_index", start + utf8_count(at, len));
	jv_set_str(fp, "file_id", jv_get_str(f, "file_id"));
	jv_set(a, "file_path", fp);
	return a;
}

jv *files_link(struct exec *x)
{
	const char *text = x->text.p;
	jv *fresh = NULL;

	for (const char *p = text ? strstr(text, LINK_PREFIX) : NULL; p;
	     p = strstr(p + 1, LINK_PREFIX)) {
		const jv *f = linked_file(x, p + strlen(LINK_PREFIX));
		jv *a;

		if (!f || jv_size(x->annots) >= FILES_ANNOTS_MAX)
			continue;
		a = link_annotation(text, p, f);
		if (!fresh)
			fresh = jv_array();
		jv_push(fresh, jv_copy(a));
		jv_set_int(jv_at(fresh, jv_size(fresh) - 1), "index", (int64_t)jv_size(x->annots));
		jv_push(x->annots, a);
	}
	return fresh;
}
