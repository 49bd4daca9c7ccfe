/* test_base.c - unit tests for src/base: buffers, ids, errors, hashing, run and step statuses. */
#include <ctype.h>
#include <stdbool.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/id.h"
#include "../../src/base/metrics.h"
#include "../../src/base/sha256.h"
#include "../../src/base/status.h"
#include "../../src/base/sse.h"
#include "../../src/base/url.h"
#include "suites.h"

static void buf_grows_and_limits(void)
{
	struct buf b;

	buf_init(&b, 8);
	ASSERT_OK(buf_puts(&b, "abcd"));
	ASSERT_OK(buf_printf(&b, "%d", 1234));
	ASSERT_STR_EQ(b.p, "abcd1234");
	ASSERT_EQ_INT(buf_putc(&b, 'x'), ERR_LIMIT);
	ASSERT_STR_EQ(b.p, "abcd1234");
	buf_cleanup(&b);
}

/* A bounded buffer filled to its maximum reserves max + 1 bytes, not the next power of two. */
static void buf_reserves_at_most_max(void)
{
	static const char chunk[1000] = { 'x' };
	struct buf b;

	buf_init(&b, 3000);
	for (int i = 0; i < 3; i++)
		ASSERT_OK(buf_append(&b, chunk, sizeof(chunk)));
	ASSERT_EQ_INT(b.len, 3000);
	ASSERT_EQ_INT(b.cap, 3001);
	ASSERT_EQ_INT(buf_putc(&b, 'x'), ERR_LIMIT);
	buf_cleanup(&b);
}

static void ids_have_prefix_and_length(void)
{
	char id[64];
	char other[64];

	ASSERT_OK(id_new("asst_", id, sizeof(id)));
	ASSERT_OK(id_new("asst_", other, sizeof(other)));
	ASSERT_EQ_INT(strlen(id), 5 + ID_RANDOM_LEN);
	ASSERT(strcmp(id, other) != 0);
	ASSERT(id_valid(id, "asst_"));
	ASSERT(!id_valid(id, "thread_"));
	ASSERT(!id_valid("asst_", "asst_"));
	ASSERT(!id_valid("asst_a b", "asst_"));
	ASSERT_EQ_INT(id_new("asst_", id, 10), ERR_INTERNAL);
}

/* Long runs of random characters (the HTTP layer draws request ids 1,536 at a time) are
 * written in full, each base62, and use the whole alphabet. */
static void random_runs_fill_with_base62(void)
{
	char out[1537];
	bool seen[128] = { false };
	int kinds = 0;

	memset(out, 0, sizeof(out));
	ASSERT_OK(id_random(out, sizeof(out) - 1));
	ASSERT_EQ_INT(strlen(out), sizeof(out) - 1);
	for (size_t i = 0; i < sizeof(out) - 1; i++) {
		ASSERT(isalnum((unsigned char)out[i]));
		kinds += !seen[(unsigned char)out[i]];
		seen[(unsigned char)out[i]] = true;
	}
	ASSERT_EQ_INT(kinds, 62);
}

static void err_table_maps_status(void)
{
	ASSERT_EQ_INT(err_status(ERR_INVALID), 400);
	ASSERT_EQ_INT(err_status(ERR_NOT_FOUND), 404);
	ASSERT_EQ_INT(err_status(ERR_TOO_LARGE), 413);
	ASSERT_EQ_INT(err_status(9999), 500);
	ASSERT_STR_EQ(err_type(ERR_INVALID), "invalid_request_error");
}

static void sha256_known_vectors(void)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex("abc", 3, hex);
	ASSERT_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	ASSERT_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Every legal move, written out by hand from the run lifecycle the API documents; any pair
 * not listed must be refused. */
static const char *const legal_run_moves[] = {
	"queued>in_progress", "queued>cancelled", "queued>expired",
	"in_progress>requires_action", "in_progress>cancelling", "in_progress>cancelled",
	"in_progress>completed", "in_progress>incomplete", "in_progress>failed",
	"in_progress>expired",
	"requires_action>queued", "requires_action>cancelled", "requires_action>expired",
	"cancelling>cancelled",
};

static const char *const legal_step_moves[] = {
	"in_progress>completed", "in_progress>failed", "in_progress>cancelled",
	"in_progress>expired",
};

static bool listed(const char *const *moves, size_t n, const char *from, const char *to)
{
	char key[64];

	snprintf(key, sizeof(key), "%s>%s", from, to);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(moves[i], key) == 0)
			return true;
	}
	return false;
}

