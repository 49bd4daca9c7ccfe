/* test_providers.c - unit tests for src/providers: the SSE parser, timers, model aliases,
 * the demo model end to end, and the OpenAI backend against tests/fake_upstream (a node
 * process started per test with cli.js). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/buf.h"
#include "../../src/base/clock.h"
#include "../../src/base/err.h"
#include "../../src/base/log.h"
#include "../../src/base/loop.h"
#include "../../src/json/json.h"
#include "../../src/providers/httpc.h"
#include "../../src/providers/openai_wire.h"
#include "../../src/providers/prov_int.h"
#include "../../src/providers/sse_parse.h"
#include "suites.h"

#define ASSERT_CONTAINS(hay, needle)                                                     \
	do {                                                                             \
		const char *h_ = (hay);                                                  \
		if (!h_ || !strstr(h_, (needle)))                                        \
			T_FAIL("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)",     \
			       (needle));                                                \
	} while (0)

static jv *parse(const char *text)
{
	char why[128];
	jv *v = jv_parse(text, strlen(text), why, sizeof(why));

	if (!v)
		T_FAIL("bad JSON in test: %s: %s", why, text);
	return v;
}

static void must(int err)
{
	ASSERT_OK(err);
}

/* --- SSE parser. --- */

static int collect(void *ctx, const char *event, const char *data, size_t len)
{
	struct buf *b = ctx;

	ASSERT_EQ_INT(strlen(data), len);
	must(buf_printf(b, "%s|%s;", event, data));
	return 0;
}

static const char sse_input[] =
	": a comment\r\n"
	"data: first\r\n"
	"\r\n"
	"event: update\n"
	"data:no space\n"
	"data:  two spaces\n"
	"id: 7\n"
	"retry: 100\n"
	"\n"
	"data\r"
	"data: after cr\r"
	"\r"
	"event: lonely\n\n"
	":only a comment\n\n"
	"data: {\"a\":1}\n\n"
	"data: unterminated";

static const char sse_expected[] =
	"|first;update|no space\n two spaces;|\nafter cr;|{\"a\":1};";

static void feed_split(const size_t *cuts, size_t ncuts)
{
	struct sse_parser sp;
	struct buf got;
	size_t len = sizeof(sse_input) - 1;
	size_t from = 0;

	sse_init(&sp, 1024);
	buf_init(&got, 0);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		ASSERT_OK(sse_feed(&sp, sse_input + from, to - from, collect, &got));
		from = to;
	}
	ASSERT_STR_EQ(got.p, sse_expected);
	buf_cleanup(&got);
	sse_cleanup(&sp);
}

static void sse_any_chunking(void)
{
	size_t len = sizeof(sse_input) - 1;
	size_t cuts[2];
	size_t every[sizeof(sse_input)];

	feed_split(NULL, 0);
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++)
		feed_split(cuts, 1);
	for (cuts[0] = 0; cuts[0] <= len; cuts[0] += 3) {
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++)
			feed_split(cuts, 2);
	}
	for (size_t i = 0; i < len; i++)
		every[i] = i + 1;
	feed_split(every, len - 1);
}

static int stop_at_second(void *ctx, const char *event, const char *data, size_t len)
{
	int *n = ctx;

	(*n)++;
	return *n == 2 ? 42 : 0;
}

static void sse_limits_and_stop(void)
{
	struct sse_parser sp;
	struct buf got;
	int n = 0;

	buf_init(&got, 0);
	sse_init(&sp, 16);
	ASSERT_OK(sse_feed(&sp, "data: 0123456789\n\n", 18, collect, &got));
	ASSERT_STR_EQ(got.p, "|0123456789;");
	ASSERT_EQ_INT(sse_feed(&sp, "data: 0123456789abcdef\n", 23, collect, &got), ERR_LIMIT);
	sse_cleanup(&sp);
	sse_init(&sp, 16);
	ASSERT_EQ_INT(sse_feed(&sp, "data:0123456789\ndata:0123456789\n", 32, collect, &got),
		      ERR_LIMIT);
	sse_cleanup(&sp);
	sse_init(&sp, 16);
	ASSERT_EQ_INT(sse_feed(&sp, "data:a\n\ndata:b\n\ndata:c\n\n", 24, stop_at_second, &n),
		      42);
	ASSERT_EQ_INT(n, 2);
	sse_cleanup(&sp);
	buf_cleanup(&got);
}

/* --- Aliases. --- */

static void alias(const char *aliases, const char *model, const char *want)
{
	char *got = prov_alias(aliases, model);

	ASSERT_STR_EQ(got, want);
	free(got);
}

static void aliases_map_models(void)
{
	const char *a = "gpt-4o=llama3.1:8b, gpt-4o-mini = qwen2.5 ,,";

	alias(a, "gpt-4o", "llama3.1:8b");
	alias(a, "gpt-4o-mini", "qwen2.5");
	alias(a, "gpt-4", "gpt-4");
	alias(NULL, "gpt-4o", "gpt-4o");
	alias("", "gpt-4o", "gpt-4o");
	alias("gpt-4o=a,*=fallback", "gpt-4o", "a");
	alias("gpt-4o=a,*=fallback", "other", "fallback");
	alias("broken,x=y", "x", "y");
	ASSERT(prov_aliases_valid(a));
	ASSERT(prov_aliases_valid(NULL));
	ASSERT(!prov_aliases_valid("broken,x=y"));
	ASSERT(!prov_aliases_valid("=y"));
}

/* --- Driving calls. --- */

#define REC_TOOLS 8

struct rec {
	struct prov_call *call;
	struct buf text;
	int ntext;
	int ntools;
	char ids[REC_TOOLS][64];
	char names[REC_TOOLS][64];
	struct buf args[REC_TOOLS];
	int cancel_after;   /* cancel from inside the text callback after this many texts */
	bool cancelled;     /* it did */
	bool done_in_cancel; /* done ran inside that prov_cancel */
	bool done;
	struct prov_result res;
	char code[64];
	char msg[512];
};

