/* test_engine.c - unit tests for src/engine: the events channel, whole runs driven
 * through the engine on the demo model with a temporary store (or, with
 * ASSISTD_TEST_PG_URL set, that PostgreSQL database, which must be empty: one test at a
 * time), and the model list kept. */
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/engine/engine.h"
#include "../../src/engine/engine_int.h"
#include "../../src/engine/events.h"
#include "../../src/engine/evlog.h"
#include "../../src/store/obj.h"
#include "suites.h"

/* --- the events channel --- */

static int wakes;

static void count_wake(void *ctx)
{
	(void)ctx;
	wakes++;
}

static void events_read_wait_close(void)
{
	struct events *ch = events_new();
	struct events_waker w = { count_wake, &wakes };
	struct buf out;

	buf_init(&out, 0);
	wakes = 0;
	events_attach(ch, &out);
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 20, &w), EVENTS_WAIT);
	events_append(ch, "thread.run.created", "{\"id\":\"run_1\"}");
	ASSERT_EQ_INT(wakes, 1);
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 20, &w), EVENTS_MORE);
	ASSERT_STR_EQ(out.p, "event: thread.run.created\ndata: {\"id\":\"run_1\"}\n\n");
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 20, &w), EVENTS_WAIT);
	events_close(ch);
	ASSERT_EQ_INT(wakes, 2);
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 20, &w), EVENTS_END);
	events_detach(ch, &out);
	buf_cleanup(&out);
	events_unref(ch);
}

static void events_detach_stops_wakes(void)
{
	struct events *ch = events_new();
	struct events_waker w = { count_wake, &wakes };
	struct buf out;

	buf_init(&out, 0);
	wakes = 0;
	events_attach(ch, &out);
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 20, &w), EVENTS_WAIT);
	events_detach(ch, &out);
	events_append(ch, "e", "{}");
	ASSERT_EQ_INT(wakes, 0);
	buf_cleanup(&out);
	events_unref(ch);
}

#define D_HEAD "{\"id\":\"msg_1\",\"delta\":{\"value\":\""
#define D_TAIL "\"}}"

static void delta(struct events *ch, const char *head, const char *span)
{
	events_append_delta(ch, "thread.message.delta", head, span, strlen(span), D_TAIL);
}

/* Reads what reader has not read into out (emptied first). */
static void read_all(struct events *ch, void *reader, struct buf *out)
{
	buf_reset(out);
	ASSERT_EQ_INT(events_read(ch, reader, out, 1 << 20, NULL), EVENTS_MORE);
}

static void events_merge_unread_deltas(void)
{
	struct events *ch = events_new();
	struct buf out;

	buf_init(&out, 0);
	events_attach(ch, &out);
	events_append(ch, "thread.message.created", "{}");
	delta(ch, D_HEAD, "a");
	delta(ch, D_HEAD, "\\\"b");
	delta(ch, D_HEAD, "c");
	ASSERT_EQ_INT(events_kept(ch), 2);
	read_all(ch, &out, &out);
	ASSERT_STR_EQ(out.p, "event: thread.message.created\ndata: {}\n\n"
			     "event: thread.message.delta\ndata: " D_HEAD "a\\\"bc" D_TAIL "\n\n");
	/* A delta read already is never changed: the next one is an event of its own. */
	delta(ch, D_HEAD, "d");
	read_all(ch, &out, &out);
	ASSERT_STR_EQ(out.p, "event: thread.message.delta\ndata: " D_HEAD "d" D_TAIL "\n\n");
	events_detach(ch, &out);
	buf_cleanup(&out);
	events_unref(ch);
}

static void events_merge_only_alike(void)
{
	struct events *ch = events_new();

	delta(ch, D_HEAD, "a");
	delta(ch, "{\"id\":\"msg_2\",\"delta\":{\"value\":\"", "b");
	events_append_delta(ch, "thread.message.delta", D_HEAD, "c", 1, "\",\"x\":[]}}");
	events_append_delta(ch, "thread.run.step.delta", D_HEAD, "d", 1, D_TAIL);
	events_append(ch, "thread.message.delta", D_HEAD "e" D_TAIL);
	delta(ch, D_HEAD, "f");
	ASSERT_EQ_INT(events_kept(ch), 6);
	events_decline(ch);
	events_unref(ch);
}

/* With no reader (declined, or the only one gone), a channel keeps nothing however much is
 * appended; one that expects its reader keeps everything for it. */
static void events_keep_only_what_readers_need(void)
{
	struct events *ch = events_new();
	struct buf out;

	buf_init(&out, 0);
	events_append(ch, "thread.run.created", "{}");
	delta(ch, D_HEAD, "a");
	ASSERT_EQ_INT(events_kept(ch), 2);
	events_decline(ch);
	ASSERT_EQ_INT(events_kept(ch), 0);
	for (int i = 0; i < 1000; i++)
		events_append(ch, "thread.run.step.delta", "{}");
	ASSERT_EQ_INT(events_kept(ch), 0);
	/* A late reader starts with what follows. */
	events_attach(ch, &out);
	events_append(ch, "thread.run.completed", "{}");
	read_all(ch, &out, &out);
	ASSERT_STR_EQ(out.p, "event: thread.run.completed\ndata: {}\n\n");
	ASSERT_EQ_INT(events_kept(ch), 0);
	events_detach(ch, &out);
	buf_cleanup(&out);
	events_unref(ch);
}

