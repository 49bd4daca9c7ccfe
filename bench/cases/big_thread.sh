# big_thread.sh - a run on a 20,000-message thread must not stall runs elsewhere (issue 6,
# item 7).
#
# tools/big_thread.js fills a thread of project "big" with BENCH_BIG_MESSAGES messages of
# about 1 kB, then times small streamed runs of project "small": alone, and each started
# together with a run on the big thread (the fake upstream answers every completion at once
# with "ok"). Goal: the median small run while a big run starts is within 20 ms of the
# median alone, and the server's RSS (sampled every 10 ms) stays under 40 MB. With
# BENCH_BEFORE_BIN set (say, main's build/assistd), the same is measured on it in the same
# run, as the baseline row.

: "${BENCH_BIG_MESSAGES:=20000}"
: "${BENCH_BIG_ROUNDS:=10}"
BIG_DELTA_GOAL_MS=20
BIG_RSS_GOAL_KB=40960
BIG_GOAL="≤ +20 ms, RSS < 40 MB"

# big_thread_measure BIN LABEL: one server, its numbers in out/big_thread-N.json, one row.
big_thread_measure() {
	local bin=$1 label=$2 dir key_big key_small f=$OUT/big_thread-before.json
	local alone d50 dmax peak end big status

	[ "$bin" != "$ASSISTD_BIN" ] || f=$OUT/big_thread-after.json
	dir=$(new_data_dir big_thread)
	key_big=$("$bin" keys create --project big --data "$dir" 2>/dev/null)
	key_small=$("$bin" keys create --project small --data "$dir" 2>/dev/null)
	ASSISTD_BIN=$bin engine_server_start "$dir"
	node "$BENCH_DIR/tools/big_thread.js" "$SRV_PORT" "$SRV_PID" "$key_big" "$key_small" \
		"$BENCH_BIG_MESSAGES" "$BENCH_BIG_ROUNDS" >"$f"
	server_stop
	rm -rf "$dir"
	read -r alone d50 dmax peak end big < <(jget "$f" alone_p50 delta_p50 delta_max \
		rss_peak_kb rss_end_kb big_run_p50 | paste -sd' ')
	log "$label: small run alone $(fmt_ms "$alone"); +$(fmt_ms "$d50") median," \
		"+$(fmt_ms "$dmax") worst while a big run starts (big run $(fmt_ms "$big"));" \
		"RSS peak $peak kB, end $end kB"
	status=$(verdict "$d50" '<=' "$BIG_DELTA_GOAL_MS")
	[ "$(verdict "$peak" '<' "$BIG_RSS_GOAL_KB")" = pass ] || status=miss
	record "big-thread isolation ($label)" \
		"+$(fmt_ms "$d50") median, +$(fmt_ms "$dmax") worst (alone $(fmt_ms "$alone")); RSS peak $(printf '%.1f' "$(calc "$peak / 1024")") MB, $(printf '%.1f' "$(calc "$end / 1024")") MB after" \
		"$BIG_GOAL" "$status"
}

bench_big_thread() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! engine_ready; then
		record "big-thread isolation" "not run: $ENGINE_WHY" "$BIG_GOAL" "n/a"
		return 0
	fi
	have_server && fake_start '{"text":"ok"}'
	each_build "big-thread isolation" "$BIG_GOAL" big_thread_measure
}
