/* cli_tokenize.c - `assistd tokenize`: the built-in tokenizer from the command line.
 *
 *   assistd tokenize [--model NAME | --encoding o200k_base|cl100k_base] [--count] [--split0]
 *
 * Reads stdin and prints the token ids, space-separated, on one line (or only their number
 * with --count). With --split0 stdin holds several texts separated by NUL bytes, and each
 * gets its own line: the reference test (tests/tokenizer) checks a whole corpus in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cli.h"
#include "text/tokenizer.h"

struct tok_args {
	enum tok_enc enc;
	int count;
	int split0;
};

static const struct {
	const char *name;
	enum tok_enc enc;
} encodings[] = {
	{ "o200k_base", TOK_O200K },
	{ "cl100k_base", TOK_CL100K },
};

static int usage(void)
{
	fprintf(stderr, "usage: assistd tokenize [--model NAME | --encoding o200k_base|cl100k_base]"
			" [--count] [--split0] < TEXT\n");
	return 2;
}

static int parse_encoding(const char *name, enum tok_enc *enc)
{
	for (size_t i = 0; i < sizeof(encodings) / sizeof(*encodings); i++) {
		if (!strcmp(name, encodings[i].name)) {
			*enc = encodings[i].enc;
			return 0;
		}
	}
	return -1;
}

static int parse(int argc, char **argv, struct tok_args *a)
{
	for (int i = 2; i < argc; i++) {
		int more = i + 1 < argc;
		if (!strcmp(argv[i], "--count"))
			a->count = 1;
		else if (!strcmp(argv[i], "--split0"))
			a->split0 = 1;
		else if (!strcmp(argv[i], "--model") && more)
			a->enc = tok_enc_for_model(argv[++i]);
		else if (!strcmp(argv[i], "--encoding") && more &&
			 !parse_encoding(argv[i + 1], &a->enc))
			i++;
		else
			return -1;
	}
	return 0;
}

static int print_tokens(const struct tok_args *a, const char *text, size_t len)
{
	uint32_t *ids = NULL;
	size_t n = 0;

	if (a->count) {
		printf("%zu\n", tok_count(a->enc, text, len));
		return 0;
	}
	if (tok_encode(a->enc, text, len, &ids, NULL, &n))
		return 1;
	for (size_t i = 0; i < n; i++)
		printf(i ? " %u" : "%u", ids[i]);
	printf("\n");
	free(ids);
	return 0;
}

static int read_all(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t got;

	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, got))
			return 1;
	return ferror(f) ? 1 : 0;
}

/* --split0: each NUL-terminated (or final) text of in on its own line. */
static int print_texts(const struct tok_args *a, const struct buf *in)
{
	int rc = 0;

	for (size_t at = 0; !rc && at < in->len;) {
		const char *end = memchr(in->p + at, '\0', in->len - at);
		size_t n = end ? (size_t)(end - (in->p + at)) : in->len - at;
		rc = print_tokens(a, in->p + at, n);
		at += n + 1;
	}
	return rc;
}

int cli_tokenize(int argc, char **argv)
{
	struct tok_args a = { .enc = TOK_O200K };
	struct buf in;
	int rc = 1;

	if (parse(argc, argv, &a))
		return usage();
	buf_init(&in, 0);
	if (read_all(stdin, &in)) {
		fprintf(stderr, "assistd tokenize: cannot read stdin\n");
		goto out;
	}
	if (a.split0)
		rc = print_texts(&a, &in);
	else
		rc = print_tokens(&a, in.p ? in.p : "", in.len);
out:
	buf_cleanup(&in);
	return rc;
}
