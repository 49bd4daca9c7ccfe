# failover.sh - from kill -9 of the node driving a run to the run streaming again on another
# node (issue #10).
#
# Two nodes share one store: one SQLite data directory, then a throwaway PostgreSQL cluster
# (scripts/pg.sh; a new database per round). For each of BENCH_FAILOVER_ROUNDS rounds, tools/failover.js starts both, creates a run on the first and
# waits until it is writing its reply, kills that node with SIGKILL and reads the second
# node's messages every 5 ms until the run's new reply appears (its lease lapsed, the other
# node claimed it, deleted the cut reply and started the turn again). Goal: the lease time
# (--lease-ms, BENCH_FAILOVER_LEASE_MS) plus 1 s.

: "${BENCH_FAILOVER_ROUNDS:=5}"
: "${BENCH_FAILOVER_LEASE_MS:=10000}"

# failover_row BACKEND [DB]: measures and records one row.
failover_row() {
	local backend=$1 url=${2:-} dir f p50 max goal=$((BENCH_FAILOVER_LEASE_MS + 1000))

	dir=$(new_data_dir "failover_$backend")
	f="$OUT/failover_$backend.json"
	node "$BENCH_DIR/tools/failover.js" "$ASSISTD_BIN" "$FAKE_PORT" "$dir" \
		"$BENCH_FAILOVER_LEASE_MS" "$BENCH_FAILOVER_ROUNDS" "$OUT/server.log" $url >"$f"
	rm -rf "$dir"
	read -r p50 max < <(jget "$f" p50 max | paste -sd' ')
	log "failover on $backend, ${BENCH_FAILOVER_LEASE_MS} ms leases: p50 $(fmt_ms "$p50"), max $(fmt_ms "$max")"
	record "failover on $backend (kill -9 → streaming on another node, lease ${BENCH_FAILOVER_LEASE_MS} ms)" \
		"p50 $(fmt_ms "$p50"), max $(fmt_ms "$max") over $BENCH_FAILOVER_ROUNDS rounds" \
		"≤ $(fmt_ms "$goal")" "$(verdict "$max" '<=' "$goal")"
}

bench_failover() {
	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "failover (kill -9 → streaming on another node)" "≤ lease + 1 s" || return 0
	fake_start '{"repeat":"once upon a time ","length":4000,"chunks":400,"delayMs":25}'
	failover_row sqlite
	if pg_start failover; then
		failover_row postgresql "$(pg_db failover)"
	fi
}
