# failover.sh - from kill -9 of the node driving a run to the run streaming again on another
# node (issue #10).
#
# Two nodes share one data directory (SQLite; PostgreSQL once its backend is in). For each of
# BENCH_FAILOVER_ROUNDS rounds, tools/failover.js starts both, creates a run on the first and
# waits until it is writing its reply, kills that node with SIGKILL and reads the second
# node's messages every 5 ms until the run's new reply appears (its lease lapsed, the other
# node claimed it, deleted the cut reply and started the turn again). Goal: the lease time
# (--lease-ms, BENCH_FAILOVER_LEASE_MS) plus 1 s.

: "${BENCH_FAILOVER_ROUNDS:=5}"
: "${BENCH_FAILOVER_LEASE_MS:=10000}"

bench_failover() {
	local dir f p50 max goal

	. "$BENCH_DIR/tools/engine_lib.sh"
	goal=$((BENCH_FAILOVER_LEASE_MS + 1000))
	if ! have_server || ! engine_ready; then
		record "failover (kill -9 → streaming on another node)" \
			"not run: ${ENGINE_WHY:-no server ($ASSISTD_BIN)}" "≤ lease + 1 s" "n/a"
		return 0
	fi
	dir=$(new_data_dir failover)
	fake_start '{"repeat":"once upon a time ","length":4000,"chunks":400,"delayMs":25}'
	f="$OUT/failover.json"
	node "$BENCH_DIR/tools/failover.js" "$ASSISTD_BIN" "$FAKE_PORT" "$dir" \
		"$BENCH_FAILOVER_LEASE_MS" "$BENCH_FAILOVER_ROUNDS" "$OUT/server.log" >"$f"
	rm -rf "$dir"

	read -r p50 max < <(jget "$f" p50 max | paste -sd' ')
	log "failover with ${BENCH_FAILOVER_LEASE_MS} ms leases: p50 $(fmt_ms "$p50"), max $(fmt_ms "$max")"
	record "failover (kill -9 → streaming on another node, lease ${BENCH_FAILOVER_LEASE_MS} ms)" \
		"p50 $(fmt_ms "$p50"), max $(fmt_ms "$max") over $BENCH_FAILOVER_ROUNDS rounds" \
		"≤ $(fmt_ms "$goal")" "$(verdict "$max" '<=' "$goal")"
}