static void run_status_moves_match_the_table(void)
{
	size_t n = sizeof(legal_run_moves) / sizeof(legal_run_moves[0]);
	size_t seen = 0;

	for (int from = 0; from < RUN_STATUS_COUNT; from++) {
		for (int to = 0; to < RUN_STATUS_COUNT; to++) {
			const char *f = status_run_name(from);
			const char *t = status_run_name(to);
			bool want = listed(legal_run_moves, n, f, t);
			enum run_status cur = from;

			if (status_run_legal(from, to) != want)
				T_FAIL("run %s -> %s: legal should be %d", f, t, want);
			ASSERT_EQ_INT(status_run_move(&cur, to, "run_t"), want ? 0 : ERR_INTERNAL);
			ASSERT_EQ_INT(cur, want ? to : from);
			seen += want;
		}
	}
	ASSERT_EQ_INT(seen, n); /* every listed move names real statuses */
	ASSERT(!status_run_legal(RUN_STATUS_COUNT, RUN_QUEUED));
	ASSERT(!status_run_legal(RUN_QUEUED, RUN_STATUS_COUNT));
}

static void step_status_moves_match_the_table(void)
{
	size_t n = sizeof(legal_step_moves) / sizeof(legal_step_moves[0]);
	size_t seen = 0;

	for (int from = 0; from < STEP_STATUS_COUNT; from++) {
		for (int to = 0; to < STEP_STATUS_COUNT; to++) {
			bool want = listed(legal_step_moves, n, status_step_name(from),
					   status_step_name(to));
			enum step_status cur = from;

			ASSERT_EQ_INT(status_step_legal(from, to), want);
			ASSERT_EQ_INT(status_step_move(&cur, to, "step_t"), want ? 0 : ERR_INTERNAL);
			ASSERT_EQ_INT(cur, want ? to : from);
			seen += want;
		}
	}
	ASSERT_EQ_INT(seen, n);
}

static void run_status_names_sets_and_stamps(void)
{
	static const char *const names[] = { "queued", "in_progress", "requires_action",
					     "cancelling", "cancelled", "failed", "completed",
					     "incomplete", "expired" };
	static const char *const active = "queued in_progress requires_action cancelling";
	static const char *const moving = "queued in_progress cancelling";
	enum run_status s;

	ASSERT_EQ_INT(sizeof(names) / sizeof(names[0]), RUN_STATUS_COUNT);
	for (int i = 0; i < RUN_STATUS_COUNT; i++) {
		ASSERT_OK(status_run_parse(names[i], &s));
		ASSERT_EQ_INT(s, i);
		ASSERT_STR_EQ(status_run_name(s), names[i]);
		ASSERT_EQ_INT(status_run_active(s), strstr(active, names[i]) != NULL);
		ASSERT_EQ_INT(status_run_moving(s), strstr(moving, names[i]) != NULL);
		ASSERT_EQ_INT(status_run_terminal(s), strstr(active, names[i]) == NULL);
	}
	ASSERT_EQ_INT(status_run_parse("done", &s), ERR_INVALID);
	ASSERT_EQ_INT(status_run_parse(NULL, &s), ERR_INVALID);
	ASSERT_STR_EQ(status_run_name(RUN_STATUS_COUNT), "unknown");
	ASSERT_STR_EQ(status_run_stamp(RUN_FAILED), "failed_at");
	ASSERT(status_run_stamp(RUN_EXPIRED) == NULL); /* a run has expires_at, no expired_at */
	ASSERT(status_run_stamp(RUN_INCOMPLETE) == NULL);
	ASSERT_STR_EQ(status_step_stamp(STEP_EXPIRED), "expired_at");
	ASSERT(status_step_stamp(STEP_IN_PROGRESS) == NULL);
}

static void sse_frames_events(void)
{
	struct buf b;

	buf_init(&b, 0);
	ASSERT_OK(sse_frame(&b, "thread.run.created", "{\"id\":\"run_1\"}"));
	ASSERT_OK(sse_frame(&b, "done", "[DONE]"));
	ASSERT_STR_EQ(b.p, "event: thread.run.created\ndata: {\"id\":\"run_1\"}\n\n"
			   "event: done\ndata: [DONE]\n\n");
	buf_cleanup(&b);
	/* Each line of the data gets its own "data: " line. */
	ASSERT_OK(sse_frame(&b, "x", "a\nb"));
	ASSERT_STR_EQ(b.p, "event: x\ndata: a\ndata: b\n\n");
	buf_cleanup(&b);
	/* Over the limit, nothing of the event is left. */
	buf_init(&b, 20);
	ASSERT_OK(buf_puts(&b, "kept"));
	ASSERT_EQ_INT(sse_frame(&b, "long.event.name", "data"), ERR_LIMIT);
	ASSERT_STR_EQ(b.p, "kept");
	buf_cleanup(&b);
}

