/* test_events.c - unit tests for what an events channel keeps (src/engine/events.c):
 * merged deltas, events dropped once read, nothing kept without a reader. */
#include "../../src/base/buf.h"
#include "../../src/engine/events.h"
#include "suites.h"

#define MSG_FIRST "{\"id\":\"msg_%s\",\"object\":\"thread.message.delta\",\"delta\":{\"content\":" \
		  "[{\"index\":0,\"type\":\"text\",\"text\":{\"value\":\"%s\",\"annotations\":[]}}]}}"
#define MSG_MORE "{\"id\":\"msg_%s\",\"object\":\"thread.message.delta\",\"delta\":{\"content\":" \
		 "[{\"index\":0,\"type\":\"text\",\"text\":{\"value\":\"%s\"}}]}}"
#define CALL_FIRST "{\"id\":\"step_1\",\"object\":\"thread.run.step.delta\",\"delta\":" \
		   "{\"step_details\":{\"type\":\"tool_calls\",\"tool_calls\":[{\"index\":%d," \
		   "\"id\":\"call_%d\",\"type\":\"function\",\"function\":{\"name\":\"f\"," \
		   "\"arguments\":\"%s\",\"output\":null}}]}}}"
#define CALL_MORE "{\"id\":\"step_1\",\"object\":\"thread.run.step.delta\",\"delta\":" \
		  "{\"step_details\":{\"type\":\"tool_calls\",\"tool_calls\":[{\"index\":%d," \
		  "\"type\":\"function\",\"function\":{\"arguments\":\"%s\"}}]}}}"

static void noop_wake(void *ctx)
{
}

/* Appends an event whose data is fmt with two string arguments. */
#define APPEND_FMT(ch, name, fmt, a, b)                              \
	do {                                                         \
		char data_[1024];                                    \
		snprintf(data_, sizeof(data_), fmt, a, b);           \
		events_append(ch, name, data_);                      \
	} while (0)

/* Reads everything there is (without a waker) into out. */
static void read_all(struct events *ch, size_t *pos, struct buf *out)
{
	while (events_read(ch, pos, out, 1 << 20, NULL) == EVENTS_MORE)
		;
}

static void events_merge_deltas_no_reader_has_reached(void)
{
	struct events *ch = events_new();
	struct events *rd = events_ref(ch);
	struct buf out;
	size_t pos = 0;

	buf_init(&out, 0);
	events_append(ch, "thread.run.created", "{}");
	APPEND_FMT(ch, "thread.message.delta", MSG_FIRST, "1", "a");
	APPEND_FMT(ch, "thread.message.delta", MSG_MORE, "1", "b\\\"");
	APPEND_FMT(ch, "thread.message.delta", MSG_MORE, "1", "c");
	APPEND_FMT(ch, "thread.message.delta", MSG_MORE, "2", "x"); /* another message */
	ASSERT_EQ_INT(events_count(ch), 3);
	read_all(rd, &pos, &out);
	ASSERT(strstr(out.p, "\"value\":\"ab\\\"c\",\"annotations\":[]") != NULL);
	ASSERT(strstr(out.p, "\"id\":\"msg_2\"") != NULL);
	/* Read now: the next delta is an event of its own. */
	APPEND_FMT(ch, "thread.message.delta", MSG_MORE, "2", "y");
	ASSERT_EQ_INT(events_count(ch), 4);
	buf_cleanup(&out);
	events_unref(rd);
	events_close(ch);
	events_unref(ch);
}

static void events_merge_tool_call_arguments_per_call(void)
{
	struct events *ch = events_new();
	struct events *rd = events_ref(ch);
	char data[1024];
	struct buf out;
	size_t pos = 0;

	buf_init(&out, 0);
	snprintf(data, sizeof(data), CALL_FIRST, 0, 0, "{\\\"a\\\"");
	events_append(ch, "thread.run.step.delta", data);
	snprintf(data, sizeof(data), CALL_MORE, 0, ":1}");
	events_append(ch, "thread.run.step.delta", data);
	snprintf(data, sizeof(data), CALL_FIRST, 1, 1, ""); /* the next call: its own event */
	events_append(ch, "thread.run.step.delta", data);
	snprintf(data, sizeof(data), CALL_MORE, 1, "{}");
	events_append(ch, "thread.run.step.delta", data);
	ASSERT_EQ_INT(events_count(ch), 2);
	read_all(rd, &pos, &out);
	ASSERT(strstr(out.p, "\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\",\"output\":null") != NULL);
	ASSERT(strstr(out.p, "\"id\":\"call_1\"") != NULL);
	ASSERT(strstr(out.p, "\"arguments\":\"{}\"") != NULL);
	buf_cleanup(&out);
	events_unref(rd);
	events_close(ch);
	events_unref(ch);
}

static void events_read_by_every_reader_are_dropped(void)
{
	struct events *ch = events_new();
	struct events *a = events_ref(ch);
	struct events *b = events_ref(ch);
	struct events_waker wa = { noop_wake, &wa }, wb = { noop_wake, &wb };
	struct buf out;
	size_t pa = 0, pb = 0;

	buf_init(&out, 0);
	events_append(ch, "e1", "{}");
	events_append(ch, "e2", "{}");
	while (events_read(a, &pa, &out, 1 << 20, &wa) == EVENTS_MORE)
		;
	ASSERT_STR_EQ(events_name_at(ch, 0), "e1"); /* b has not read it */
	buf_cleanup(&out);
	buf_init(&out, 0);
	ASSERT_EQ_INT(events_read(b, &pb, &out, 4, &wb), EVENTS_MORE); /* one event */
	ASSERT_EQ_INT(pb, 1);
	ASSERT(events_name_at(ch, 0) == NULL);
	ASSERT_STR_EQ(events_name_at(ch, 1), "e2");
	events_forget(b, &wb); /* b goes away: only a is left, and it has read everything */
	events_unref(b);
	events_append(ch, "e3", "{}");
	ASSERT_EQ_INT(events_read(a, &pa, &out, 1 << 20, &wa), EVENTS_MORE);
	ASSERT(events_name_at(ch, 1) == NULL && events_name_at(ch, 2) == NULL);
	ASSERT_EQ_INT(events_count(ch), 3);
	events_close(ch);
	ASSERT_EQ_INT(events_read(a, &pa, &out, 1 << 20, &wa), EVENTS_END);
	buf_cleanup(&out);
	events_forget(a, &wa);
	events_unref(a);
	events_unref(ch);
}

static void events_without_a_reader_keep_nothing(void)
{
	struct events *ch = events_new();
	struct events *rd = events_ref(ch);

	events_append(ch, "thread.run.created", "{}");
	events_unref(rd); /* a run created without a stream: nobody reads */
	ASSERT(events_name_at(ch, 0) == NULL);
	for (int i = 0; i < 1000; i++)
		APPEND_FMT(ch, "thread.run.step.created", "{\"n\":\"%s%s\"}", "x", "y");
	ASSERT_EQ_INT(events_count(ch), 1001);
	ASSERT(events_name_at(ch, 1000) == NULL);
	events_close(ch);
	events_unref(ch);
}

const struct t_case events_tests[] = {
	T_CASE(events_merge_deltas_no_reader_has_reached),
	T_CASE(events_merge_tool_call_arguments_per_call),
	T_CASE(events_read_by_every_reader_are_dropped),
	T_CASE(events_without_a_reader_keep_nothing),
	{ NULL, NULL },
};
