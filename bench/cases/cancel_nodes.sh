# cancel_nodes.sh - cancel latency across nodes (issue 10): how long a cancel sent to node B
# takes to stop a streaming model call that node A drives.
#
# As cancel_latency, with two servers on one data directory (or on ASSISTD_DATABASE_URL):
# tools/cancel_latency.js creates each run on A and, once it has streamed 100 ms, sends
# POST .../cancel and the poll-helper retrieves after it to B. B posts a command row for A;
# A is woken by the command's change notification, cancels, and answers through the store;
# B is woken by the answer's. BENCH_CANCEL_RUNS runs. Goal: as on one node, at most 100 ms.

bench_cancel_nodes() {
	local dir f p50 p99 max post a_pid a_port

	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "cancel latency across nodes" "≤ 100 ms" || return 0
	dir=$(new_data_dir cancel_nodes)
	fake_start '{"endless":true,"delayMs":10}'
	engine_server_start "$dir" --node-id bench-a
	a_pid=$SRV_PID
	a_port=$SRV_PORT
	engine_server_start "$dir" --node-id bench-b
	f="$OUT/cancel_nodes.json"
	node "$BENCH_DIR/tools/cancel_latency.js" "$a_port" "${BENCH_CANCEL_RUNS:-30}" 100 \
		"$SRV_PORT" >"$f"
	server_stop
	stop_pid "$a_pid"
	rm -rf "$dir"

	read -r p50 p99 max post < <(jget "$f" p50 p99 max post_p50 | paste -sd' ')
	log "cancel on B -> cancelled (run on A): p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99")," \
		"max $(fmt_ms "$max")"
	record "cancel latency across nodes (cancel on B, run on A → cancelled)" \
		"p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99"), max $(fmt_ms "$max") over ${BENCH_CANCEL_RUNS:-30} (the cancel call alone: p50 $(fmt_ms "$post"))" \
		"≤ 100 ms" "$(verdict "$max" '<=' 100)"
}
