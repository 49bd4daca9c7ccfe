# events_memory.sh - a reply of 300,000 one-character deltas must not cost memory per delta
# (issue 6, item 6).
#
# The fake upstream streams BENCH_EVENTS_CHUNKS chunks of one character each.
# tools/events_memory.js creates one run that nobody streams and waits for it, sampling the
# server's VmRSS every 10 ms. Goal: the run adds under 5 MB (peak over the RSS before it).
# The same run streamed and read to the end is shown beside it. With BENCH_BEFORE_BIN set
# (say, main's build/assistd), the run nobody streams is measured on it too, in the same run,
# as the baseline row.

: "${BENCH_EVENTS_CHUNKS:=300000}"
EVENTS_GOAL_KB=5120

# events_memory_one BIN LABEL STREAM: one server, one run, one row.
events_memory_one() {
	local bin=$1 label=$2 stream=$3 dir f status chars before peak after secs added v
	local which=before how=""

	[ "$bin" != "$ASSISTD_BIN" ] || which=after
	[ "$stream" != 1 ] || how=", streamed"
	dir=$(new_data_dir events_memory)
	f="$OUT/events_memory-$which${how:+-streamed}.json"
	ASSISTD_BIN=$bin engine_server_start "$dir"
	node "$BENCH_DIR/tools/events_memory.js" "$SRV_PORT" "$SRV_PID" "$stream" >"$f"
	server_stop
	rm -rf "$dir"
	read -r status chars before peak after secs < <(jget "$f" status reply_chars \
		rss_before_kb rss_peak_kb rss_after_kb seconds | paste -sd' ')
	added=$((peak - before))
	log "$label: run $status, $chars characters in $secs s; RSS $before kB -> peak $peak kB," \
		"$after kB after"
	v=$(verdict "$added" '<' "$EVENTS_GOAL_KB")
	[ "$status" = completed ] && [ "$chars" = "$BENCH_EVENTS_CHUNKS" ] || v=miss
	record "events memory ($label$how)" \
		"+$(printf '%.1f' "$(calc "$added / 1024")") MB at the peak, +$(printf '%.1f' "$(calc "($after - $before) / 1024")") MB after ($status, $chars characters, $secs s)" \
		"< +5 MB" "$v"
}

# events_memory_measure BIN LABEL: the run nobody streams; on this build, the streamed one too.
events_memory_measure() {
	events_memory_one "$1" "$2" 0
	[ "$1" != "$ASSISTD_BIN" ] || events_memory_one "$1" "$2" 1
}

bench_events_memory() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! engine_ready; then
		record "events memory" "not run: $ENGINE_WHY" "< +5 MB" "n/a"
		return 0
	fi
	have_server && fake_start "{\"textRepeat\":[\"x\",$BENCH_EVENTS_CHUNKS],\"chunks\":$BENCH_EVENTS_CHUNKS}"
	each_build "events memory" "< +5 MB" events_memory_measure
}
