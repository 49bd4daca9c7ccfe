/* err.h - the one project-wide error table.
 *
 * Every fallible function returns 0 for success or one of these codes. Each code carries the
 * HTTP status and OpenAI error `type` it is reported with, so any layer can return a code and
 * the HTTP layer renders the OpenAI error envelope. Detail (message, param) travels beside the
 * code, on the request (see http.h: http_fail). */
#ifndef ASSISTD_ERR_H
#define ASSISTD_ERR_H

#define MUST_CHECK __attribute__((warn_unused_result))

/* X(name, http status, OpenAI error type, default message) */
#define ERR_TABLE(X)                                                                        \
	X(ERR_INVALID, 400, "invalid_request_error", "The request is not valid.")           \
	X(ERR_AUTH, 401, "invalid_request_error", "Missing or incorrect API key.")           \
	X(ERR_PERMISSION, 403, "invalid_request_error", "You may not do that.")              \
	X(ERR_NOT_FOUND, 404, "invalid_request_error", "Not found.")                         \
	X(ERR_METHOD, 405, "invalid_request_error", "Method not allowed.")                   \
	X(ERR_CONFLICT, 409, "invalid_request_error", "The object changed; try again.")      \
	X(ERR_LEASE, 409, "invalid_request_error", "Another node took this run over.")    \
	X(ERR_TOO_LARGE, 413, "invalid_request_error", "The request is too large.")          \
	X(ERR_LIMIT, 413, "invalid_request_error", "A size limit was exceeded.")             \
	X(ERR_URI_TOO_LONG, 414, "invalid_request_error", "The request URL is too long.")    \
	X(ERR_RATE, 429, "rate_limit_error", "Too many requests; slow down.")                \
	X(ERR_REQUESTS, 429, "requests", "Rate limit reached for requests.")                \
	X(ERR_QUOTA, 429, "insufficient_quota", "You exceeded your current quota.")          \
	X(ERR_INTERNAL, 500, "server_error", "The server had an error; try again.")         \
	X(ERR_DB, 500, "server_error", "The data store failed; try again.")                 \
	X(ERR_UPSTREAM, 502, "server_error", "The model provider failed.")                  \
	X(ERR_UNAVAILABLE, 503, "server_error", "The server is shutting down; try again.")  \
	X(ERR_TIMEOUT, 504, "server_error", "The operation timed out.")

enum err_code {
	ERR_OK = 0,
#define ERR_ENUM(name, status, type, msg) name,
	ERR_TABLE(ERR_ENUM)
#undef ERR_ENUM
	ERR_COUNT
};

/* All return static strings or numbers; an unknown code reports as ERR_INTERNAL. */
int err_status(int err);
const char *err_type(int err);
const char *err_message(int err);
const char *err_name(int err);

#endif
