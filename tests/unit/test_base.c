/* test_base.c - unit tests for src/base: buffers, ids, errors, hashing. */
#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/id.h"
#include "../../src/base/sha256.h"
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

const struct t_case base_tests[] = {
	T_CASE(buf_grows_and_limits),
	T_CASE(buf_reserves_at_most_max),
	T_CASE(ids_have_prefix_and_length),
	T_CASE(err_table_maps_status),
	T_CASE(sha256_known_vectors),
	{ NULL, NULL },
};
