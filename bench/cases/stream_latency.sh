# stream_latency.sh - the delay from a model's token to the client's thread.message.delta
# (run engine, issue #3).
#
# The fake upstream streams 50 tokens 20 ms apart, each token being the CLOCK_MONOTONIC time
# the fake wrote it (tools/fake.js --stamp). tools/stream_latency.js runs BENCH_LATENCY_RUNS
# streaming runs one after another, reading the SSE with a bare HTTP client, and takes
# arrival - stamp for every token. The same tokens read straight from the fake, interleaved,
# give the floor of the measurement (the fake's write and this client's own wake-up), which
# the number through assistd includes too. Goal: at most 1 ms added at p99 (through assistd
# minus that floor, p99 against p99).

: "${BENCH_LATENCY_RUNS:=20}"
LATENCY_GOAL_MS=1

bench_stream_latency() {
	local dir f step p50 p99 max fp50 fp99 n added

	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "stream latency (token → delta)" "≤ 1 ms added at p99" || return 0
	dir=$(new_data_dir stream_latency)
	step=$(python3 -c 'import json; print(json.dumps({"text": " ".join(["@TS@"] * 50), "delayMs": 20}))')
	fake_start "$step" --stamp
	engine_server_start "$dir"
	f="$OUT/stream_latency.json"
	node "$BENCH_DIR/tools/stream_latency.js" "$SRV_PORT" "$FAKE_PORT" "$BENCH_LATENCY_RUNS" 50 >"$f"
	server_stop
	rm -rf "$dir"

	read -r p50 p99 max fp50 fp99 n < <(jget "$f" p50 p99 max floor_p50 floor_p99 samples |
		paste -sd' ')
	added=$(calc "$p99 - $fp99")
	log "token -> delta: p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99"), max $(fmt_ms "$max")" \
		"over $n tokens; straight from the fake: p50 $(fmt_ms "$fp50"), p99 $(fmt_ms "$fp99")"
	record "stream latency (token → delta)" \
		"p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99") (fake → client directly: p50 $(fmt_ms "$fp50"), p99 $(fmt_ms "$fp99"); $n tokens)" \
		"≤ 1 ms added at p99" "$(verdict "$added" '<=' "$LATENCY_GOAL_MS")"
}
