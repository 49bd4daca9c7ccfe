/* id.h - object ids with the hosted service's prefixes.
 *
 * An id is a prefix ("asst_", "thread_", "msg_", "file-", ...) followed by ID_RANDOM_LEN
 * base62 characters drawn from getrandom(2). */
#ifndef ASSISTD_ID_H
#define ASSISTD_ID_H

#include <stdbool.h>
#include <stddef.h>

/* The prefix of every kind of id this server hands out, as the hosted service spells it: the
 * one list, used by whoever makes or checks an id. */
#define ID_ASSISTANT "asst_"
#define ID_THREAD "thread_"
#define ID_MESSAGE "msg_"
#define ID_RUN "run_"
#define ID_STEP "step_"
#define ID_CALL "call_"
#define ID_KEY "key_"
#define ID_FILE "file-"
#define ID_VECTOR_STORE "vs_"
#define ID_VS_BATCH "vsfb_"

#define ID_RANDOM_LEN 24
#define ID_MAX 64 /* longest id accepted from a client, including the prefix */

/* Writes prefix + random characters into out (size outlen, NUL-terminated). Returns 0, or
 * ERR_INTERNAL when out is too small or the system has no randomness. */
int id_new(const char *prefix, char *out, size_t outlen);

/* Fills out[0..n) with random base62 characters (no NUL). Returns 0 or ERR_INTERNAL. */
int id_random(char *out, size_t n);

/* True when id starts with prefix and the rest is 1..ID_MAX base62/-/_ characters: the shape
 * of an id this server hands out. Used to reject ids of the wrong kind early. */
bool id_valid(const char *id, const char *prefix);

#endif