/* Checks an owned string and frees it. */
static void check_owned(char *got, const char *want)
{
	ASSERT_STR_EQ(got, want);
	free(got);
}

static void url_userinfo_is_found_and_removed(void)
{
	check_owned(url_public("https://user:pw@example.com:8443/v1?q=a@b"),
		    "https://example.com:8443/v1?q=a@b");
	check_owned(url_userinfo("https://user:pw@example.com/v1"), "user:pw");
	check_owned(url_password("https://user:p@ss@example.com/v1"), "p@ss");
	check_owned(url_public("http://127.0.0.1:1/v1/a@b"), "http://127.0.0.1:1/v1/a@b");
	ASSERT(url_userinfo("http://127.0.0.1/v1") == NULL);
	ASSERT(url_password("http://token@127.0.0.1/v1") == NULL);
	ASSERT(url_userinfo("not a url@all") == NULL);
}

/* Each case runs in its own child, so the process-wide metrics start at zero here. */
static void metrics_histogram_text(void)
{
	struct metrics_hist h = { 0 };
	struct buf b;

	metrics_observe(&h, 500);      /* 0.5 ms: the first bucket */
	metrics_observe(&h, 30000);    /* 30 ms: le 0.05 */
	metrics_observe(&h, 90000000); /* 90 s: only +Inf */
	ASSERT_EQ_INT((int)metrics_hist_count(&h), 3);
	buf_init(&b, 0);
	metrics_hist_write(&b, "x_seconds", "route=\"/a\"", &h);
	ASSERT(strstr(b.p, "x_seconds_bucket{route=\"/a\",le=\"0.001\"} 1\n"));
	ASSERT(strstr(b.p, "x_seconds_bucket{route=\"/a\",le=\"0.025\"} 1\n"));
	ASSERT(strstr(b.p, "x_seconds_bucket{route=\"/a\",le=\"0.05\"} 2\n"));
	ASSERT(strstr(b.p, "x_seconds_bucket{route=\"/a\",le=\"60\"} 2\n"));
	ASSERT(strstr(b.p, "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
	ASSERT(strstr(b.p, "x_seconds_sum{route=\"/a\"} 90.030500\n"));
	ASSERT(strstr(b.p, "x_seconds_count{route=\"/a\"} 3\n"));
	buf_cleanup(&b);
}

static void metrics_counts_runs_and_calls(void)
{
	enum run_status s = RUN_QUEUED;
	struct buf b;

	ASSERT_OK(status_run_move(&s, RUN_IN_PROGRESS, "run_x"));
	ASSERT(status_run_move(&s, RUN_QUEUED, "run_x") != 0); /* illegal: not counted */
	metrics_add(METRICS_TOKENS_IN, 12);
	metrics_add(METRICS_STREAMS, 2);
	metrics_add(METRICS_STREAMS, -1);
	buf_init(&b, 0);
	metrics_write(&b);
	ASSERT(strstr(b.p, "# TYPE assistd_runs_total counter\n"));
	ASSERT(strstr(b.p, "assistd_runs_total{status=\"in_progress\"} 1\n"));
	ASSERT(strstr(b.p, "assistd_runs_total{status=\"queued\"} 0\n"));
	ASSERT(strstr(b.p, "\nassistd_tokens_in_total 12\n"));
	ASSERT(strstr(b.p, "# TYPE assistd_streams_active gauge\nassistd_streams_active 1\n"));
	ASSERT(strstr(b.p, "assistd_upstream_seconds_count 0\n"));
	buf_cleanup(&b);
}

const struct t_case base_tests[] = {
	T_CASE(metrics_histogram_text),
	T_CASE(metrics_counts_runs_and_calls),
	T_CASE(buf_grows_and_limits),
	T_CASE(buf_reserves_at_most_max),
	T_CASE(ids_have_prefix_and_length),
	T_CASE(random_runs_fill_with_base62),
	T_CASE(err_table_maps_status),
	T_CASE(sha256_known_vectors),
	T_CASE(run_status_moves_match_the_table),
	T_CASE(step_status_moves_match_the_table),
	T_CASE(run_status_names_sets_and_stamps),
	T_CASE(sse_frames_events),
	T_CASE(url_userinfo_is_found_and_removed),
	{ NULL, NULL },
};