static struct loop *tloop; /* the loop every provider of a test runs on */

/* The test's loop, made on first use (each test runs in its own process). */
static struct loop *test_loop(void)
{
	if (!tloop)
		ASSERT_OK(loop_new(&tloop));
	return tloop;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text, 0);
	for (int i = 0; i < REC_TOOLS; i++)
		buf_init(&r->args[i], 0);
}

static void rec_cleanup(struct rec *r)
{
	buf_cleanup(&r->text);
	for (int i = 0; i < REC_TOOLS; i++)
		buf_cleanup(&r->args[i]);
}

static void on_text(void *ctx, const char *delta, size_t len)
{
	struct rec *r = ctx;

	ASSERT(!r->done);
	must(buf_append(&r->text, delta, len));
	r->ntext++;
	if (r->cancel_after && r->ntext == r->cancel_after) {
		prov_cancel(r->call);
		r->cancelled = true;
		r->done_in_cancel = r->done;
	}
}

static void on_tool(void *ctx, int index, const char *id, const char *name, const char *args)
{
	struct rec *r = ctx;

	ASSERT(!r->done);
	ASSERT((id == NULL) == (name == NULL));
	if (id) {
		ASSERT_EQ_INT(index, r->ntools);
		ASSERT(r->ntools < REC_TOOLS);
		snprintf(r->ids[index], sizeof(r->ids[index]), "%s", id);
		snprintf(r->names[index], sizeof(r->names[index]), "%s", name);
		r->ntools++;
	}
	ASSERT(index >= 0 && index < r->ntools);
	must(buf_puts(&r->args[index], args));
}

static void on_done(void *ctx, const struct prov_result *res)
{
	struct rec *r = ctx;

	ASSERT(!r->done);
	r->done = true;
	r->res = *res;
	r->res.error_code = NULL;
	r->res.error_message = NULL;
	if (res->finish == PROV_FAILED) {
		ASSERT(res->error_code && res->error_message);
		snprintf(r->code, sizeof(r->code), "%s", res->error_code);
		snprintf(r->msg, sizeof(r->msg), "%s", res->error_message);
	}
}

static const struct prov_callbacks rec_cb = { on_text, on_tool, on_done };

struct spec {
	const char *model;
	const char *messages;
	const char *tools;
	const char *tool_choice;
	const char *response_format;
	bool parallel;
	int64_t max_tokens;
	int64_t prompt_tokens;
	bool has_temperature;
	double temperature;
};

/* Starts a call; the request's JSON lives only for the duration of prov_start. */
static int try_start(struct prov *p, struct rec *r, const struct spec *s)
{
	jv *msgs = s->messages ? parse(s->messages) : NULL;
	jv *tools = s->tools ? parse(s->tools) : NULL;
	jv *choice = s->tool_choice ? parse(s->tool_choice) : NULL;
	jv *fmt = s->response_format ? parse(s->response_format) : NULL;
	struct prov_request rq = {
		.model = s->model ? s->model : "gpt-4o",
		.messages = msgs,
		.tools = tools,
		.tool_choice = choice,
		.response_format = fmt,
		.parallel_tool_calls = s->parallel,
		.max_tokens = s->max_tokens,
		.prompt_tokens = s->prompt_tokens,
		.has_temperature = s->has_temperature,
		.temperature = s->temperature,
	};
	int err = prov_start(p, &rq, &rec_cb, r, &r->call);

	jv_free(msgs);
	jv_free(tools);
	jv_free(choice);
	jv_free(fmt);
	return err;
}

static void start(struct prov *p, struct rec *r, const struct spec *s)
{
	ASSERT_OK(try_start(p, r, s));
	ASSERT(r->call != NULL);
}

static void drive(struct prov *p, struct rec *r, int max_ms)
{
	int64_t until = clock_ms() + max_ms;

	while (!r->done && clock_ms() < until) {
		loop_run_once(tloop, 20);
	}
	if (!r->done)
		T_FAIL("call not done after %d ms", max_ms);
}

static struct prov *demo_new(int delay_ms)
{
	struct prov_config cfg = { .demo_delay_ms = delay_ms, .max_retries = -1 };
	struct prov *p;

	log_set_level(LOG_ERROR);
	ASSERT_OK(prov_new(&cfg, test_loop(), &p));
	ASSERT(prov_is_demo(p));
	return p;
}

/* Runs one demo turn to its end. */
static void demo_run(struct rec *r, const struct spec *s)
{
	struct prov *p = demo_new(0);

	rec_init(r);
	start(p, r, s);
	ASSERT(!r->done && r->ntext == 0 && r->ntools == 0);
	drive(p, r, 1000);
	prov_free(p);
}

/* --- The demo model. --- */

static void demo_echoes_word_by_word(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){ .messages =
		"[{\"role\":\"system\",\"content\":\"be brief\"},"
		"{\"role\":\"user\",\"content\":\"hello  there\"}]" });
	ASSERT_STR_EQ(r.text.p, "You said: hello  there");
	ASSERT_EQ_INT(r.ntext, 4);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	/* o200k_base, as gpt-tokenizer counts: "You| said|:| hello| | there"; the prompt is
	 * 3 + 3 + "system" 1 + "be| brief" 2 + 3 + "user" 1 + "hello| | there" 3. */
	ASSERT_EQ_INT(r.res.completion_tokens, 6);
	ASSERT_EQ_INT(r.res.prompt_tokens, 16);
	rec_cleanup(&r);
}

static void demo_text_parts_and_no_message(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){ .messages =
		"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"one\"},"
		"{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}},"
		"{\"type\":\"text\",\"text\":\"two\"}]}]" });
	ASSERT_STR_EQ(r.text.p, "You said: one two");
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .messages = "[]" });
	ASSERT_STR_EQ(r.text.p, "You said: (no message)");
	ASSERT_EQ_INT(r.res.prompt_tokens, 3); /* the reply's priming only */
	rec_cleanup(&r);
	/* A count the caller made (the engine's prompt builder) is taken as it is. */
	demo_run(&r, &(struct spec){ .messages = "[]", .prompt_tokens = 1234 });
	ASSERT_EQ_INT(r.res.prompt_tokens, 1234);
	rec_cleanup(&r);
}

