/* run_cite.c - file_citation annotations for the citation markers in a reply.
 *
 * The reply's text goes through the marker scanner (tools/cite.h) on its way to the message:
 * a marker 【{call}:{result}†{name}】 whose call and result point to a result of the run's
 * file_search calls becomes a file_citation annotation ({type, text: the marker,
 * start_index, end_index, file_citation: {file_id}}); the text keeps the marker. A marker
 * pointing nowhere stays plain text. */
#include "engine_int.h"

#include "../base/buf.h"

#define CITE_ANNOTS_MAX 1000 /* annotations kept per message */

static jv *annotation(const struct cite_mark *m, const char *text, const char *file_id)
{
	jv *a = jv_object();
	jv *fc = jv_object();

	jv_set_str(a, "type", "file_citation");
	jv_set(a, "text", jv_stringn(text + m->off, m->len));
	jv_set(fc, "file_id", jv_string(file_id));
	jv_set(a, "file_citation", fc);
	jv_set_int(a, "start_index", m->start);
	jv_set_int(a, "end_index", m->end);
	return a;
}

/* The file a marker points to, or NULL. */
static const char *marker_file(const struct exec *x, const struct cite_mark *m)
{
	const jv *call;
	const struct tool *t;

	if (m->call < 0 || (size_t)m->call >= jv_size(x->cites))
		return NULL;
	call = jv_at(x->cites, (size_t)m->call);
	t = tool_find(jv_get_str(call, "type"));
	return t ? tool_source(t, call, m->result) : NULL;
}

/* Adds the annotations of o's markers to x->annots; returns them as delta items (each with
 * its index in the annotations array), or NULL when there are none. */
static jv *annotate(struct exec *x, const struct cite_out *o)
{
	jv *fresh = NULL;

	if (!x->annots)
		x->annots = jv_array();
	for (size_t i = 0; i < o->n && jv_size(x->annots) < CITE_ANNOTS_MAX; i++) {
		const char *file_id = marker_file(x, &o->marks[i]);
		jv *a;
		jv *d;

		if (!file_id)
			continue;
		a = annotation(&o->marks[i], o->text.p, file_id);
		d = jv_copy(a);
		jv_set_int(d, "index", (int64_t)jv_size(x->annots));
		jv_push(x->annots, a);
		if (!fresh)
			fresh = jv_array();
		jv_push(fresh, d);
	}
	return fresh;
}

char *cite_take(struct exec *x, const char *s, size_t len, bool flush, jv **fresh)
{
	struct cite_out o;
	char *text;

	if (flush)
		cite_flush(&x->cite, &o);
	else
		cite_feed(&x->cite, s, len, &o);
	*fresh = annotate(x, &o);
	text = buf_release(&o.text);
	cite_out_cleanup(&o);
	return text;
}
