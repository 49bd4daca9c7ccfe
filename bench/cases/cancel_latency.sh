# cancel_latency.sh - how long a cancel takes to stop a streaming model call (run engine,
# issue #3).
#
# The fake upstream streams tokens every 10 ms until the client goes away. For each of
# BENCH_CANCEL_RUNS runs, tools/cancel_latency.js waits until the run is in_progress, lets it
# stream 100 ms, then times POST .../cancel followed by the SDK poll's retrieve
# (X-Stainless-Poll-Helper, which assistd holds until the run changes) until the run reads
# "cancelled". Goal: at most 100 ms.

: "${BENCH_CANCEL_RUNS:=30}"
CANCEL_GOAL_MS=100

bench_cancel_latency() {
	local dir f p50 p99 max post

	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "cancel latency" "≤ 100 ms" || return 0
	dir=$(new_data_dir cancel_latency)
	fake_start '{"endless":true,"delayMs":10}'
	engine_server_start "$dir"
	f="$OUT/cancel_latency.json"
	node "$BENCH_DIR/tools/cancel_latency.js" "$SRV_PORT" "$BENCH_CANCEL_RUNS" 100 >"$f"
	server_stop
	rm -rf "$dir"

	read -r p50 p99 max post < <(jget "$f" p50 p99 max post_p50 | paste -sd' ')
	log "cancel -> cancelled: p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99"), max $(fmt_ms "$max")"
	record "cancel latency (mid-stream → cancelled)" \
		"p50 $(fmt_ms "$p50"), max $(fmt_ms "$max") over $BENCH_CANCEL_RUNS (the cancel call alone: p50 $(fmt_ms "$post"))" \
		"≤ 100 ms" "$(verdict "$max" '<=' "$CANCEL_GOAL_MS")"
}