static void demo_json_reply(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){
		.messages = "[{\"role\":\"user\",\"content\":\"say \\\"hi\\\"\"}]",
		.response_format = "{\"type\":\"json_object\"}" });
	ASSERT_STR_EQ(r.text.p, "{\"reply\":\"You said: say \\\"hi\\\"\"}");
	rec_cleanup(&r);
}

static const char weather_tools[] =
	"[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]";

static void demo_tool_call_with_args(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){
		.messages = "[{\"role\":\"user\",\"content\":"
			    "\"please call get_weather {\\\"city\\\": \\\"Paris {x}\\\"} now\"}]",
		.tools = weather_tools, .parallel = true });
	ASSERT_EQ_INT(r.res.finish, PROV_TOOL_CALLS);
	ASSERT_EQ_INT(r.ntools, 1);
	ASSERT_EQ_INT(r.ntext, 0);
	ASSERT_STR_EQ(r.names[0], "get_weather");
	ASSERT_EQ_INT(strlen(r.ids[0]), 5 + 24);
	ASSERT(strncmp(r.ids[0], "call_", 5) == 0);
	ASSERT_STR_EQ(r.args[0].p, "{\"city\": \"Paris {x}\"}");
	ASSERT_EQ_INT(r.res.completion_tokens, 11); /* the name and the arguments */
	rec_cleanup(&r);
}

static void demo_parallel_calls(void)
{
	struct rec r;
	const char *msgs = "[{\"role\":\"user\",\"content\":"
			   "\"call get_time, then call get_weather {\\\"city\\\":\\\"Oslo\\\"}"
			   " and recall get_time and call nothing\"}]";

	demo_run(&r, &(struct spec){ .messages = msgs, .tools = weather_tools, .parallel = true });
	ASSERT_EQ_INT(r.ntools, 2);
	ASSERT_STR_EQ(r.names[0], "get_time");
	ASSERT_STR_EQ(r.args[0].p, "{}");
	ASSERT_STR_EQ(r.names[1], "get_weather");
	ASSERT_STR_EQ(r.args[1].p, "{\"city\":\"Oslo\"}");
	ASSERT(strcmp(r.ids[0], r.ids[1]) != 0);
	ASSERT_EQ_INT(r.res.completion_tokens, 11);
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .messages = msgs, .tools = weather_tools });
	ASSERT_EQ_INT(r.ntools, 1);
	ASSERT_STR_EQ(r.names[0], "get_time");
	rec_cleanup(&r);
}

static void demo_tool_choice(void)
{
	struct rec r;
	const char *plain = "[{\"role\":\"user\",\"content\":\"hi\"}]";
	const char *asks = "[{\"role\":\"user\",\"content\":\"call get_time {\\\"tz\\\":1}\"}]";

	demo_run(&r, &(struct spec){ .messages = plain, .tools = weather_tools,
				     .tool_choice = "\"required\"" });
	ASSERT_EQ_INT(r.ntools, 1);
	ASSERT_STR_EQ(r.names[0], "get_weather");
	ASSERT_STR_EQ(r.args[0].p, "{}");
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .messages = asks, .tools = weather_tools,
				     .tool_choice = "\"none\"" });
	ASSERT_EQ_INT(r.ntools, 0);
	ASSERT_STR_EQ(r.text.p, "You said: call get_time {\"tz\":1}");
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .messages = asks, .tools = weather_tools,
		.tool_choice = "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}" });
	ASSERT_EQ_INT(r.ntools, 1);
	ASSERT_STR_EQ(r.names[0], "get_time");
	ASSERT_STR_EQ(r.args[0].p, "{\"tz\":1}");
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .messages = "[{\"role\":\"user\",\"content\":\"call x\"}]",
				     .tools = weather_tools });
	ASSERT_EQ_INT(r.ntools, 0);
	ASSERT_STR_EQ(r.text.p, "You said: call x");
	rec_cleanup(&r);
}

static void demo_reports_tool_outputs(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){ .tools = weather_tools, .messages =
		"[{\"role\":\"user\",\"content\":\"call get_weather and call get_time\"},"
		"{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
		"{\"id\":\"call_a\",\"type\":\"function\",\"function\":"
		"{\"name\":\"get_weather\",\"arguments\":\"{}\"}},"
		"{\"id\":\"call_b\",\"type\":\"function\",\"function\":"
		"{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
		"{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":\"sunny\"},"
		"{\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":\"noon\"}]" });
	ASSERT_EQ_INT(r.ntools, 0);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	ASSERT_STR_EQ(r.text.p, "Tool get_weather returned: sunny\nTool get_time returned: noon");
	rec_cleanup(&r);
}

static void demo_cut_by_max_tokens(void)
{
	struct rec r;

	/* "You| said|:| a": the cut falls on token boundaries, even inside a word. */
	demo_run(&r, &(struct spec){ .max_tokens = 2,
		.messages = "[{\"role\":\"user\",\"content\":\"a b c\"}]" });
	ASSERT_STR_EQ(r.text.p, "You said");
	ASSERT_EQ_INT(r.res.finish, PROV_LENGTH);
	ASSERT_EQ_INT(r.res.completion_tokens, 2);
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .max_tokens = 3,
		.messages = "[{\"role\":\"user\",\"content\":\"a\"}]" });
	ASSERT_STR_EQ(r.text.p, "You said:");
	ASSERT_EQ_INT(r.res.finish, PROV_LENGTH);
	rec_cleanup(&r);
	demo_run(&r, &(struct spec){ .max_tokens = 4,
		.messages = "[{\"role\":\"user\",\"content\":\"a\"}]" });
	ASSERT_STR_EQ(r.text.p, "You said: a");
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	ASSERT_EQ_INT(r.res.completion_tokens, 4);
	rec_cleanup(&r);
}

