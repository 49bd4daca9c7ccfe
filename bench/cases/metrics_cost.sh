# metrics_cost.sh - what counting for /metrics costs on the read path (issue 10, benchmark 4).
#
# GET one message on this build beside BENCH_BEFORE_BIN, a build without the metrics (say,
# the commit before them), each serving a copy of the same data directory, alternating for
# BENCH_ROUNDS rounds with the same wrk settings; each keeps its best round. The goal is
# relative, so it holds on any machine: this build keeps >= 0.97 of the other's requests/s.
# Without BENCH_BEFORE_BIN there is nothing to compare with, and the row says so.

METRICS_GOAL=0.97

bench_metrics_cost() {
	local dir before_dir tid mid path now_port now_pid old_port old_pid r
	local -A rate

	if ! have_server || [ -z "${BENCH_BEFORE_BIN:-}" ]; then
		record "/metrics cost: GET message" "needs ASSISTD_BIN and BENCH_BEFORE_BIN" \
			"≥ $METRICS_GOAL × before" "n/a"
		return 0
	fi
	dir=$(new_data_dir metrics_cost)
	server_start "$dir"
	read_thread
	server_stop
	before_dir=$(new_data_dir metrics_cost_before)
	cp -a "$dir/." "$before_dir/"
	path="/v1/threads/$tid/messages/$mid"
	server_start "$dir"
	now_port=$SRV_PORT
	now_pid=$SRV_PID
	ASSISTD_BIN=$BENCH_BEFORE_BIN server_start "$before_dir"
	old_port=$SRV_PORT
	old_pid=$SRV_PID
	for r in $(seq "$BENCH_ROUNDS"); do
		metrics_best now "$r" "http://127.0.0.1:$now_port$path" "$now_pid"
		metrics_best before "$r" "http://127.0.0.1:$old_port$path" "$old_pid"
	done
	metrics_row
}

# metrics_best NAME ROUND URL PID: keeps the highest rate in rate[NAME].
metrics_best() {
	local out r
	out=$(wrk_get "metrics-$1-$2" "$3" "$4")
	r=${out%% *}
	rate[$1]=$(awk "BEGIN { a = ${rate[$1]:-0}; print ($r > a) ? $r : a }")
}

metrics_row() {
	local ratio
	ratio=$(calc "${rate[now]} / ${rate[before]}")
	record "/metrics cost: GET message" \
		"$(fmt_int "${rate[now]}") req/s vs $(fmt_int "${rate[before]}") before = $(printf '%.3f' "$ratio") ×" \
		"≥ $METRICS_GOAL × before" "$(verdict "$ratio" '>=' "$METRICS_GOAL")"
}