static void events_drop_what_every_reader_passed(void)
{
	struct events *ch = events_new();
	struct buf fast;
	struct buf slow;

	buf_init(&fast, 0);
	buf_init(&slow, 0);
	events_attach(ch, &fast);
	events_attach(ch, &slow);
	for (int i = 0; i < 40; i++)
		events_append(ch, "e", "{}");
	read_all(ch, &fast, &fast);
	ASSERT_EQ_INT(events_kept(ch), 40);
	read_all(ch, &slow, &slow);
	ASSERT_EQ_INT(events_kept(ch), 0);
	ASSERT_STR_EQ(slow.p, fast.p);
	events_append(ch, "f", "{}");
	read_all(ch, &fast, &fast);
	ASSERT_EQ_INT(events_kept(ch), 1);
	events_detach(ch, &slow);
	ASSERT_EQ_INT(events_kept(ch), 0);
	events_detach(ch, &fast);
	buf_cleanup(&fast);
	buf_cleanup(&slow);
	events_unref(ch);
}

/* --- whole runs --- */

struct rig {
	char dir[64];
	struct store *st;
	struct engine *eng;
};

/* A rig whose demo model pauses delay_ms between words: a reply of a few words then leaves
 * a test ample time to act between its first word and its end. */
static void rig_open_paced(struct rig *r, int delay_ms)
{
	struct engine_config ec = { .run_expiry_s = 600, .prov.demo_delay_ms = delay_ms };

	snprintf(r->dir, sizeof(r->dir), "/tmp/assistd-engine-XXXXXX");
	ASSERT(mkdtemp(r->dir) != NULL);
	ASSERT_OK(store_open_url(getenv("ASSISTD_TEST_PG_URL"), r->dir, &r->st));
	ec.st = r->st;
	ASSERT_OK(engine_start(&ec, &r->eng));
}

static void rig_open(struct rig *r)
{
	rig_open_paced(r, 0);
}

