# nodes_throughput.sh - durable message creates and run throughput with 1, 2 and 3 nodes on
# one PostgreSQL, next to SQLite (issue #10).
#
# tools/nodes_throughput.js starts N nodes on one store and keeps BENCH_NODES_CLIENTS clients
# (spread over the nodes, as a balancer would) creating messages, then creating a thread and
# run in one call and polling it to completed, BENCH_SECONDS each. The upstream answers "ok"
# at once, so the numbers are the nodes' and the store's cost. On PostgreSQL (a throwaway
# cluster, scripts/pg.sh, fsync off) each N gets a new database. SQLite is measured with the
# same 1, 2 and 3 processes sharing one database file, whose writes are serialised across
# processes: there, more nodes add HTTP and engine threads, not write capacity.

: "${BENCH_NODES_CLIENTS:=32}"

# nodes_row BACKEND [DB_PREFIX]: measures 1, 2 and 3 nodes and records one row per metric.
nodes_row() {
	local backend=$1 prefix=${2:-} dir f n url msgs runs p50 mrow="" rrow=""

	dir=$(new_data_dir "nodes_$backend")
	for n in 1 2 3; do
		url=""
		[ -z "$prefix" ] || url=$(pg_db "${prefix}_$n")
		f="$OUT/nodes_throughput_${backend}_$n.json"
		node "$BENCH_DIR/tools/nodes_throughput.js" "$ASSISTD_BIN" "$FAKE_PORT" "$dir" "$n" \
			"$BENCH_NODES_CLIENTS" "$BENCH_SECONDS" "$OUT/server.log" $url >"$f"
		read -r msgs runs p50 < <(jget "$f" msgs_per_s runs_per_s p50 | paste -sd' ')
		log "$backend, $n node(s): $msgs messages/s, $runs runs/s (p50 $(fmt_ms "$p50"))"
		mrow="$mrow${mrow:+; }$n: $(printf '%.0f' "$msgs")/s"
		rrow="$rrow${rrow:+; }$n: $(printf '%.0f' "$runs")/s (p50 $(fmt_ms "$p50"))"
	done
	rm -rf "$dir"
	record "message creates, 1/2/3 nodes on $backend ($BENCH_NODES_CLIENTS clients)" "$mrow" \
		"(recorded)" "n/a"
	record "run throughput, 1/2/3 nodes on $backend ($BENCH_NODES_CLIENTS clients)" "$rrow" \
		"(recorded)" "n/a"
}

bench_nodes_throughput() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "run throughput, 1/2/3 nodes" "(recorded)" || return 0
	fake_start '{"text":"ok"}'
	nodes_row sqlite
	if pg_start nodes; then
		nodes_row postgresql nodes
	else
		record "run throughput, 1/2/3 nodes on postgresql" \
			"not run: PostgreSQL is not installed" "(recorded)" "n/a"
	fi
}
