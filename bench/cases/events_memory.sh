# events_memory.sh - a reply of 300,000 one-character deltas must not cost memory per delta
# (issue 6, item 6).
#
# The fake upstream streams BENCH_EVENTS_CHUNKS chunks of one character each.
# tools/events_memory.js creates one run that nobody streams and waits for it, sampling the
# server's VmRSS every 10 ms. Goal: the run adds under 5 MB (peak over the RSS before it).
# The same run streamed and read to the end is shown beside it. With BENCH_BEFORE_BIN set,
# that build is measured first, as the "before" row.

: "${BENCH_EVENTS_CHUNKS:=300000}"
EVENTS_GOAL_KB=5120

# events_memory_measure LABEL BIN STREAM: one measurement into out/events_memory-LABEL.json.
events_memory_measure() {
	local label=$1 bin=$2 stream=$3 dir saved=$ASSISTD_BIN

	dir=$(new_data_dir "events_memory-$label")
	ASSISTD_BIN=$bin
	engine_server_start "$dir"
	ASSISTD_BIN=$saved
	node "$BENCH_DIR/tools/events_memory.js" "$SRV_PORT" "$SRV_PID" "$stream" \
		>"$OUT/events_memory-$label.json"
	server_stop
	rm -rf "$dir"
}

# events_memory_record LABEL NAME: its row.
events_memory_record() {
	local f="$OUT/events_memory-$1.json" status chars before peak after secs added verdict_

	read -r status chars before peak after secs < <(jget "$f" status reply_chars \
		rss_before_kb rss_peak_kb rss_after_kb seconds | paste -sd' ')
	added=$((peak - before))
	log "$1: run $status, $chars characters in $secs s; RSS $before kB -> peak $peak kB," \
		"$after kB after"
	verdict_=$(verdict "$added" '<' "$EVENTS_GOAL_KB")
	[ "$status" = completed ] && [ "$chars" = "$BENCH_EVENTS_CHUNKS" ] || verdict_=miss
	record "$2" \
		"+$(printf '%.1f' "$(calc "$added / 1024")") MB at the peak, +$(printf '%.1f' "$(calc "($after - $before) / 1024")") MB after ($status, $chars characters, $secs s)" \
		"< +5 MB" "$verdict_"
}

bench_events_memory() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! have_server || ! engine_ready; then
		record "events memory" "not run: ${ENGINE_WHY:-no server ($ASSISTD_BIN)}" "< +5 MB" "n/a"
		return 0
	fi
	fake_start "{\"textRepeat\":[\"x\",$BENCH_EVENTS_CHUNKS],\"chunks\":$BENCH_EVENTS_CHUNKS}"
	if [ -n "${BENCH_BEFORE_BIN:-}" ]; then
		events_memory_measure before "$BENCH_BEFORE_BIN" 0
		events_memory_record before "events memory, before ($(basename "$BENCH_BEFORE_BIN"))"
	fi
	events_memory_measure after "$ASSISTD_BIN" 0
	events_memory_record after "events memory (a run of $BENCH_EVENTS_CHUNKS one-character deltas, not streamed)"
	events_memory_measure streamed "$ASSISTD_BIN" 1
	events_memory_record streamed "events memory (the same run, streamed)"
}
