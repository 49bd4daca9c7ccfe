/* web.c - serves the playground page (web/) from the binary.
 *
 * The Makefile compresses each file of web/ with gzip -9 into $(B)/gen/web/; this file
 * includes the files and their compressed forms with .incbin, so the binary alone is the
 * whole product. ETags are the first 16 hex digits of each form's SHA-256, computed once. */
#include "web.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/sha256.h"

#ifndef WEB_GEN_DIR
#error "WEB_GEN_DIR (the directory of the compressed page files) must be defined by the Makefile"
#endif

/* In the section of blobs (see src/text/tok_table.c), not .rodata: among the constants read at
 * start, the page's 57 KB would be mapped by the kernel's fault-around with them. */
#define WEB_INCBIN(sym, file)                                                      \
	__asm__(".section .blobs,\"a\"\n.global " #sym "\n" #sym ":\n.incbin \"" file "\"\n" \
		".global " #sym "_end\n" #sym "_end:\n.previous\n");                 \
	extern const uint8_t sym[], sym##_end[]

/* One file: its plain and gzip forms. */
#define WEB_FILE(sym, name)                                  \
	WEB_INCBIN(web_##sym, "web/" name);                  \
	WEB_INCBIN(web_##sym##_gz, WEB_GEN_DIR "/" name ".gz")

WEB_FILE(index_html, "index.html");
WEB_FILE(app_css, "app.css");
WEB_FILE(app_js, "app.js");
WEB_FILE(api_js, "api.js");
WEB_FILE(dom_js, "dom.js");
WEB_FILE(md_js, "md.js");
WEB_FILE(chat_js, "chat.js");
WEB_FILE(forms_js, "forms.js");
WEB_FILE(storage_js, "storage.js");

#define JS "text/javascript; charset=utf-8"
#define ROW(sym, name, type) \
	{ name, type, { web_##sym, web_##sym##_gz }, { web_##sym##_end, web_##sym##_gz_end }, { "" } }

enum { WEB_PLAIN, WEB_GZIP };

struct web_asset {
	const char *name; /* "" for the page itself */
	const char *type;
	const uint8_t *start[2], *end[2]; /* by WEB_PLAIN / WEB_GZIP */
	char etag[2][24];                 /* "\"<16 hex>\"", filled once */
};

static struct web_asset assets[] = {
	ROW(index_html, "", "text/html; charset=utf-8"),
	ROW(app_css, "app.css", "text/css; charset=utf-8"),
	ROW(app_js, "app.js", JS),
	ROW(api_js, "api.js", JS),
	ROW(dom_js, "dom.js", JS),
	ROW(md_js, "md.js", JS),
	ROW(chat_js, "chat.js", JS),
	ROW(forms_js, "forms.js", JS),
	ROW(storage_js, "storage.js", JS),
};

/* No inline script or style, no eval, nothing from elsewhere; images may be blobs the page
 * fetched (code_interpreter output) or data: URLs. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; "
			  "form-action 'none'; frame-ancestors 'none'";

static pthread_once_t etags_once = PTHREAD_ONCE_INIT;

static void etags_fill(void)
{
	char hex[SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		for (int f = WEB_PLAIN; f <= WEB_GZIP; f++) {
			const uint8_t *s = assets[i].start[f];

			sha256_hex(s, (size_t)(assets[i].end[f] - s), hex);
			snprintf(assets[i].etag[f], sizeof(assets[i].etag[f]), "\"%.16s\"", hex);
		}
	}
}

/* The asset named name ("" for the page), borrowed from the static table, or NULL. */
static const struct web_asset *web_find(const char *name)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (strcmp(assets[i].name, name) == 0)
			return &assets[i];
	return NULL;
}

bool web_public(const char *path)
{
	return path[0] == '/' && web_find(path + 1);
}

/* Whether the header lists the token (Accept-Encoding: gzip, If-None-Match: "etag"). */
static bool header_has(const char *header, const char *token)
{
	return header && (strstr(header, token) || strcmp(header, "*") == 0);
}

static void web_headers(struct http_req *req, const char *etag)
{
	http_header_add(req, "ETag", etag);
	http_header_add(req, "Cache-Control", "no-cache");
	http_header_add(req, "Vary", "Accept-Encoding");
	http_header_add(req, "Content-Security-Policy", csp);
	http_header_add(req, "X-Content-Type-Options", "nosniff");
	http_header_add(req, "Referrer-Policy", "no-referrer");
}

int web_get(struct http_req *req)
{
	const char *name = http_param(req, "asset");
	const struct web_asset *a = web_find(name ? name : "");
	bool gz = header_has(http_header(req, "Accept-Encoding"), "gzip");
	int f = gz ? WEB_GZIP : WEB_PLAIN;
	size_t len;
	char *body;

	if (!a)
		return http_fail(req, ERR_NOT_FOUND, NULL,
				 "No page file %s. The playground is at /; the API is under /v1.",
				 name);
	pthread_once(&etags_once, etags_fill);
	web_headers(req, a->etag[f]);
	if (header_has(http_header(req, "If-None-Match"), a->etag[f]))
		return http_reply_bytes(req, 304, NULL, xstrdup(""), 0);
	if (gz)
		http_header_add(req, "Content-Encoding", "gzip");
	len = (size_t)(a->end[f] - a->start[f]);
	body = xmalloc(len + 1);
	memcpy(body, a->start[f], len);
	return http_reply_bytes(req, 200, a->type, body, len);
}
