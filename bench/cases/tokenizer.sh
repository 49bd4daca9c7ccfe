# tokenizer.sh - tokens per second of the built-in tokenizer (benchmark 2 of issue #7).
#
# The text: this repository's docs and C sources, repeated to about 8 MB (English prose,
# Markdown, code). For each encoding, `assistd tokenize --count` counts it as a whole process
# (start, reading stdin, counting); tools/tokenizer.js counts the same text with gpt-tokenizer
# in Node (countTokens, after an untimed warm-up round). The two alternate BENCH_ROUNDS times
# and each keeps its best; the counts must agree. Goal: assistd at least 3 times
# gpt-tokenizer's rate.

TOK_GOAL_RATIO=3
TOK_TEXT_BYTES=$((8 * 1024 * 1024))

tok_text() {
	local f=$1
	: >"$f"
	while [ "$(stat -c %s "$f")" -lt "$TOK_TEXT_BYTES" ]; do
		cat "$ROOT"/README.md "$ROOT"/docs/*.md "$ROOT"/src/*/*.c >>"$f"
	done
}

# tok_assistd FILE ENCODING: prints "TOKENS SECONDS" of one run of the whole process.
tok_assistd() {
	local n t0 t1
	t0=$(date +%s%N)
	n=$("$ASSISTD_BIN" tokenize --count --encoding "$2" <"$1")
	t1=$(date +%s%N)
	echo "$n $(calc "($t1 - $t0) / 1e9")"
}

# tok_node FILE ENCODING: prints "TOKENS SECONDS" of gpt-tokenizer's timed round.
tok_node() {
	node "$BENCH_DIR/tools/tokenizer.js" "$1" "$2" 1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["tokens"], r["seconds"])'
}

# min A B
tok_min() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'
}

# The two sides alternate, BENCH_ROUNDS times, so that a change in the machine's load
# falls on both; each keeps its best round.
tok_one() {
	local file=$1 enc=$2 n s rn rs best="" rbest="" rate rrate ratio
	for _ in $(seq "$BENCH_ROUNDS"); do
		read -r n s <<<"$(tok_assistd "$file" "$enc")"
		read -r rn rs <<<"$(tok_node "$file" "$enc")"
		best=$(tok_min "$s" "$best")
		rbest=$(tok_min "$rs" "$rbest")
	done
	if [ "$n" != "$rn" ]; then
		record "tokenizer $enc" "error: assistd counts $n tokens, gpt-tokenizer $rn" \
			"-" error
		return 1
	fi
	rate=$(calc "$n / $best / 1e6")
	rrate=$(calc "$rn / $rbest / 1e6")
	ratio=$(calc "$rate / $rrate")
	log "$enc: $n tokens; assistd $best s, gpt-tokenizer $rbest s (best of $BENCH_ROUNDS)"
	record "tokenizer $enc" "$(printf '%.1f M tokens/s, gpt-tokenizer %.1f M tokens/s: %.1f×' \
		"$rate" "$rrate" "$ratio")" "≥ ${TOK_GOAL_RATIO}× gpt-tokenizer" \
		"$(verdict "$ratio" '>=' "$TOK_GOAL_RATIO")"
}

bench_tokenizer() {
	local e2e="$ROOT/tests/e2e" file rc=0

	if ! have_server; then
		record "tokenizer" "no binary ($ASSISTD_BIN)" \
			"≥ ${TOK_GOAL_RATIO}× gpt-tokenizer" "n/a"
		return 0
	fi
	if [ ! -d "$e2e/node_modules/gpt-tokenizer" ]; then
		log "installing the test packages: npm ci in tests/e2e"
		(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error) >&2
	fi
	file="$OUT/tokenizer.txt"
	tok_text "$file"
	tok_one "$file" o200k_base || rc=1
	tok_one "$file" cl100k_base || rc=1
	rm -f "$file"
	return $rc
}
