# events_memory.sh - memory a run's events cost when nobody reads them (issue 6, item 6).
#
# The fake upstream answers with a reply of BENCH_EVENTS_CHARS characters (default 300,000)
# sent as one-character chunks. tools/events_memory.js runs it once with createAndPoll, not
# streamed, and reports the server's peak RSS (VmHWM) after the run minus its RSS before.
# Goal: under 5 MB. With BENCH_BEFORE_BIN set to another server binary (main's, say), the
# same run on it is recorded too, as the baseline of this run (each_build).

: "${BENCH_EVENTS_CHARS:=300000}"
EVENTS_GOAL_KB=5120

# events_memory_once BIN LABEL: one run against the server binary BIN; records a row.
events_memory_once() {
	local bin=$1 label=$2 dir f before after added ms status

	dir=$(new_data_dir events_memory)
	ASSISTD_BIN=$bin engine_server_start "$dir"
	f="$OUT/events_memory.json"
	node "$BENCH_DIR/tools/events_memory.js" "$SRV_PORT" "$SRV_PID" "$BENCH_EVENTS_CHARS" >"$f"
	server_stop
	rm -rf "$dir"
	read -r before after added ms < <(jget "$f" rss_before_kb rss_after_kb added_kb run_ms |
		paste -sd' ')
	log "$label: RSS $before kB before, $after kB after, peak +$added kB; run $ms ms"
	status=$(verdict "$added" '<' "$EVENTS_GOAL_KB")
	[ "$label" = "this build" ] || status=-
	record "events memory, $label ($(fmt_int "$BENCH_EVENTS_CHARS") 1-char chunks, not streamed)" \
		"+$(printf '%.1f' "$(calc "$added / 1024")") MB peak RSS ($before → $after kB after; run $(fmt_int "$ms") ms)" \
		"< 5 MB" "$status"
}

bench_events_memory() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! sdk_ready; then
		record "events memory" "not run: $ENGINE_WHY" "< 5 MB" "n/a"
		return 0
	fi
	fake_start "{\"repeat\":\"lorem ipsum dolor sit amet \",\"length\":$BENCH_EVENTS_CHARS,\"chunks\":$BENCH_EVENTS_CHARS}"
	each_build "events memory" "< 5 MB" events_memory_once
}
