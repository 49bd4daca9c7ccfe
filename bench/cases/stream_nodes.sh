# stream_nodes.sh - cross-node stream latency (issue 10, benchmark 3): how long a run's event
# takes from the node that drives the run to a stream of it on another node.
#
# The fake upstream streams 50 tokens 20 ms apart, each the CLOCK_MONOTONIC time the fake
# wrote it (tools/fake.js --stamp). assistd on a data directory drives the runs (node A);
# out/follow_bench, started on the same directory, is node B: the store and the engine of a
# second server, streaming each run from the run event log (engine_follow) from its start.
# tools/stream_nodes.js runs BENCH_NODES_RUNS streaming runs one after the other on A, reads
# them as local streams, and hands each run's id to B as soon as it is created. Per token:
# arrival - stamp on B, and on A's local stream as the same-run baseline. Goal: p99 ≤ 20 ms
# on B.

: "${BENCH_NODES_RUNS:=20}"
NODES_GOAL_MS=20

bench_stream_nodes() {
	local dir f step p50 p99 max lp50 lp99 n

	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! have_server || ! engine_ready || [ ! -x "$OUT/follow_bench" ]; then
		record "cross-node stream latency (event on A → stream on B)" \
			"not run: ${ENGINE_WHY:-no server or no out/follow_bench}" "p99 ≤ 20 ms" "n/a"
		return 0
	fi
	dir=$(new_data_dir stream_nodes)
	step=$(python3 -c 'import json; print(json.dumps({"text": " ".join(["@TS@"] * 50), "delayMs": 20}))')
	fake_start "$step" --stamp
	engine_server_start "$dir"
	f="$OUT/stream_nodes.json"
	node "$BENCH_DIR/tools/stream_nodes.js" "$SRV_PORT" "$OUT/follow_bench" "$dir" \
		"$BENCH_NODES_RUNS" 50 >"$f"
	server_stop
	rm -rf "$dir"

	read -r p50 p99 max lp50 lp99 n < <(jget "$f" p50 p99 max local_p50 local_p99 samples |
		paste -sd' ')
	log "event on A -> stream on B: p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99"), max" \
		"$(fmt_ms "$max") over $n tokens; local stream on A: p50 $(fmt_ms "$lp50")," \
		"p99 $(fmt_ms "$lp99")"
	record "cross-node stream latency (event on A → stream on B)" \
		"p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99") (local stream on A, same runs: p50 $(fmt_ms "$lp50"), p99 $(fmt_ms "$lp99"); $n tokens)" \
		"p99 ≤ 20 ms" "$(verdict "$p99" '<=' "$NODES_GOAL_MS")"
}
