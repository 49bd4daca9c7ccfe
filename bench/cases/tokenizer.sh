# tokenizer.sh - tokens per second of the built-in tokenizer (benchmark 2 of issue #7).
#
# The text: this repository's docs and C sources, repeated to about 8 MB (English prose,
# Markdown, code). For each encoding, `assistd tokenize --count` counts it as a whole process
# (start, reading stdin, counting), best of BENCH_ROUNDS; tools/tokenizer.js counts the same
# text with gpt-tokenizer in Node in the same run, best of as many rounds after a warm-up
# round. The two counts must agree. Goal: assistd at least 3 times gpt-tokenizer's rate.

TOK_GOAL_RATIO=3
TOK_TEXT_BYTES=$((8 * 1024 * 1024))

tok_text() {
	local f=$1
	: >"$f"
	while [ "$(stat -c %s "$f")" -lt "$TOK_TEXT_BYTES" ]; do
		cat "$ROOT"/README.md "$ROOT"/docs/*.md "$ROOT"/src/*/*.c >>"$f"
	done
}

# tok_assistd FILE ENCODING: prints "TOKENS SECONDS", the best of BENCH_ROUNDS runs.
tok_assistd() {
	local best="" n t0 t1 s
	for _ in $(seq "$BENCH_ROUNDS"); do
		t0=$(date +%s%N)
		n=$("$ASSISTD_BIN" tokenize --count --encoding "$2" <"$1")
		t1=$(date +%s%N)
		s=$(calc "($t1 - $t0) / 1e9")
		if [ -z "$best" ] || awk "BEGIN { exit !($s < $best) }"; then best=$s; fi
	done
	echo "$n $best"
}

tok_one() {
	local file=$1 enc=$2 mine ref n s rn rs rate rrate ratio
	mine=$(tok_assistd "$file" "$enc")
	ref=$(node "$BENCH_DIR/tools/tokenizer.js" "$file" "$enc" "$BENCH_ROUNDS")
	read -r n s <<<"$mine"
	rn=$(echo "$ref" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tokens"])')
	rs=$(echo "$ref" | python3 -c 'import json, sys; print(json.load(sys.stdin)["seconds"])')
	if [ "$n" != "$rn" ]; then
		record "tokenizer $enc" "error: assistd counts $n tokens, gpt-tokenizer $rn" "-" error
		return 1
	fi
	rate=$(calc "$n / $s / 1e6")
	rrate=$(calc "$rn / $rs / 1e6")
	ratio=$(calc "$rate / $rrate")
	log "$enc: $n tokens; assistd $s s, gpt-tokenizer $rs s"
	record "tokenizer $enc" "$(printf '%.1f M tokens/s, gpt-tokenizer %.1f M tokens/s: %.1f×' \
		"$rate" "$rrate" "$ratio")" "≥ ${TOK_GOAL_RATIO}× gpt-tokenizer" \
		"$(verdict "$ratio" '>=' "$TOK_GOAL_RATIO")"
}

bench_tokenizer() {
	local e2e="$ROOT/tests/e2e" file rc=0

	if ! have_server; then
		record "tokenizer" "no binary ($ASSISTD_BIN)" "≥ ${TOK_GOAL_RATIO}× gpt-tokenizer" "n/a"
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