static void demo_fails_on_request(void)
{
	struct rec r;

	demo_run(&r, &(struct spec){
		.messages = "[{\"role\":\"user\",\"content\":\"please demo:fail\"}]" });
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_STR_EQ(r.msg, "demo model failure requested");
	ASSERT_EQ_INT(r.ntext, 0);
	rec_cleanup(&r);
}

static void demo_paces_words(void)
{
	struct prov *p = demo_new(30);
	struct rec r;
	int64_t t0 = clock_ms();

	rec_init(&r);
	start(p, &r, &(struct spec){ .messages = "[{\"role\":\"user\",\"content\":\"x y\"}]" });
	drive(p, &r, 2000);
	ASSERT_STR_EQ(r.text.p, "You said: x y");
	ASSERT(clock_ms() - t0 >= 3 * 30);
	rec_cleanup(&r);
	prov_free(p);
}

static void demo_cancel_slow(void)
{
	struct prov *p = demo_new(0);
	struct rec r;
	int64_t t0;

	rec_init(&r);
	start(p, &r, &(struct spec){
		.messages = "[{\"role\":\"user\",\"content\":\"demo:slow one two three four\"}]" });
	while (r.ntext < 2)
		loop_run_once(tloop, 50);
	t0 = clock_ms();
	prov_cancel(r.call);
	prov_cancel(r.call); /* twice is harmless */
	ASSERT(!r.done);
	drive(p, &r, 1000);
	ASSERT(clock_ms() - t0 < 100);
	ASSERT_EQ_INT(r.res.finish, PROV_CANCELLED);
	ASSERT_EQ_INT(r.ntext, 2);
	ASSERT_EQ_INT(r.res.completion_tokens, 3); /* "You", " said:": You| said|: */
	loop_run_once(tloop, 300);
	ASSERT_EQ_INT(r.ntext, 2);
	rec_cleanup(&r);
	prov_free(p);
}

static void demo_cancel_inside_callback(void)
{
	struct prov *p = demo_new(0);
	struct rec r;

	rec_init(&r);
	r.cancel_after = 2;
	start(p, &r, &(struct spec){ .messages = "[{\"role\":\"user\",\"content\":\"a b c d\"}]" });
	drive(p, &r, 1000);
	ASSERT_EQ_INT(r.res.finish, PROV_CANCELLED);
	ASSERT_EQ_INT(r.ntext, 2);
	ASSERT(r.cancelled && !r.done_in_cancel); /* done comes later, from the loop */
	rec_cleanup(&r);
	prov_free(p);
}

static void demo_rejects_bad_request(void)
{
	struct prov *p = demo_new(0);
	struct rec r;

	rec_init(&r);
	ASSERT_EQ_INT(try_start(p, &r, &(struct spec){ .messages = "{}" }), ERR_INVALID);
	ASSERT_EQ_INT(try_start(p, &r, &(struct spec){ .messages = NULL }), ERR_INVALID);
	loop_run_once(tloop, 10);
	ASSERT(!r.done);
	rec_cleanup(&r);
	prov_free(p);
}

static void demo_many_calls(void)
{
	enum { N = 2000 };
	struct prov *p = demo_new(1);
	struct rec *r = calloc(N, sizeof(*r));
	int64_t until = clock_ms() + 5000;
	int done = 0;

	for (int i = 0; i < N; i++) {
		rec_init(&r[i]);
		start(p, &r[i], &(struct spec){
			.messages = "[{\"role\":\"user\",\"content\":\"many calls\"}]" });
	}
	while (done < N && clock_ms() < until) {
		loop_run_once(tloop, 20);
		done = 0;
		for (int i = 0; i < N; i++)
			done += r[i].done;
	}
	ASSERT_EQ_INT(done, N);
	for (int i = 0; i < N; i++) {
		ASSERT_STR_EQ(r[i].text.p, "You said: many calls");
		rec_cleanup(&r[i]);
	}
	free(r);
	prov_free(p);
}

/* --- The OpenAI backend against tests/fake_upstream. --- */

struct fake {
	pid_t pid;
	int in_fd;      /* the child's stdin: closing it stops the child */
	int out_fd;     /* the child's stdout */
	struct buf acc; /* bytes read but not yet returned as lines */
	char url[64];
};

/* Returns the next line the fake printed (owned), or NULL after timeout_ms. */
static char *fake_line(struct fake *f, int timeout_ms)
{
	int64_t until = clock_ms() + timeout_ms;

	for (;;) {
		char *nl = f->acc.p ? memchr(f->acc.p, '\n', f->acc.len) : NULL;
		struct pollfd pfd = { .fd = f->out_fd, .events = POLLIN };
		char chunk[4096];
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - f->acc.p);
			char *line = strndup(f->acc.p, len);

			memmove(f->acc.p, nl + 1, f->acc.len - len - 1);
			f->acc.len -= len + 1;
			return line;
		}
		if (clock_ms() >= until || poll(&pfd, 1, (int)(until - clock_ms())) <= 0)
			return NULL;
		n = read(f->out_fd, chunk, sizeof(chunk));
		if (n <= 0)
			return NULL;
		must(buf_append(&f->acc, chunk, (size_t)n));
	}
}

