# page_load.sh - the playground page's first load (issue #9): bytes on the wire, compressed,
# and the time from opening the page to an interactive assistant list, in headless Chromium
# driven by playwright-core (tools/page_load.js), with 20 assistants in the store. Each round
# is a fresh browser context (empty cache). The floor, interleaved: the same browser loading
# one small static file. Goals: under 150 KB, under 300 ms.

: "${BENCH_PAGE_ROUNDS:=10}"
PAGE_KB_GOAL=150
PAGE_MS_GOAL=300

bench_page_load() {
	local dir f bytes p50 p90 fp50 kb

	if ! have_server || [ ! -x /usr/bin/chromium ] ||
		[ ! -d "$ROOT/tests/e2e/node_modules/playwright-core" ]; then
		record "page first load" \
			"not run: needs $ASSISTD_BIN, /usr/bin/chromium and tests/e2e's npm packages" \
			"< 150 KB, < 300 ms" "n/a"
		return 0
	fi
	dir=$(new_data_dir page_load)
	server_start "$dir"
	for i in $(seq 20); do
		curl -sf -o /dev/null -H 'Content-Type: application/json' \
			-d "{\"model\":\"gpt-4o\",\"name\":\"Assistant $i\"}" \
			"http://127.0.0.1:$SRV_PORT/v1/assistants"
	done
	f="$OUT/page_load.json"
	node "$BENCH_DIR/tools/page_load.js" "$SRV_PORT" "$BENCH_PAGE_ROUNDS" >"$f"
	server_stop
	rm -rf "$dir"
	read -r bytes p50 p90 fp50 < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(d["bytes"], d["p50"], d["p90"], d["floor_p50"])' "$f")
	kb=$(calc "$bytes / 1024")
	log "page: $bytes bytes; ready p50 $p50 ms, p90 $p90 ms; one static file: p50 $fp50 ms"
	record "page weight (first load, gzip)" "$(printf '%.1f' "$kb") KB" "< 150 KB" \
		"$(verdict "$kb" '<' "$PAGE_KB_GOAL")"
	record "page open → assistant list" \
		"p50 $(printf '%.0f' "$p50") ms, p90 $(printf '%.0f' "$p90") ms (one static file: p50 $(printf '%.0f' "$fp50") ms)" \
		"< 300 ms" "$(verdict "$p90" '<' "$PAGE_MS_GOAL")"
}
