/* web.h - the playground page (web/): its files, built into the binary, served at "/". */
#ifndef ASSISTD_WEB_H
#define ASSISTD_WEB_H

#include <stdbool.h>

#include "../http/http.h"

/* GET / and GET /{asset}: the page's files, with ETag (304 on If-None-Match), Cache-Control,
 * a strict Content-Security-Policy and gzip when the client accepts it. Needs no API key:
 * the page asks for one itself. Errors: ERR_NOT_FOUND (recorded). */
int web_get(struct http_req *req);
/* Whether path is one of the page's files ("/" or "/app.js", ...): those need no API key. */
bool web_public(const char *path);

#endif
