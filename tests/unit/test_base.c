/* test_base.c - unit tests for src/base: buffers, ids, errors, hashing. */
#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/id.h"
#include "../../src/base/sha256.h"
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

const struct t_case base_tests[] = {
	T_CASE(buf_grows_and_limits),
	T_CASE(ids_have_prefix_and_length),
	T_CASE(err_table_maps_status),
	T_CASE(sha256_known_vectors),
	T_CASE(sse_frames_events),
	T_CASE(url_userinfo_is_found_and_removed),
	{ NULL, NULL },
};
