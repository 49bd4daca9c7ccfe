# nodes_throughput.sh - run throughput with 1, 2 and 3 nodes on one store (issue #10).
#
# tools/nodes_throughput.js starts N nodes on one data directory and keeps
# BENCH_NODES_CLIENTS clients (spread over the nodes) creating a thread and run in one call
# and polling it to completed, for BENCH_SECONDS. The upstream answers "ok" at once, so the
# numbers are the nodes' and the store's cost. On SQLite the nodes share one database file,
# whose writes are serialised across processes: more nodes add HTTP and engine threads, not
# write capacity. The same case runs on PostgreSQL once its backend is in.

: "${BENCH_NODES_CLIENTS:=32}"

bench_nodes_throughput() {
	local dir f n per p50 p99 row=""

	. "$BENCH_DIR/tools/engine_lib.sh"
	if ! have_server || ! engine_ready; then
		record "run throughput, 1/2/3 nodes (SQLite)" \
			"not run: ${ENGINE_WHY:-no server ($ASSISTD_BIN)}" "(recorded)" "n/a"
		return 0
	fi
	dir=$(new_data_dir nodes_throughput)
	fake_start '{"text":"ok"}'
	for n in 1 2 3; do
		f="$OUT/nodes_throughput_$n.json"
		node "$BENCH_DIR/tools/nodes_throughput.js" "$ASSISTD_BIN" "$FAKE_PORT" "$dir" "$n" \
			"$BENCH_NODES_CLIENTS" "$BENCH_SECONDS" "$OUT/server.log" >"$f"
		read -r per p50 p99 < <(jget "$f" per_s p50 p99 | paste -sd' ')
		log "$n node(s): $per runs/s, p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99")"
		row="$row${row:+; }$n: $(printf '%.0f' "$per")/s (p50 $(fmt_ms "$p50"))"
	done
	rm -rf "$dir"
	record "run throughput, 1/2/3 nodes on one SQLite store ($BENCH_NODES_CLIENTS clients)" \
		"$row" "(recorded)" "n/a"
}
