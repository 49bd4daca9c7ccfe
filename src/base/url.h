/* url.h - the parts of a URL that must not be shown: its userinfo ("user:password@").
 *
 * For logging a configured URL without its credentials, and for knowing which credentials to
 * keep out of text a client sees. Only "scheme://[userinfo@]host..." is understood; anything
 * else has no userinfo. */
#ifndef ASSISTD_URL_H
#define ASSISTD_URL_H

/* url without its userinfo. Owned (free with free()). */
char *url_public(const char *url);
/* The userinfo of url ("user:password"), or NULL when it has none. Owned (free with free()). */
char *url_userinfo(const char *url);
/* The password of url's userinfo, or NULL when it has none. Owned (free with free()). */
char *url_password(const char *url);

#endif
