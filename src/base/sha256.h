/* sha256.h - SHA-256 (FIPS 180-4), used to store API keys as hashes only. */
#ifndef ASSISTD_SHA256_H
#define ASSISTD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

void sha256(const void *data, size_t len, uint8_t out[32]);
/* Writes 64 lowercase hex digits and a NUL into out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
