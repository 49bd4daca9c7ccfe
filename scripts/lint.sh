#!/bin/sh
# lint.sh - the checks a compiler does not make: banned functions, layer rules, whitespace.
#
# Each rule prints the offending lines; the script fails if any rule matched.
set -u
cd "$(dirname "$0")/.."
fail=0

rule() { # rule "why" grep-args...
	why=$1
	shift
	out=$(grep -nE "$@" 2>/dev/null)
	if [ -n "$out" ]; then
		echo "lint: $why"
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
}

src=$(find src -name '*.c' -o -name '*.h')
# Unbounded or unsafe string and number functions.
rule "banned function (use snprintf, buf_*, strtol)" \
	'\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok|system)\s*\(' $src
# Raw allocation outside base/alloc.c and the library wrappers that must free foreign memory.
rule "raw malloc/calloc/realloc outside src/base/alloc.c (use xmalloc & co)" \
	'(^|[^x_a-z])(malloc|calloc|realloc)\s*\(' $(echo "$src" | grep -v 'src/base/alloc.c')
# Layering: each library is used by one folder only.
rule "<jansson.h> outside src/json" '#include <jansson.h>' $(echo "$src" | grep -v '^src/json/')
rule "<microhttpd.h> outside src/http" '#include <microhttpd.h>' $(echo "$src" | grep -v '^src/http/')
rule "<curl/curl.h> outside src/providers/httpc.c" '#include <curl/curl.h>' \
	$(echo "$src" | grep -v '^src/providers/httpc.c')
rule "<sqlite3.h> outside src/store/sqlite*" '#include <sqlite3.h>' \
	$(echo "$src" | grep -v '^src/store/sqlite')
rule "<poppler.h>, <glib*.h>, <zip.h> or <libxml/*> outside src/docs" \
	'#include <(poppler|glib|gio|zip\.h|libxml/)' $(echo "$src" | grep -v '^src/docs/')
# src/docs sits on src/base alone: any "../x/" other than "../base/" is refused.
rule "src/docs includes a folder other than src/base" \
	'#include "\.\./([^b]|b[^a]|ba[^s]|bas[^e]|base[^/])' $(echo "$src" | grep '^src/docs/')
rule "src/api includes the engine internals or a backend" \
	'#include "\.\./(engine/engine_int|store/sqlite|providers/)' $(echo "$src" | grep '^src/api/')
# src/tools (file_search's index side) sits after store, providers (the embeddings client),
# text and docs, before engine and api.
rule "src/tools includes a later layer (engine, api, http)" \
	'#include "\.\./(engine|api|http)/' $(echo "$src" | grep '^src/tools/')
rule "trailing whitespace" '[[:space:]]+$' $src
[ "$fail" = 0 ] && echo "lint: clean"
exit $fail
