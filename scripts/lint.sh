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
# Layering: the folders each folder may include ("../X/..."), as docs/STYLE.md orders them.
# A folder missing from the table fails too: a new one gets its row here.
layers='
base:
json: base
text: base
docs: base
store: base json
providers: base json text
tools: base json text docs store providers
engine: base json text docs store providers tools
http: base
api: base json text docs store tools engine http
'
for dir in $(find src -mindepth 1 -maxdepth 1 -type d | sort); do
	name=${dir#src/}
	row=$(echo "$layers" | grep "^$name:")
	if [ -z "$row" ]; then
		echo "lint: $dir has no row in the layer table of scripts/lint.sh"
		fail=1
		continue
	fi
	deps=$(echo "${row#*:}" | sed -E 's/^ +//')
	allowed=$(echo "$deps" | sed -E 's/ +/|/g')
	out=$(grep -nE '#include "\.\./' $(find "$dir" -name '*.c' -o -name '*.h') |
		grep -vE "#include \"\.\./(${allowed:-none})/")
	if [ -n "$out" ]; then
		echo "lint: $dir may include only: ${deps:-nothing outside itself}"
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done
rule "src/api includes the engine internals or a backend" \
	'#include "\.\./(engine/engine_int|store/sqlite|providers/)' $(echo "$src" | grep '^src/api/')
rule "trailing whitespace" '[[:space:]]+$' $src
[ "$fail" = 0 ] && echo "lint: clean"
exit $fail
