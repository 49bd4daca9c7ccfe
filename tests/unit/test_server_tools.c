/* test_server_tools.c - the server-side tools' pure parts: the citation marker scanner (split
 * anywhere, even inside a UTF-8 character; positions in code points; what is not a marker)
 * and the tool table. */
#include <stdlib.h>
#include <string.h>

#include "../../src/tools/cite.h"
#include "../../src/tools/tool.h"
#include "t.h"

#define MARK "\xe3\x80\x90" "0:1" "\xe2\x80\xa0" "a.txt" "\xe3\x80\x91" /* 【0:1†a.txt】 */

/* Feeds text in pieces of size step; collects the released text and the marks (with their
 * positions) into out, marks and *n. */
static void feed_all(const char *text, size_t step, struct buf *out, struct cite_mark *marks,
		     size_t *n)
{
	struct cite c;
	size_t len = strlen(text);

	cite_init(&c);
	buf_init(out, 0);
	*n = 0;
	for (size_t i = 0; i <= len; i += step) {
		struct cite_out o;
		size_t piece = len - i < step ? len - i : step;

		if (piece)
			cite_feed(&c, text + i, piece, &o);
		else
			cite_flush(&c, &o);
		for (size_t k = 0; k < o.n; k++)
			marks[(*n)++] = o.marks[k];
		ASSERT_OK(buf_append(out, o.text.p ? o.text.p : "", o.text.len));
		cite_out_cleanup(&o);
	}
	cite_cleanup(&c);
}

static void cite_split_anywhere(void)
{
	const char *text = "\xc3\xa9t\xc3\xa9 " MARK " then " MARK;
	struct cite_mark marks[8];

	for (size_t step = 1; step <= strlen(text); step++) {
		struct buf out;
		size_t n;

		feed_all(text, step, &out, marks, &n);
		ASSERT_STR_EQ(out.p, text);
		ASSERT_EQ_INT(n, 2);
		ASSERT_EQ_INT(marks[0].start, 4); /* "été " is 4 code points */
		ASSERT_EQ_INT(marks[0].end, 4 + 11);
		ASSERT_EQ_INT(marks[0].call, 0);
		ASSERT_EQ_INT(marks[0].result, 1);
		ASSERT_EQ_INT(marks[1].start, 4 + 11 + 6);
		buf_cleanup(&out);
	}
}

/* The text that carries a marker carries all of it: nothing of it is released before. */
static void cite_holds_back(void)
{
	struct cite c;
	struct cite_out o;

	cite_init(&c);
	cite_feed(&c, "see \xe3\x80", 6, &o); /* half of 【 */
	ASSERT_STR_EQ(o.text.p, "see ");
	cite_out_cleanup(&o);
	cite_feed(&c, "\x90" "0:1", 4, &o);
	ASSERT_EQ_INT(o.text.len, 0);
	cite_out_cleanup(&o);
	cite_feed(&c, "\xe2\x80\xa0" "a.txt" "\xe3\x80\x91" "!", 12, &o);
	ASSERT_STR_EQ(o.text.p, MARK "!");
	ASSERT_EQ_INT(o.n, 1);
	ASSERT_EQ_INT(o.marks[0].off, 0);
	ASSERT_EQ_INT(o.marks[0].len, strlen(MARK));
	cite_out_cleanup(&o);
	cite_cleanup(&c);
}

static void cite_not_markers(void)
{
	const char *texts[] = {
		"\xe3\x80\x90" "x:1" "\xe2\x80\xa0" "a" "\xe3\x80\x91",   /* not a number */
		"\xe3\x80\x90" "0:1 a" "\xe3\x80\x91",                      /* no dagger */
		"\xe3\x80\x90" "0:1" "\xe2\x80\xa0" "a\nb" "\xe3\x80\x91",  /* a newline */
		"\xe3\x80\x90" "0:1" "\xe2\x80\xa0" "never closed",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cite_mark marks[4];
		struct buf out;
		size_t n;

		feed_all(texts[i], 3, &out, marks, &n);
		ASSERT_STR_EQ(out.p, texts[i]);
		ASSERT_EQ_INT(n, 0);
		buf_cleanup(&out);
	}
}

