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

# The server's sources and the fuzz targets (which may include any of src/).
src=$(find src fuzz -name '*.c' -o -name '*.h')
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
rule "<libpq-fe.h> outside src/store/pg*" '#include <libpq-fe.h>' \
	$(echo "$src" | grep -v '^src/store/pg')
rule "<pcre2.h> outside src/text/gen (the tokenizer's build-time tables)" '#include <pcre2.h>' \
	$(echo "$src" | grep -v '^src/text/gen/')
# The libraries of documents are linked only into the document reader program, assistd-docs.
rule "<poppler.h>, <glib*.h>, <libxml/*> or <zip.h> outside src/docs/reader (assistd-docs)" \
	'#include <(poppler|glib|gio|libxml/|zip\.h)' $(echo "$src" | grep -v '^src/docs/reader/')
# Layering: the folders each folder may include ("../X/..."), as docs/STYLE.md orders them.
# A folder missing from the table fails too: a new one gets its row here.
layers='
base:
json: base
text: base
docs: base
store: base json
limits: base json store
providers: base json text
tools: base json text docs store providers
engine: base json text docs store providers tools limits
http: base
api: base json text docs store tools limits engine http
'
for dir in $(find src -mindepth 1 -maxdepth 1 -type d | sort); do
	if ! echo "$layers" | grep -q "^${dir#src/}:"; then
		echo "lint: $dir has no row in the layer table of scripts/lint.sh"
		fail=1
	fi
done
# Each quoted include is resolved against its file's folder; the folder under src/ it lands in
# must be the file's own or one of its row.
out=$(grep -nH '#include "' $(find src -mindepth 2 -name '*.[ch]') | awk -v layers="$layers" '
BEGIN {
	n = split(layers, rows, "\n")
	for (i = 1; i <= n; i++) {
		if (split(rows[i], kv, ":") < 2)
			continue
		m = split(kv[2], deps, " ")
		for (j = 1; j <= m; j++)
			ok[kv[1], deps[j]] = 1
		allowed[kv[1]] = kv[2]
	}
}
{
	file = $0
	sub(/:.*/, "", file)
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	np = split(file, parts, "/")
	depth = 0
	for (i = 1; i < np; i++)
		stack[++depth] = parts[i]
	ni = split(inc, ip, "/")
	for (i = 1; i <= ni; i++) {
		if (ip[i] == "..")
			depth--
		else if (ip[i] != ".")
			stack[++depth] = ip[i]
	}
	top = depth >= 3 && stack[1] == "src" ? stack[2] : "(outside a src/ folder)"
	if (top != parts[2] && !((parts[2], top) in ok))
		printf "%s  [src/%s may include only:%s]\n", $0, parts[2], allowed[parts[2]]
}')
if [ -n "$out" ]; then
	echo "lint: an include against the layer order (docs/STYLE.md)"
	echo "$out" | sed 's/^/    /'
	fail=1
fi
rule "src/api includes the engine internals or a backend" \
	'#include "\.\./(engine/engine_int|store/sqlite|providers/)' $(echo "$src" | grep '^src/api/')
# src/tools (file_search's index side) sits after store, providers (the embeddings client),
# text and docs, before engine and api.
rule "src/tools includes a later layer (engine, api, http)" \
	'#include "\.\./(engine|api|http)/' $(echo "$src" | grep '^src/tools/')
rule "trailing whitespace" '[[:space:]]+$' $src
[ "$fail" = 0 ] && echo "lint: clean"
exit $fail