static void fake_start(struct fake *f, const char *steps)
{
	const char *script = getenv("FAKE_UPSTREAM_CLI");
	int in[2];
	int out[2];
	char *line;

	memset(f, 0, sizeof(*f));
	buf_init(&f->acc, 0);
	ASSERT_OK(pipe(in));
	ASSERT_OK(pipe(out));
	f->pid = fork();
	ASSERT(f->pid >= 0);
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("node", "node", script ? script : "tests/fake_upstream/cli.js",
		       "--exit-on-stdin-close", steps, (char *)NULL);
		fprintf(stderr, "cannot run node: %s\n", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->in_fd = in[1];
	f->out_fd = out[0];
	line = fake_line(f, 5000);
	if (!line || strncmp(line, "PORT ", 5) != 0)
		T_FAIL("fake upstream did not start (is node installed?): %s", line ? line : "");
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v1", atoi(line + 5));
	free(line);
}

/* The next request the fake received, as {"headers":{...},"body":{...}}; owned. */
static jv *fake_request(struct fake *f)
{
	char *line = fake_line(f, 2000);
	jv *v;

	if (!line || strncmp(line, "REQUEST ", 8) != 0)
		T_FAIL("expected a request line, got: %s", line ? line : "(nothing)");
	v = parse(line + 8);
	free(line);
	return v;
}

static void fake_stop(struct fake *f)
{
	close(f->in_fd);
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	close(f->out_fd);
	buf_cleanup(&f->acc);
}

static struct prov *oai_new(const char *url, int max_retries)
{
	struct prov_config cfg = {
		.upstream_url = url,
		.upstream_key = "sk-test",
		.aliases = "gpt-4o=fake-llama",
		.connect_timeout_ms = 1000,
		.idle_timeout_ms = 1000,
		.max_retries = max_retries,
	};
	struct prov *p;

	log_set_level(LOG_ERROR);
	ASSERT_OK(prov_new(&cfg, test_loop(), &p));
	ASSERT(!prov_is_demo(p));
	return p;
}

static const char hello_msgs[] = "[{\"role\":\"user\",\"content\":\"hello upstream\"}]";

/* Runs one call against a fake upstream scripted with steps; r is left for checks. */
static void oai_run(struct rec *r, const char *steps, int max_retries, int max_ms)
{
	struct fake f;
	struct prov *p;

	fake_start(&f, steps);
	p = oai_new(f.url, max_retries);
	rec_init(r);
	start(p, r, &(struct spec){ .messages = hello_msgs });
	drive(p, r, max_ms);
	prov_free(p);
	fake_stop(&f);
}

static void openai_streams_text(void)
{
	struct fake f;
	struct prov *p;
	struct rec r;
	jv *req;
	jv *body;

	fake_start(&f, "[{\"text\":\"Hello there, world\","
		       "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}]");
	p = oai_new(f.url, -1);
	rec_init(&r);
	start(p, &r, &(struct spec){ .messages = hello_msgs, .max_tokens = 50,
				     .has_temperature = true, .temperature = 0.5 });
	drive(p, &r, 2000);
	ASSERT_STR_EQ(r.text.p, "Hello there, world");
	ASSERT_EQ_INT(r.ntext, 3);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	ASSERT_EQ_INT(r.res.prompt_tokens, 7);
	ASSERT_EQ_INT(r.res.completion_tokens, 3);
	req = fake_request(&f);
	body = jv_get(req, "body");
	ASSERT_STR_EQ(jv_get_str(body, "model"), "fake-llama");
	ASSERT(jv_true(jv_get(body, "stream")));
	ASSERT(jv_true(jv_get(jv_get(body, "stream_options"), "include_usage")));
	ASSERT_EQ_INT(jv_int_value(jv_get(body, "max_tokens")), 50);
	ASSERT(jv_number(jv_get(body, "temperature")) == 0.5);
	ASSERT(!jv_get(body, "top_p"));
	ASSERT(!jv_get(body, "tools") && !jv_get(body, "tool_choice"));
	ASSERT(!jv_get(body, "parallel_tool_calls"));
	ASSERT_STR_EQ(jv_get_str(jv_at(jv_get(body, "messages"), 0), "content"), "hello upstream");
	ASSERT_STR_EQ(jv_get_str(jv_get(req, "headers"), "authorization"), "Bearer sk-test");
	jv_free(req);
	rec_cleanup(&r);
	prov_free(p);
	fake_stop(&f);
}

static void openai_streams_tool_calls(void)
{
	struct fake f;
	struct prov *p;
	struct rec r;
	jv *req;
	jv *body;

	fake_start(&f, "[{\"toolCalls\":[{\"name\":\"get_weather\",\"arguments\":"
		       "{\"city\":\"Paris\",\"unit\":\"c\"}},{\"name\":\"get_time\",\"arguments\":"
		       "\"{}\"}]}]");
	p = oai_new(f.url, -1);
	rec_init(&r);
	start(p, &r, &(struct spec){ .messages = hello_msgs, .tools = weather_tools,
				     .tool_choice = "\"auto\"", .parallel = true });
	drive(p, &r, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_TOOL_CALLS);
	ASSERT_EQ_INT(r.ntools, 2);
	ASSERT_STR_EQ(r.names[0], "get_weather");
	ASSERT_STR_EQ(r.args[0].p, "{\"city\":\"Paris\",\"unit\":\"c\"}");
	ASSERT_STR_EQ(r.names[1], "get_time");
	ASSERT_STR_EQ(r.args[1].p, "{}");
	ASSERT(strncmp(r.ids[0], "call_", 5) == 0);
	req = fake_request(&f);
	body = jv_get(req, "body");
	ASSERT_EQ_INT(jv_size(jv_get(body, "tools")), 2);
	ASSERT_STR_EQ(jv_str(jv_get(body, "tool_choice")), "auto");
	ASSERT(jv_true(jv_get(body, "parallel_tool_calls")));
	jv_free(req);
	rec_cleanup(&r);
	prov_free(p);
	fake_stop(&f);
}

static void openai_retries_500(void)
{
	struct rec r;

	oai_run(&r, "[{\"status\":503},{\"text\":\"ok after retry\"}]", -1, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	ASSERT_STR_EQ(r.text.p, "ok after retry");
	rec_cleanup(&r);
}

static void openai_honours_retry_after(void)
{
	struct rec r;
	int64_t t0 = clock_ms();

	oai_run(&r, "[{\"status\":429,\"headers\":{\"retry-after\":\"1\"}},{\"text\":\"fine\"}]",
		1, 3000);
	ASSERT_STR_EQ(r.text.p, "fine");
	ASSERT(clock_ms() - t0 >= 950);
	rec_cleanup(&r);
}

static void openai_honours_retry_after_ms(void)
{
	struct rec r;
	int64_t t0 = clock_ms();

	/* retry-after-ms wins over Retry-After. */
	oai_run(&r, "[{\"status\":429,\"headers\":{\"retry-after-ms\":\"50\","
		    "\"retry-after\":\"30\"}},{\"text\":\"quick\"}]", 1, 3000);
	ASSERT_STR_EQ(r.text.p, "quick");
	ASSERT(clock_ms() - t0 < 1500);
	rec_cleanup(&r);
}

static void openai_maps_final_errors(void)
{
	struct rec r;

	oai_run(&r, "[{\"status\":429}]", 0, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "rate_limit_exceeded");
	rec_cleanup(&r);
	oai_run(&r, "[{\"status\":404,\"body\":{\"error\":{\"message\":"
		    "\"The model 'nope' does not exist\"}}}]", -1, 2000);
	ASSERT_STR_EQ(r.code, "invalid_prompt");
	ASSERT_CONTAINS(r.msg, "The model 'nope' does not exist");
	rec_cleanup(&r);
	oai_run(&r, "[{\"status\":500,\"body\":\"plain text trouble\"}]", 0, 2000);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_CONTAINS(r.msg, "returned 500: plain text trouble");
	/* The message reaches clients: it never names the upstream. */
	ASSERT(strstr(r.msg, "127.0.0.1") == NULL);
	rec_cleanup(&r);
	/* An upstream that echoes the key has it taken out. */
	oai_run(&r, "[{\"status\":401,\"body\":{\"error\":{\"message\":"
		    "\"Incorrect API key provided: sk-test.\"}}}]", 0, 2000);
	ASSERT_STR_EQ(r.msg, "the upstream model server returned 401: Incorrect API key provided: "
			     "[redacted].");
	rec_cleanup(&r);
}

/* The message reaches clients: neither the URL nor its userinfo are in it. */
static void openai_connection_refused(void)
{
	struct rec r;
	struct prov *p = oai_new("http://someone:s3cret@127.0.0.1:1/v1", 0);

	rec_init(&r);
	start(p, &r, &(struct spec){ .messages = hello_msgs });
	drive(p, &r, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_STR_EQ(r.msg, "could not connect to the upstream model server: Connection refused");
	rec_cleanup(&r);
	prov_free(p);
}

static void openai_cancel_mid_stream(void)
{
	struct fake f;
	struct prov *p;
	struct rec r;

	fake_start(&f, "[{\"endless\":true,\"delayMs\":10}]");
	p = oai_new(f.url, -1);
	rec_init(&r);
	r.cancel_after = 3;
	start(p, &r, &(struct spec){ .messages = hello_msgs });
	drive(p, &r, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_CANCELLED);
	ASSERT_EQ_INT(r.ntext, 3);
	ASSERT(r.cancelled && !r.done_in_cancel); /* done comes later, from the loop */
	loop_run_once(tloop, 50);
	ASSERT_EQ_INT(r.ntext, 3);
	rec_cleanup(&r);
	prov_free(p);
	fake_stop(&f);
}

static void openai_cancel_during_backoff(void)
{
	struct fake f;
	struct prov *p;
	struct rec r;
	int64_t t0;

	fake_start(&f, "[{\"status\":500}]");
	p = oai_new(f.url, -1);
	rec_init(&r);
	start(p, &r, &(struct spec){ .messages = hello_msgs });
	t0 = clock_ms();
	while (!timer_active(&r.call->timer) && clock_ms() - t0 < 2000)
		loop_run_once(tloop, 10);
	ASSERT(timer_active(&r.call->timer));
	prov_cancel(r.call);
	drive(p, &r, 100);
	ASSERT_EQ_INT(r.res.finish, PROV_CANCELLED);
	rec_cleanup(&r);
	prov_free(p);
	fake_stop(&f);
}

static void openai_malformed_stream(void)
{
	struct rec r;

	oai_run(&r, "[{\"malformed\":true}]", -1, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_CONTAINS(r.msg, "malformed stream");
	rec_cleanup(&r);
}

static void openai_disconnect_mid_reply(void)
{
	struct rec r;

	oai_run(&r, "[{\"disconnectAfterChunks\":2}]", -1, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_STR_EQ(r.text.p, "part0 part1 ");
	ASSERT_CONTAINS(r.msg, "in the middle of the reply");
	rec_cleanup(&r);
}

static void openai_non_streamed_and_no_usage(void)
{
	struct rec r;

	oai_run(&r, "[{\"nonStream\":true,\"text\":\"whole reply\","
		    "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2}}]", -1, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	ASSERT_STR_EQ(r.text.p, "whole reply");
	ASSERT_EQ_INT(r.res.prompt_tokens, 11);
	rec_cleanup(&r);
	oai_run(&r, "[{\"text\":\"abcdefgh ijklmnop\",\"usage\":false}]", -1, 2000);
	ASSERT_EQ_INT(r.res.finish, PROV_STOP);
	/* Counted here (o200k_base, as gpt-tokenizer): 3 + 3 + "user" + "hello| upstream", and
	 * "abcdefgh| ij|kl|mnop". */
	ASSERT_EQ_INT(r.res.prompt_tokens, 9);
	ASSERT_EQ_INT(r.res.completion_tokens, 4);
	rec_cleanup(&r);
}

/* Usage a hostile or broken upstream sends (negative, huge, not a number) is not believed:
 * the counts are those of a reply without usage (found by fuzz_wire). */
static void openai_bad_usage_is_estimated(void)
{
	static const char *const usages[] = {
		"{\"prompt_tokens\":-1,\"completion_tokens\":2}",
		"{\"prompt_tokens\":1000000000000,\"completion_tokens\":1000000000000}",
		"{\"prompt_tokens\":5,\"completion_tokens\":null}",
		"{\"prompt_tokens\":5,\"completion_tokens\":\"2\"}",
	};
	char steps[512];
	int64_t prompt;
	int64_t completion;
	struct rec r;

	oai_run(&r, "[{\"text\":\"abcdefgh ijklmnop\",\"usage\":false}]", -1, 2000);
	prompt = r.res.prompt_tokens;
	completion = r.res.completion_tokens;
	rec_cleanup(&r);
	for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++) {
		snprintf(steps, sizeof(steps), "[{\"text\":\"abcdefgh ijklmnop\",\"usage\":%s}]",
			 usages[i]);
		oai_run(&r, steps, -1, 2000);
		ASSERT_EQ_INT(r.res.finish, PROV_STOP);
		ASSERT_EQ_INT(r.res.prompt_tokens, prompt);
		ASSERT_EQ_INT(r.res.completion_tokens, completion);
		rec_cleanup(&r);
	}
}

static void openai_idle_timeout(void)
{
	struct rec r;

	oai_run(&r, "[{\"hang\":true}]", 0, 3000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_STR_EQ(r.code, "server_error");
	ASSERT_CONTAINS(r.msg, "timed out");
	rec_cleanup(&r);
}

static void openai_many_concurrent(void)
{
	enum { N = 200 };
	struct fake f;
	struct prov *p;
	struct rec *r = calloc(N, sizeof(*r));
	int64_t until;
	int done = 0;

	fake_start(&f, "[]");
	p = oai_new(f.url, 0);
	for (int i = 0; i < N; i++) {
		rec_init(&r[i]);
		start(p, &r[i], &(struct spec){ .messages = hello_msgs });
	}
	until = clock_ms() + 5000;
	while (done < N && clock_ms() < until) {
		loop_run_once(tloop, 20);
		done = 0;
		for (int i = 0; i < N; i++)
			done += r[i].done;
	}
	ASSERT_EQ_INT(done, N);
	for (int i = 0; i < N; i++) {
		ASSERT_STR_EQ(r[i].text.p, "ok");
		rec_cleanup(&r[i]);
	}
	free(r);
	prov_free(p);
	fake_stop(&f);
}

static void openai_idle_timeout_mid_reply(void)
{
	struct rec r;
	int64_t t0 = clock_ms();

	/* The head and a first empty chunk arrive, then nothing for 3 s (the idle limit is 1 s). */
	oai_run(&r, "[{\"text\":\"late words\",\"delayMs\":3000}]", 0, 3000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_CONTAINS(r.msg, "timed out: no data for 1000 ms");
	ASSERT(clock_ms() - t0 < 2800);
	rec_cleanup(&r);
}

/* A listener whose accept queue is full: a further connect gets no answer at all. */
static int full_listener(int *port, int *filler)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT(fd >= 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(fd, 0));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &alen));
	*port = ntohs(a.sin_port);
	*filler = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_OK(connect(*filler, (struct sockaddr *)&a, sizeof(a)));
	return fd;
}

static void openai_connect_timeout(void)
{
	struct prov *p;
	struct rec r;
	char url[64];
	int port;
	int filler;
	int fd = full_listener(&port, &filler);
	int64_t t0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
	p = oai_new(url, 0);
	rec_init(&r);
	t0 = clock_ms();
	start(p, &r, &(struct spec){ .messages = hello_msgs });
	drive(p, &r, 3000);
	ASSERT_EQ_INT(r.res.finish, PROV_FAILED);
	ASSERT_CONTAINS(r.msg, "timed out");
	ASSERT(clock_ms() - t0 >= 900 && clock_ms() - t0 < 2500);
	rec_cleanup(&r);
	prov_free(p);
	close(filler);
	close(fd);
}

static int open_sockets(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ASSERT(d != NULL);
	while ((e = readdir(d)) != NULL) {
		char path[300];
		char target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 0 && strncmp(target, "socket:", 7) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void openai_idle_connections_capped(void)
{
	enum { N = 150 };
	struct fake f;
	struct prov *p;
	struct rec *r = calloc(N, sizeof(*r));
	struct buf steps;
	int64_t until;
	int before;
	int done = 0;

	buf_init(&steps, 0);
	for (int i = 0; i < N; i++)
		must(buf_printf(&steps, "%s{\"text\":\"slow enough to overlap\",\"delayMs\":100}",
				i ? "," : "["));
	must(buf_puts(&steps, "]"));
	fake_start(&f, steps.p);
	buf_cleanup(&steps);
	p = oai_new(f.url, 0);
	before = open_sockets();
	for (int i = 0; i < N; i++) {
		rec_init(&r[i]);
		start(p, &r[i], &(struct spec){ .messages = hello_msgs });
	}
	until = clock_ms() + 30000;
	while (done < N && clock_ms() < until) {
		loop_run_once(tloop, 20);
		done = 0;
		for (int i = 0; i < N; i++)
			done += r[i].done;
	}
	ASSERT_EQ_INT(done, N);
	/* All N were connected at once; only a bounded number stay cached for reuse. */
	ASSERT(open_sockets() - before <= 64);
	for (int i = 0; i < N; i++) {
		ASSERT_STR_EQ(r[i].text.p, "slow enough to overlap");
		rec_cleanup(&r[i]);
	}
	free(r);
	prov_free(p);
	fake_stop(&f);
}

/* --- Wire details without a server. --- */

static void wire_error_messages(void)
{
	char *m;

	m = oai_error_message("{\"error\":{\"message\":\"bad model\"}}", 33);
	ASSERT_STR_EQ(m, "bad model");
	free(m);
	m = oai_error_message("{\"error\":\"model 'x' not found\"}", 31);
	ASSERT_STR_EQ(m, "model 'x' not found");
	free(m);
	m = oai_error_message("{\"detail\":\"Not Found\"}", 22);
	ASSERT_STR_EQ(m, "Not Found");
	free(m);
	m = oai_error_message("  Bad\ngateway \n", 15);
	ASSERT_STR_EQ(m, "Bad gateway");
	free(m);
	ASSERT(oai_error_message("  \n", 3) == NULL);
	ASSERT(oai_error_message(NULL, 0) == NULL);
}

static void feed_chunk(struct oai_parse *ps, const char *text)
{
	jv *v = parse(text);

	ASSERT_OK(oai_parse_chunk(ps, v));
	jv_free(v);
}

static void wire_lenient_tool_calls(void)
{
	struct prov_call c;
	struct oai_parse ps;
	struct prov_result res;
	struct rec r;

	rec_init(&r);
	memset(&c, 0, sizeof(c));
	c.cb = rec_cb;
	c.ctx = &r;
	c.prompt_tokens = 5;
	oai_parse_init(&ps, &c);
	/* Arguments before the name, then the name with the id and more arguments. */
	feed_chunk(&ps, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":3,"
			"\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}");
	ASSERT_EQ_INT(r.ntools, 0);
	feed_chunk(&ps, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":3,\"id\":\"x1\","
			"\"function\":{\"name\":\"f\",\"arguments\":\":1}\"}}]}}]}");
	/* No index, and arguments as an object (as Ollama sends them). */
	feed_chunk(&ps, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":"
			"{\"name\":\"g\",\"arguments\":{\"b\":2}}}]}}]}");
	feed_chunk(&ps, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}");
	ASSERT_OK(oai_parse_end(&ps, &res));
	ASSERT_EQ_INT(res.finish, PROV_TOOL_CALLS);
	ASSERT_EQ_INT(res.prompt_tokens, 5);
	ASSERT_EQ_INT(res.completion_tokens, 12); /* f{"a":1}g{"b":2}, as gpt-tokenizer counts */
	ASSERT_EQ_INT(r.ntools, 2);
	ASSERT_STR_EQ(r.ids[0], "x1");
	ASSERT_STR_EQ(r.names[0], "f");
	ASSERT_STR_EQ(r.args[0].p, "{\"a\":1}");
	ASSERT_STR_EQ(r.names[1], "g");
	ASSERT(strncmp(r.ids[1], "call_", 5) == 0);
	ASSERT_STR_EQ(r.args[1].p, "{\"b\":2}");
	oai_parse_cleanup(&ps);
	buf_cleanup(&c.out);
	rec_cleanup(&r);
}

static void wire_unfinished_and_errors(void)
{
	struct prov_call c;
	struct oai_parse ps;
	struct prov_result res;
	struct rec r;
	jv *v;

	rec_init(&r);
	memset(&c, 0, sizeof(c));
	c.cb = rec_cb;
	c.ctx = &r;
	oai_parse_init(&ps, &c);
	feed_chunk(&ps, "{\"choices\":[{\"delta\":{\"content\":\"half\"}}]}");
	ASSERT_EQ_INT(oai_parse_end(&ps, &res), ERR_UPSTREAM);
	ASSERT_CONTAINS(ps.error, "ended before the reply was finished");
	oai_parse_cleanup(&ps);
	v = parse("{\"error\":{\"message\":\"overloaded\"}}");
	ASSERT_EQ_INT(oai_parse_chunk(&ps, v), ERR_UPSTREAM);
	ASSERT_CONTAINS(ps.error, "overloaded");
	jv_free(v);
	oai_parse_cleanup(&ps);
	ASSERT_STR_EQ(r.text.p, "half");
	buf_cleanup(&c.out);
	rec_cleanup(&r);
}

static void free_with_calls_in_flight(void)
{
	struct fake f;
	struct prov *p;
	struct rec r[3];

	fake_start(&f, "[{\"endless\":true},{\"endless\":true},{\"endless\":true}]");
	p = oai_new(f.url, -1);
	for (int i = 0; i < 3; i++)
		rec_init(&r[i]);
	start(p, &r[0], &(struct spec){ .messages = hello_msgs });
	start(p, &r[1], &(struct spec){ .messages = hello_msgs });
	start(p, &r[2], &(struct spec){ .messages = hello_msgs });
	while (r[0].ntext < 2 || r[2].ntext < 1)
		loop_run_once(tloop, 20);
	ASSERT(!r[2].done);
	prov_cancel(r[2].call);
	prov_free(p); /* not the contract, but must not crash or leak */
	p = demo_new(100);
	start(p, &r[2], &(struct spec){ .messages = hello_msgs });
	loop_run_once(tloop, 10);
	prov_free(p);
	for (int i = 0; i < 3; i++)
		rec_cleanup(&r[i]);
	fake_stop(&f);
}

const struct t_case providers_tests[] = {
	T_CASE(sse_any_chunking),
	T_CASE(sse_limits_and_stop),
	T_CASE(aliases_map_models),
	T_CASE(demo_echoes_word_by_word),
	T_CASE(demo_text_parts_and_no_message),
	T_CASE(demo_json_reply),
	T_CASE(demo_tool_call_with_args),
	T_CASE(demo_parallel_calls),
	T_CASE(demo_tool_choice),
	T_CASE(demo_reports_tool_outputs),
	T_CASE(demo_cut_by_max_tokens),
	T_CASE(demo_fails_on_request),
	T_CASE(demo_paces_words),
	T_CASE(demo_cancel_slow),
	T_CASE(demo_cancel_inside_callback),
	T_CASE(demo_rejects_bad_request),
	T_CASE(demo_many_calls),
	T_CASE(wire_error_messages),
	T_CASE(wire_lenient_tool_calls),
	T_CASE(wire_unfinished_and_errors),
	T_CASE(openai_streams_text),
	T_CASE(openai_streams_tool_calls),
	T_CASE(openai_retries_500),
	T_CASE(openai_honours_retry_after),
	T_CASE(openai_honours_retry_after_ms),
	T_CASE(openai_maps_final_errors),
	T_CASE(openai_connection_refused),
	T_CASE(openai_cancel_mid_stream),
	T_CASE(openai_cancel_during_backoff),
	T_CASE(openai_malformed_stream),
	T_CASE(openai_disconnect_mid_reply),
	T_CASE(openai_non_streamed_and_no_usage),
	T_CASE(openai_bad_usage_is_estimated),
	T_CASE(openai_idle_timeout),
	T_CASE(openai_many_concurrent),
	T_CASE(openai_idle_timeout_mid_reply),
	T_CASE(openai_connect_timeout),
	T_CASE(openai_idle_connections_capped),
	T_CASE(free_with_calls_in_flight),
	{ NULL, NULL },
};