/* An unclosed marker is held back no longer than CITE_MARKER_MAX bytes. */
static void cite_bounded(void)
{
	char text[CITE_MARKER_MAX + 64];
	struct cite c;
	struct cite_out o;
	size_t len;

	memcpy(text, "\xe3\x80\x90" "0:1" "\xe2\x80\xa0", 9);
	memset(text + 9, 'a', sizeof(text) - 10);
	text[sizeof(text) - 1] = '\0';
	len = strlen(text);
	cite_init(&c);
	cite_feed(&c, text, len, &o);
	ASSERT_EQ_INT(o.text.len, len);
	ASSERT_EQ_INT(c.held.len, 0);
	cite_out_cleanup(&o);
	cite_cleanup(&c);
}

static void tool_table(void)
{
	static const char both[] = "[{\"type\":\"function\",\"function\":{\"name\":"
				   "\"file_search\"}},{\"type\":\"file_search\"}]";
	static const char fn[] = "[{\"type\":\"function\",\"function\":{\"name\":"
				 "\"file_search\"}}]";
	jv *tools = jv_parse(both, strlen(both), NULL, 0);
	jv *only_fn = jv_parse(fn, strlen(fn), NULL, 0);
	const struct tool *t = tool_find("file_search");

	ASSERT(t != NULL);
	ASSERT(tool_find("function") == NULL);
	ASSERT(tool_find("code_interpreter") == NULL);
	ASSERT(tool_by_function(tools, "file_search") == t);
	ASSERT(tool_by_function(only_fn, "file_search") == NULL);
	ASSERT(tool_citable(t));
	jv_free(tools);
	jv_free(only_fn);
}

/* A stored call reads back as marked results; redaction takes the contents out. */
static void file_search_output(void)
{
	static const char step_text[] =
		"{\"step_details\":{\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"file_search\","
		"\"file_search\":{\"query\":\"what\",\"results\":[{\"file_id\":\"file-a\",\"file_name\":\"a.txt\","
		"\"score\":0.5,\"content\":[{\"type\":\"text\",\"text\":\"alpha\"}]}]}}]}}";
	jv *step = jv_parse(step_text, strlen(step_text), NULL, 0);
	const jv *call = jv_at(jv_get(jv_get(step, "step_details"), "tool_calls"), 0);
	const struct tool *t = tool_find("file_search");
	char *args = NULL;
	char *out = NULL;
	char *dump;

	tool_output(t, call, 3, &args, &out);
	ASSERT_STR_EQ(out, "\xe3\x80\x90" "3:0" "\xe2\x80\xa0" "a.txt" "\xe3\x80\x91" "\nalpha");
	ASSERT_STR_EQ(args, "{\"query\":\"what\"}");
	ASSERT_STR_EQ(tool_source(t, call, 0), "file-a");
	ASSERT(tool_source(t, call, 1) == NULL);
	tool_step_redact(step, true);
	dump = jv_dump(step);
	ASSERT(strstr(dump, "alpha") != NULL);
	ASSERT(strstr(dump, "what") == NULL); /* the query is the server's */
	free(dump);
	tool_step_redact(step, false);
	dump = jv_dump(step);
	ASSERT(strstr(dump, "alpha") == NULL);
	free(dump);
	free(args);
	free(out);
	jv_free(step);
}

const struct t_case server_tools_tests[] = {
	T_CASE(cite_split_anywhere),
	T_CASE(cite_holds_back),
	T_CASE(cite_not_markers),
	T_CASE(cite_bounded),
	T_CASE(tool_table),
	T_CASE(file_search_output),
	{ NULL, NULL },
};