static void rig_close(struct rig *r)
{
	char cmd[128];

	engine_stop(r->eng);
	store_close(r->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	ASSERT_OK(system(cmd));
}

static void put(struct rig *r, enum store_kind kind, const char *json)
{
	char why[128];
	jv *v = jv_parse(json, strlen(json), why, sizeof(why));

	if (!v)
		T_FAIL("bad JSON %s: %s", json, why);
	ASSERT_OK(obj_put(r->st, "p", kind, v, -1, NULL));
	jv_free(v);
}

/* Leases run id to the rig's engine, as the API's create does. */
static void lease_run(struct rig *r, const char *id)
{
	struct store_op op = { .type = STORE_SET_LEASE, .obj = { .kind = STORE_RUN, .id = id } };

	engine_lease(r->eng, &op.lease, &op.lease_until);
	ASSERT_OK(store_write(r->st, "p", &op, 1));
}

static const char run_json[] =
	"{\"id\":\"run_t1\",\"object\":\"thread.run\",\"created_at\":1,\"thread_id\":\"thread_t1\","
	"\"assistant_id\":\"asst_t1\",\"status\":\"queued\",\"required_action\":null,"
	"\"last_error\":null,\"expires_at\":%lld,\"started_at\":null,\"cancelled_at\":null,"
	"\"failed_at\":null,\"completed_at\":null,\"incomplete_details\":null,\"model\":\"m\","
	"\"instructions\":\"be brief\",\"tools\":[{\"type\":\"function\",\"function\":"
	"{\"name\":\"get_time\",\"strict\":false}}],\"metadata\":{},\"usage\":null,"
	"\"temperature\":1.0,\"top_p\":1.0,\"max_prompt_tokens\":null,"
	"\"max_completion_tokens\":null,\"truncation_strategy\":{\"type\":\"auto\","
	"\"last_messages\":null},\"tool_choice\":\"auto\",\"parallel_tool_calls\":true,"
	"\"response_format\":\"auto\"}";

/* Writes a thread with one user message saying text, and a queued run on it. */
static void seed(struct rig *r, const char *text, char *run, size_t len)
{
	char msg[512];

	put(r, STORE_THREAD, "{\"id\":\"thread_t1\",\"object\":\"thread\",\"created_at\":1,"
			     "\"tool_resources\":{},\"metadata\":{}}");
	snprintf(msg, sizeof(msg),
		 "{\"id\":\"msg_t1\",\"object\":\"thread.message\",\"created_at\":1,"
		 "\"thread_id\":\"thread_t1\",\"run_id\":null,\"role\":\"user\",\"content\":"
		 "[{\"type\":\"text\",\"text\":{\"value\":\"%s\",\"annotations\":[]}}]}", text);
	put(r, STORE_MESSAGE, msg);
	snprintf(run, len, run_json, (long long)clock_unix() + 600);
	put(r, STORE_RUN, run);
	lease_run(r, "run_t1");
}

/* Appends to names the event names of SSE text, space separated, each run of one name
 * written once (how many deltas come depends on how fast the reader reads). */
static void names_of(const char *sse, char *names, size_t len)
{
	char last[64] = "";
	const char *p = sse;

	while ((p = strstr(p, "event: ")) != NULL) {
		size_t n = strcspn(p + 7, "\n");

		p += 7;
		if (n >= sizeof(last) || (strlen(last) == n && strncmp(last, p, n) == 0))
			continue;
		snprintf(last, sizeof(last), "%.*s", (int)n, p);
		snprintf(names + strlen(names), len - strlen(names), "%s ", last);
	}
}

/* Reads ch as a stream does, into out (its attached reader), until an event called name has
 * come, or with name NULL until the channel ends; fails after 10 s. */
static void read_until(struct events *ch, struct buf *out, const char *name)
{
	int64_t deadline = clock_ms() + 10000;
	char key[96];

	snprintf(key, sizeof(key), "event: %s\n", name ? name : "");
	for (;;) {
		enum events_read got = events_read(ch, out, out, 1 << 20, NULL);

		if (name && out->p && strstr(out->p, key))
			return;
		if (got == EVENTS_END && !name)
			return;
		if (got == EVENTS_END || clock_ms() > deadline)
			T_FAIL("the channel ended or stalled before %s: %s", name ? name : "its end",
			       out->p ? out->p : "");
		if (got == EVENTS_WAIT)
			usleep(2000);
	}
}

/* Reads the rest of ch into out (attached as its reader), returns the event names, and lets
 * the channel go. */
static void finish(struct events *ch, struct buf *out, char *names, size_t len)
{
	read_until(ch, out, NULL);
	names[0] = '\0';
	names_of(out->p ? out->p : "", names, len);
	events_detach(ch, out);
	buf_cleanup(out);
	events_unref(ch);
}

/* Reads the channel to its end as a stream does and returns the event names. */
static void drain(struct events *ch, char *names, size_t len)
{
	struct buf out;

	buf_init(&out, 0);
	events_attach(ch, &out);
	finish(ch, &out, names, len);
}

static void stored_status(struct rig *r, const char *want)
{
	char *body = NULL;
	char needle[64];

	ASSERT_OK(store_get(r->st, "p", STORE_RUN, "run_t1", NULL, &body, NULL));
	snprintf(needle, sizeof(needle), "\"status\":\"%s\"", want);
	if (!strstr(body, needle))
		T_FAIL("run is not %s: %s", want, body);
	free(body);
}

static void run_completes_with_reply(void)
{
	struct rig r;
	char run[2048];
	char names[4096];

	rig_open(&r);
	seed(&r, "hello", run, sizeof(run));
	drain(engine_start_run(r.eng, "p", run, NULL, false, NULL), names, sizeof(names));
	ASSERT_STR_EQ(names, "thread.run.created thread.run.queued thread.run.in_progress "
			     "thread.run.step.created thread.run.step.in_progress "
			     "thread.message.created thread.message.in_progress "
			     "thread.message.delta thread.message.completed "
			     "thread.run.step.completed thread.run.completed ");
	stored_status(&r, "completed");
	rig_close(&r);
}

/* The data of the next event called name in SSE text from *p on, parsed (owned), or NULL;
 * moves *p past it. */
static jv *next_event(const char **p, const char *name)
{
	char key[96];
	char why[128];
	size_t n;
	jv *d;

	snprintf(key, sizeof(key), "event: %s\ndata: ", name);
	*p = strstr(*p, key);
	if (!*p)
		return NULL;
	*p += strlen(key);
	n = strcspn(*p, "\n");
	d = jv_parse(*p, n, why, sizeof(why));
	if (!d)
		T_FAIL("%s is not JSON (%s): %.*s", name, why, (int)n, *p);
	return d;
}

/* The text of a message or message delta's first content part (borrowed from m). */
static const char *text_of(const jv *m)
{
	const jv *content = jv_get(jv_get(m, "delta") ? jv_get(m, "delta") : m, "content");

	return jv_get_str(jv_get(jv_at(content, 0), "text"), "value");
}

/* A reader that comes after the reply has streamed in gets every event, the deltas merged
 * into valid deltas that carry the whole text. */
static void late_reader_gets_merged_deltas(void)
{
	struct rig r;
	char run[2048];
	char names[4096] = "";
	char *body = NULL;
	int64_t deadline = clock_ms() + 10000;
	struct events *ch;
	struct buf out;
	struct buf text;
	const char *p;
	jv *d;
	int ndeltas = 0;

	rig_open(&r);
	seed(&r, "tell me a long story", run, sizeof(run));
	ch = engine_start_run(r.eng, "p", run, NULL, false, NULL);
	do {
		free(body);
		usleep(5000);
		ASSERT_OK(store_get(r.st, "p", STORE_RUN, "run_t1", NULL, &body, NULL));
	} while (!strstr(body, "\"status\":\"completed\"") && clock_ms() < deadline);
	free(body);
	buf_init(&out, 0);
	buf_init(&text, 0);
	events_attach(ch, &out);
	ASSERT_EQ_INT(events_read(ch, &out, &out, 1 << 24, NULL), EVENTS_MORE);
	/* The run is stored completed a moment before its last events and the channel's end. */
	read_until(ch, &out, NULL);
	names_of(out.p, names, sizeof(names));
	ASSERT(strstr(names, "thread.message.in_progress thread.message.delta "
			     "thread.message.completed ") != NULL);
	p = out.p;
	d = next_event(&p, "thread.message.delta");
	while (d) {
		ASSERT_STR_EQ(jv_get_str(d, "object"), "thread.message.delta");
		ASSERT_OK(buf_puts(&text, text_of(d)));
		jv_free(d);
		ndeltas++;
		d = next_event(&p, "thread.message.delta");
	}
	ASSERT(ndeltas >= 1 && ndeltas <= 2); /* the first one alone carries annotations: [] */
	p = out.p;
	d = next_event(&p, "thread.message.completed");
	ASSERT(d && text.len > 20);
	ASSERT_STR_EQ(text.p, text_of(d));
	jv_free(d);
	buf_cleanup(&text);
	events_detach(ch, &out);
	buf_cleanup(&out);
	events_unref(ch);
	rig_close(&r);
}

static void tool_call_then_outputs(void)
{
	struct rig r;
	char run[2048];
	char names[4096];
	char *json = NULL;
	char *why = NULL;
	const char *param = NULL;
	struct events *ch = NULL;
	jv *outputs = jv_array();
	jv *o = jv_object();

	rig_open(&r);
	seed(&r, "call get_time", run, sizeof(run));
	drain(engine_start_run(r.eng, "p", run, NULL, false, NULL), names, sizeof(names));
	ASSERT(strstr(names, "thread.run.step.delta thread.run.requires_action ") != NULL);
	stored_status(&r, "requires_action");
	/* A wrong id is refused and changes nothing. */
	jv_set_str(o, "tool_call_id", "call_nope");
	jv_set_str(o, "output", "12:00");
	jv_push(outputs, o);
	ASSERT_EQ_INT(engine_take_tool_outputs(r.eng, "p", "thread_t1", "run_t1", outputs,
					       &json, &ch, &why, &param), ERR_INVALID);
	ASSERT(why != NULL);
	free(why);
	stored_status(&r, "requires_action");
	jv_free(outputs);
	rig_close(&r);
}

static void cancel_finished_run_is_refused(void)
{
	struct rig r;
	char run[2048];
	char names[4096];
	char *json = NULL;
	char *why = NULL;

	rig_open(&r);
	seed(&r, "hi", run, sizeof(run));
	drain(engine_start_run(r.eng, "p", run, NULL, false, NULL), names, sizeof(names));
	ASSERT_EQ_INT(engine_cancel(r.eng, "p", "thread_t1", "run_t1", &json, &why), ERR_INVALID);
	ASSERT(strstr(why, "completed") != NULL);
	free(why);
	ASSERT_EQ_INT(engine_cancel(r.eng, "p", "thread_t1", "run_nope", &json, &why),
		      ERR_NOT_FOUND);
	rig_close(&r);
}

/* How many objects of kind are stored under parent. */
static size_t count_under(struct rig *r, enum store_kind kind, const char *parent)
{
	struct store_page pg = { .limit = 100 };
	struct store_list l;
	size_t n;

	ASSERT_OK(store_list(r->st, "p", kind, parent, &pg, &l));
	n = l.n;
	store_list_cleanup(&l);
	return n;
}

/* Starts a slow reply on a new rig and reads its stream into *out up to the first text
 * delta: the model is mid-reply when it returns. The channel is the caller's. */
static struct events *start_long_reply(struct rig *r, char *run, size_t runlen, struct buf *out)
{
	struct events *ch;

	rig_open_paced(r, 200);
	seed(r, "tell me a long story please", run, runlen);
	ch = engine_start_run(r->eng, "p", run, NULL, false, NULL);
	buf_init(out, 0);
	events_attach(ch, out);
	read_until(ch, out, "thread.message.delta");
	return ch;
}

/* The thread goes while the model is mid-reply: the run stops, its stream ends cancelled,
 * and nothing of it is written again (no orphan message or step). */
static void deleting_the_thread_stops_its_run(void)
{
	struct rig r;
	char run[2048];
	char names[4096];
	char *body = NULL;
	const char *tail;
	struct events *ch;
	struct buf out;

	ch = start_long_reply(&r, run, sizeof(run), &out);
	ASSERT_OK(store_delete(r.st, "p", STORE_THREAD, "thread_t1", NULL));
	engine_stop_runs(r.eng, "p", STORE_THREAD, "thread_t1");
	finish(ch, &out, names, sizeof(names));
	tail = "thread.message.incomplete thread.run.step.cancelled thread.run.cancelled ";
	if (strlen(names) < strlen(tail) || strcmp(names + strlen(names) - strlen(tail), tail))
		T_FAIL("the events do not end with %s: %s", tail, names);
	ASSERT_EQ_INT(store_get(r.st, "p", STORE_RUN, "run_t1", NULL, &body, NULL),
		      ERR_NOT_FOUND);
	ASSERT_EQ_INT(count_under(&r, STORE_STEP, "run_t1"), 0);
	ASSERT_EQ_INT(count_under(&r, STORE_MESSAGE, "thread_t1"), 0);
	rig_close(&r);
}

/* Writes what a node that died between saving its run's reply and saving the run's end
 * leaves: the run in_progress, its message and message step completed (the step with the
 * turn's usage), the run leased to that dead node until long ago. */
static void leave_reply_unfinished(struct rig *r, const char *run_text)
{
	char why[128];
	jv *run = jv_parse(run_text, strlen(run_text), why, sizeof(why));
	jv *msg = obj_message_new("msg_a1", "thread_t1", "assistant", "asst_t1", "run_t1", 2);
	jv *details = jv_object();
	jv *creation = jv_object();
	jv *step;
	jv *usage = jv_object();
	struct store_op op = { .type = STORE_SET_LEASE, .obj = { .kind = STORE_RUN,
								 .id = "run_t1" },
			       .lease = "dead#1", .lease_until = 1 };

	jv_set_str(run, "status", "in_progress");
	ASSERT_OK(obj_put(r->st, "p", STORE_RUN, run, 0, NULL));
	jv_set_str(msg, "status", "completed");
	ASSERT_OK(obj_put(r->st, "p", STORE_MESSAGE, msg, -1, NULL));
	jv_set_str(creation, "message_id", "msg_a1");
	jv_set_str(details, "type", "message_creation");
	jv_set(details, "message_creation", creation);
	step = obj_step_new("step_a1", run, "message_creation", details, 2);
	jv_set_str(step, "status", "completed");
	jv_set_int(usage, "total_tokens", 5);
	jv_set(step, "usage", usage);
	ASSERT_OK(obj_put(r->st, "p", STORE_STEP, step, -1, NULL));
	ASSERT_OK(store_write(r->st, "p", &op, 1));
	jv_free(step);
	jv_free(msg);
	jv_free(run);
}

/* A node took the run over after its last turn had ended with its reply, but before the
 * run's end was saved: the run ends completed, with that reply, and no second one. */
static void a_reply_stored_before_a_crash_is_not_written_twice(void)
{
	struct rig r;
	char run[2048];
	char *body = NULL;

	rig_open(&r);
	seed(&r, "hello", run, sizeof(run));
	leave_reply_unfinished(&r, run);
	for (int i = 0; i < 250; i++) { /* the engine looks for lapsed leases every 250 ms */
		ASSERT_OK(store_get(r.st, "p", STORE_RUN, "run_t1", NULL, &body, NULL));
		if (!strstr(body, "\"status\":\"in_progress\""))
			break;
		free(body);
		body = NULL;
		usleep(20000);
	}
	free(body);
	stored_status(&r, "completed");
	ASSERT_EQ_INT(count_under(&r, STORE_MESSAGE, "thread_t1"), 2); /* the user's, the reply */
	ASSERT_EQ_INT(count_under(&r, STORE_STEP, "run_t1"), 1);
	rig_close(&r);
}

/* The assistant goes while its run waits for tool outputs: the run ends cancelled, stored,
 * with its tool step cancelled too. Runs of other assistants are left alone. */
static void deleting_the_assistant_cancels_its_run(void)
{
	struct rig r;
	char run[2048];
	char names[4096];
	struct store_page pg = { .limit = 10 };
	struct store_list l;

	rig_open(&r);
	seed(&r, "call get_time", run, sizeof(run));
	drain(engine_start_run(r.eng, "p", run, NULL, false, NULL), names, sizeof(names));
	stored_status(&r, "requires_action");
	engine_stop_runs(r.eng, "p", STORE_ASSISTANT, "asst_other");
	engine_stop_runs(r.eng, "q", STORE_ASSISTANT, "asst_t1");
	stored_status(&r, "requires_action");
	engine_stop_runs(r.eng, "p", STORE_ASSISTANT, "asst_t1");
	stored_status(&r, "cancelled");
	ASSERT_OK(store_list(r.st, "p", STORE_STEP, "run_t1", &pg, &l));
	ASSERT_EQ_INT(l.n, 1);
	ASSERT(strstr(l.items[0].body, "\"status\":\"cancelled\"") != NULL);
	store_list_cleanup(&l);
	ASSERT_EQ_INT(count_under(&r, STORE_MESSAGE, "thread_t1"), 1); /* the user's only */
	rig_close(&r);
}

/* A client deletes the reply while it is being written: the run still completes, and the
 * reply is written anew. */
static void deleted_reply_is_written_anew(void)
{
	struct rig r;
	char run[2048];
	char names[4096];
	struct store_page pg = { .limit = 10, .run_id = "run_t1" };
	struct store_list l;
	struct events *ch;
	struct buf out;

	ch = start_long_reply(&r, run, sizeof(run), &out);
	ASSERT_OK(store_list(r.st, "p", STORE_MESSAGE, "thread_t1", &pg, &l));
	ASSERT_EQ_INT(l.n, 1);
	ASSERT_OK(store_delete(r.st, "p", STORE_MESSAGE, l.items[0].id, "thread_t1"));
	store_list_cleanup(&l);
	finish(ch, &out, names, sizeof(names));
	stored_status(&r, "completed");
	ASSERT_OK(store_list(r.st, "p", STORE_MESSAGE, "thread_t1", &pg, &l));
	ASSERT_EQ_INT(l.n, 1);
	ASSERT(strstr(l.items[0].body, "\"status\":\"completed\"") != NULL);
	store_list_cleanup(&l);
	rig_close(&r);
}


/* --- a second node: another store handle and engine on the same directory --- */

struct node {
	struct store *st;
	struct engine *eng;
};

static void node_open(struct node *n, const struct rig *r)
{
	/* A name of its own: a node takes the runs of a former process of its own name. */
	struct engine_config ec = { .run_expiry_s = 600, .node = "test-node-b" };

	ASSERT_OK(store_open_url(getenv("ASSISTD_TEST_PG_URL"), r->dir, &n->st));
	ec.st = n->st;
	ASSERT_OK(engine_start(&ec, &n->eng));
}

static void node_close(struct node *n)
{
	engine_stop(n->eng);
	store_close(n->st);
}

/* Keeps of SSE text the events that are not deltas (how deltas are cut depends on timing),
 * and the text the message deltas add, in order. */
static void split_deltas(const char *sse, struct buf *events, struct buf *text)
{
	const char *p = sse;

	while ((p = strstr(p, "event: ")) != NULL) {
		const char *end = strstr(p, "\n\n");
		const char *v;

		ASSERT(end != NULL);
		if (strncmp(p, "event: thread.message.delta\n", 28) != 0) {
			ASSERT_OK(buf_append(events, p, (size_t)(end + 2 - p)));
		} else if ((v = strstr(p, "\"value\":\"")) != NULL && v < end) {
			v += 9;
			ASSERT_OK(buf_append(text, v, strcspn(v, "\"")));
		}
		p = end + 2;
	}
	ASSERT_OK(buf_append(events, "", 1));
	ASSERT_OK(buf_append(text, "", 1));
}

/* Drains ch to its end and splits what it sent (see split_deltas). */
static void drain_split(struct events *ch, struct buf *events, struct buf *text)
{
	struct buf out;

	buf_init(&out, 0);
	buf_init(events, 0);
	buf_init(text, 0);
	events_attach(ch, &out);
	read_until(ch, &out, NULL);
	split_deltas(out.p, events, text);
	events_detach(ch, &out);
	buf_cleanup(&out);
	events_unref(ch);
}

/* A run driven by node A, streamed on node B from the event log while it runs: the same
 * events, with the same data, as A's own stream; the reply's text arrives whole. */
static void run_followed_from_another_node(void)
{
	struct rig r;
	struct node b;
	char run[2048];
	struct buf ea, ta, eb, tb;
	struct events *cha, *chb;

	rig_open_paced(&r, 5);
	node_open(&b, &r);
	seed(&r, "hello there, tell me something long", run, sizeof(run));
	cha = engine_start_run(r.eng, "p", run, NULL, false, NULL);
	chb = engine_follow(b.eng, "p", "run_t1", 0);
	drain_split(cha, &ea, &ta);
	drain_split(chb, &eb, &tb);
	ASSERT(strstr(eb.p, "event: thread.run.created\n") == eb.p);
	ASSERT(strstr(eb.p, "event: thread.run.completed\n") != NULL);
	ASSERT_STR_EQ(eb.p, ea.p);
	ASSERT(strlen(ta.p) > 10);
	ASSERT_STR_EQ(tb.p, ta.p);
	buf_cleanup(&ea);
	buf_cleanup(&ta);
	buf_cleanup(&eb);
	buf_cleanup(&tb);
	node_close(&b);
	rig_close(&r);
}

static void wake_flag(void *ctx)
{
	*(volatile int *)ctx = 1;
}

/* Waits up to 5 s for *flag. */
static void wait_flag(volatile int *flag)
{
	int64_t until = clock_ms() + 5000;

	while (!*flag && clock_ms() < until)
		usleep(1000);
	ASSERT(*flag);
}

/* Starts a long reply on A (start_long_reply) and leases its run to a former process of B's
 * name, as if A had hung: B (node_open) takes it over at once when it starts. */
static struct events *start_then_lose(struct rig *r, char *run, size_t len, struct buf *out)
{
	struct store_claim c = { .owner = "test-node-b#gone", .now = clock_unix_ms() + 3600000 };
	struct events *ch = start_long_reply(r, run, len, out);
	bool got = false;

	c.until = c.now + 3600000;
	ASSERT_OK(store_lease_claim(r->st, "p", "run_t1", &c, &got));
	ASSERT(got);
	return ch;
}

/* Reads A's stream ch (out attached) to its end, and splits it and the whole log as read
 * on B (split_deltas). */
static void stream_and_log(struct events *ch, struct buf *out, struct node *b, struct buf *ea,
			   struct buf *ta, struct buf *el, struct buf *tl)
{
	read_until(ch, out, NULL);
	events_detach(ch, out);
	events_unref(ch);
	buf_init(ea, 0);
	buf_init(ta, 0);
	split_deltas(out->p, ea, ta);
	drain_split(engine_follow(b->eng, "p", "run_t1", 0), el, tl);
	ASSERT(strstr(ea->p, "event: thread.run.completed\n") != NULL);
}

static void cleanup_bufs(struct buf *bufs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_cleanup(&bufs[i]);
}

/* Another node (B) takes the run over mid-reply (A's lease lapsed, as if A had hung): A lets
 * it go and writes nothing more, and A's open stream goes on with B's events, read from the
 * log, to the run's end: the same events as the log's own, none twice or missing. A held
 * poll on A (a watch) wakes when B moves the run. */
static void a_run_taken_over_streams_on(void)
{
	struct rig r;
	struct node b;
	char run[2048];
	struct events *cha;
	struct buf bufs[5]; /* A's stream; its events and text; the log's */
	volatile int woke = 0;
	struct events_waker w = { wake_flag, (void *)&woke };
	void *reg;

	cha = start_then_lose(&r, run, sizeof(run), &bufs[0]);
	reg = engine_watch(r.eng, "run_t1", &w);
	/* A counts its leases every LEASE_CMD_MS (1 s) unwoken: B starts once A has let go,
	 * so that the log holds A's events, then B's (see the next case for the other way). */
	usleep(2500 * 1000);
	node_open(&b, &r);
	stream_and_log(cha, &bufs[0], &b, &bufs[1], &bufs[2], &bufs[3], &bufs[4]);
	wait_flag(&woke);
	engine_unwatch(r.eng, reg);
	ASSERT_STR_EQ(bufs[1].p, bufs[3].p);
	ASSERT_STR_EQ(bufs[2].p, bufs[4].p);
	stored_status(&r, "completed");
	cleanup_bufs(bufs, 5);
	node_close(&b);
	rig_close(&r);
}

/* How many times needle occurs in s. */
static int occurrences(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static bool ends_with(const char *s, const char *tail)
{
	return strlen(s) >= strlen(tail) && strcmp(s + strlen(s) - strlen(tail), tail) == 0;
}

/* B takes the run over at once and replies without pausing, while A goes on logging its
 * reply's words until it notices (up to LEASE_CMD_MS): the log holds A's events among and
 * after B's, B's final one included. A's stream still gets every event of B to the run's
 * end, and none of A's twice: what the log holds up to its final event, in another order,
 * and B's whole reply last. */
static void a_run_taken_over_at_once_streams_on(void)
{
	struct rig r;
	struct node b;
	char run[2048];
	struct events *cha;
	struct buf bufs[5]; /* A's stream; its events and text; the log's */

	cha = start_then_lose(&r, run, sizeof(run), &bufs[0]);
	node_open(&b, &r);
	stream_and_log(cha, &bufs[0], &b, &bufs[1], &bufs[2], &bufs[3], &bufs[4]);
	ASSERT_EQ_INT(occurrences(bufs[1].p, "event: "), occurrences(bufs[3].p, "event: "));
	ASSERT_EQ_INT(strlen(bufs[1].p), strlen(bufs[3].p));
	ASSERT_EQ_INT(occurrences(bufs[1].p, "event: thread.run.created\n"), 1);
	ASSERT(ends_with(bufs[2].p, "You said: tell me a long story please")); /* B's reply */
	stored_status(&r, "completed");
	cleanup_bufs(bufs, 5);
	node_close(&b);
	rig_close(&r);
}

/* The id of run_id's last logged event, once that is name (waits up to 5 s). */
static int64_t logged_until(struct store *st, const char *run_id, const char *name)
{
	int64_t until = clock_ms() + 5000;
	struct store_events l = { 0 };
	int64_t id = 0;

	while (!id && clock_ms() < until) {
		ASSERT_OK(store_events_read(st, "p", run_id, 0, 1000, &l));
		if (l.n && strcmp(l.items[l.n - 1].name, name) == 0)
			id = l.items[l.n - 1].id;
		store_events_cleanup(&l);
		usleep(1000);
	}
	ASSERT(id > 0);
	return id;
}

/* A mark's evlog_seen, once called. */
struct seen_box {
	struct evlog_seen seen;
	atomic_int called;
};

static void seen_into(void *ctx, struct evlog_seen *seen)
{
	struct seen_box *box = ctx;

	box->seen = *seen;
	atomic_store(&box->called, 1);
}

/* Two writers of one run's log (the node that lost it, A, and the one that took it, B),
 * their events interleaved: A's mark hands on the first id A wrote and every id A wrote,
 * and none of B's. */
static void a_mark_sees_only_its_own_events(void)
{
	struct rig r;
	struct evlog *a, *b;
	struct seen_box box = { 0 };
	int64_t a1, a2;

	rig_open(&r);
	ASSERT_OK(evlog_new(r.st, &a));
	ASSERT_OK(evlog_new(r.st, &b));
	evlog_add(a, "p", "run_x", "test.a1", "{}");
	a1 = logged_until(r.st, "run_x", "test.a1");
	evlog_add(b, "p", "run_x", "test.b1", "{}");
	(void)logged_until(r.st, "run_x", "test.b1");
	evlog_add(a, "p", "run_x", "test.a2", "{}");
	a2 = logged_until(r.st, "run_x", "test.a2");
	evlog_mark(a, "p", "run_x", seen_into, &box);
	evlog_free(a); /* writes what is pending: the mark is called */
	evlog_free(b);
	ASSERT(atomic_load(&box.called));
	ASSERT_EQ_INT(box.seen.after, a1);
	ASSERT_EQ_INT(box.seen.nskip, 2);
	ASSERT_EQ_INT(box.seen.skip[0], a1);
	ASSERT_EQ_INT(box.seen.skip[1], a2);
	free(box.seen.skip);
	rig_close(&r);
}

/* The id of the stored run's first pending tool call (owned). */
static char *pending_call_id(struct store *st)
{
	char *body = NULL;
	char why[128];
	jv *run;
	const jv *calls;
	char *id;

	ASSERT_OK(store_get(st, "p", STORE_RUN, "run_t1", NULL, &body, NULL));
	run = jv_parse(body, strlen(body), why, sizeof(why));
	ASSERT(run != NULL);
	calls = jv_get(jv_get(jv_get(run, "required_action"), "submit_tool_outputs"), "tool_calls");
	ASSERT(jv_get_str(jv_at(calls, 0), "id") != NULL);
	id = xstrdup(jv_get_str(jv_at(calls, 0), "id"));
	jv_free(run);
	free(body);
	return id;
}

/* The stretch after requires_action, streamed on node B from where the log stood (what a
 * submit_tool_outputs that B hands on to A streams), while A takes the outputs; and a
 * watch on B (a held poll) wakes when A moves the run. */
static void outputs_stretch_followed_from_another_node(void)
{
	struct rig r;
	struct node b;
	char run[2048];
	char names[4096];
	char *json = NULL, *why = NULL, *call;
	const char *param = NULL;
	struct events *cha = NULL, *chb;
	struct buf ea, ta, eb, tb;
	volatile int woke = 0;
	struct events_waker w = { wake_flag, (void *)&woke };
	jv *outputs = jv_array();
	jv *o = jv_object();
	void *reg;

	rig_open(&r);
	node_open(&b, &r);
	seed(&r, "call get_time", run, sizeof(run));
	drain(engine_start_run(r.eng, "p", run, NULL, false, NULL), names, sizeof(names));
	reg = engine_watch(b.eng, "run_t1", &w);
	chb = engine_follow(b.eng, "p", "run_t1",
			    logged_until(b.st, "run_t1", "thread.run.requires_action"));
	call = pending_call_id(r.st);
	jv_set_str(o, "tool_call_id", call);
	jv_set_str(o, "output", "12:00");
	jv_push(outputs, o);
	ASSERT_OK(engine_take_tool_outputs(r.eng, "p", "thread_t1", "run_t1", outputs, &json,
					   &cha, &why, &param));
	wait_flag(&woke);
	drain_split(cha, &ea, &ta);
	drain_split(chb, &eb, &tb);
	ASSERT(strstr(eb.p, "event: thread.run.step.completed\n") == eb.p);
	ASSERT(strstr(eb.p, "event: thread.run.completed\n") != NULL);
	ASSERT_STR_EQ(eb.p, ea.p);
	ASSERT_STR_EQ(tb.p, ta.p);
	engine_unwatch(b.eng, reg);
	buf_cleanup(&ea);
	buf_cleanup(&ta);
	buf_cleanup(&eb);
	buf_cleanup(&tb);
	free(call);
	free(json);
	jv_free(outputs);
	node_close(&b);
	rig_close(&r);
}

/* A node removes the commands no node will read (one posted an hour ago to a node long
 * gone), at its start and then every minute; a recent one stays for its node. */
static void stale_commands_are_removed(void)
{
	struct rig r;
	bool done = true;
	int err = 0;
	char *answer = NULL;
	int64_t until = clock_ms() + 5000;
	int gone = 0;

	rig_open(&r); /* its first look is LEASE_CMD_MS (1 s) away */
	ASSERT_OK(store_cmd_post(r.st, "cmd_old", "p", "run_x", "dead#1", "start",
				 clock_unix() - 3600));
	ASSERT_OK(store_cmd_post(r.st, "cmd_new", "p", "run_y", "dead#1", "start", clock_unix()));
	while (!gone && clock_ms() < until) {
		gone = store_cmd_result(r.st, "cmd_old", &done, &err, &answer) == ERR_NOT_FOUND;
		usleep(10000);
	}
	ASSERT(gone);
	ASSERT_OK(store_cmd_result(r.st, "cmd_new", &done, &err, &answer));
	ASSERT(!done);
	rig_close(&r);
}

/* --- the model list (engine_models) --- */

/* The waker of these tests: it runs on the engine thread. */
static void count_wake_atomic(void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
}

/* Waits (10 s at most) until the engine keeps a fresh list. */
static void wait_fresh(struct engine *e)
{
	int64_t deadline = clock_ms() + 10000;
	bool fresh = false;

	while (!fresh && clock_ms() < deadline) {
		pthread_mutex_lock(&e->models.mu);
		fresh = e->models.body && clock_ms() < e->models.fresh_until_ms;
		pthread_mutex_unlock(&e->models.mu);
		if (!fresh)
			usleep(2000);
	}
	ASSERT(fresh);
}

static void models_fetched_then_kept_and_refreshed(void)
{
	struct rig r;
	atomic_int woken = 0;
	struct events_waker w = { count_wake_atomic, &woken };
	char *body;

	rig_open(&r);
	ASSERT(engine_models(r.eng, &w) == NULL); /* nothing kept yet: the waker waits */
	wait_fresh(r.eng);
	ASSERT_EQ_INT(atomic_load(&woken), 1);
	body = engine_models(r.eng, &w);
	ASSERT_STR_EQ(body, "{\"object\":\"list\",\"data\":[{\"id\":\"assistd-demo\","
		      "\"object\":\"model\",\"created\":0,\"owned_by\":\"assistd\"}]}");
	free(body);
	/* Past its time, the list kept still answers at once while the next is fetched. */
	pthread_mutex_lock(&r.eng->models.mu);
	r.eng->models.fresh_until_ms = 0;
	pthread_mutex_unlock(&r.eng->models.mu);
	body = engine_models(r.eng, &w);
	ASSERT(body != NULL);
	free(body);
	wait_fresh(r.eng);
	ASSERT_EQ_INT(atomic_load(&woken), 1); /* nobody waited for the refresh */
	rig_close(&r);
}

static void models_waker_runs_once_when_the_engine_stops(void)
{
	struct rig r;
	atomic_int woken = 0;
	struct events_waker w = { count_wake_atomic, &woken };
	char *body;

	rig_open(&r);
	ASSERT(engine_models(r.eng, &w) == NULL);
	/* Without a waker, the configured models stand in while nothing is kept. */
	body = engine_models(r.eng, NULL);
	ASSERT(body && strstr(body, "assistd-demo"));
	free(body);
	engine_stop(r.eng); /* the fetch ended first, or the stop wakes the reader */
	r.eng = NULL;
	ASSERT_EQ_INT(atomic_load(&woken), 1);
	rig_close(&r);
}

const struct t_case engine_tests[] = {
	T_CASE(events_read_wait_close),
	T_CASE(events_detach_stops_wakes),
	T_CASE(events_merge_unread_deltas),
	T_CASE(events_merge_only_alike),
	T_CASE(events_keep_only_what_readers_need),
	T_CASE(events_drop_what_every_reader_passed),
	T_CASE(run_completes_with_reply),
	T_CASE(late_reader_gets_merged_deltas),
	T_CASE(tool_call_then_outputs),
	T_CASE(cancel_finished_run_is_refused),
	T_CASE(deleting_the_thread_stops_its_run),
	T_CASE(a_reply_stored_before_a_crash_is_not_written_twice),
	T_CASE(deleting_the_assistant_cancels_its_run),
	T_CASE(deleted_reply_is_written_anew),
	T_CASE(run_followed_from_another_node),
	T_CASE(a_run_taken_over_streams_on),
	T_CASE(a_run_taken_over_at_once_streams_on),
	T_CASE(a_mark_sees_only_its_own_events),
	T_CASE(stale_commands_are_removed),
	T_CASE(outputs_stretch_followed_from_another_node),
	T_CASE(models_fetched_then_kept_and_refreshed),
	T_CASE(models_waker_runs_once_when_the_engine_stops),
	{ NULL, NULL },
};
