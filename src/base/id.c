/* id.c - random object ids (see id.h). */
#include "id.h"

#include <string.h>
#include <sys/random.h>

#include "err.h"

static const char alphabet[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Random bytes enough for the rest of the n characters, rejections included (1 in 32 on
 * average), up to 256: getrandom never returns fewer than that many. */
static size_t want(size_t left)
{
	size_t w = left + left / 16 + 4;

	return w < 256 ? w : 256;
}

int id_random(char *out, size_t n)
{
	unsigned char raw[256];
	size_t done = 0;

	while (done < n) {
		ssize_t got = getrandom(raw, want(n - done), 0);

		if (got <= 0)
			return ERR_INTERNAL;
		/* Rejection sampling keeps every character equally likely: 248 = 4 * 62. */
		for (ssize_t i = 0; i < got && done < n; i++) {
			if (raw[i] < 248)
				out[done++] = alphabet[raw[i] % 62];
		}
	}
	return 0;
}

int id_new(const char *prefix, char *out, size_t outlen)
{
	size_t plen = strlen(prefix);
	int err;

	if (plen + ID_RANDOM_LEN + 1 > outlen)
		return ERR_INTERNAL;
	memcpy(out, prefix, plen);
	err = id_random(out + plen, ID_RANDOM_LEN);
	if (err)
		return err;
	out[plen + ID_RANDOM_LEN] = '\0';
	return 0;
}

static bool id_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '_';
}

bool id_valid(const char *id, const char *prefix)
{
	size_t plen = strlen(prefix);
	size_t len;

	if (!id || strncmp(id, prefix, plen) != 0)
		return false;
	len = strlen(id);
	if (len == plen || len > ID_MAX)
		return false;
	for (size_t i = plen; i < len; i++) {
		if (!id_char(id[i]))
			return false;
	}
	return true;
}
