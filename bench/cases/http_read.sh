# http_read.sh - reads against the libmicrohttpd baseline (benchmark 2 of issue #2).
#
# Measures, in one run and with the same wrk settings: the baseline program (out/baseline),
# GET one message, and GET a page of 20 messages. The goals are relative to the baseline, so
# they hold on any machine: a retrieve keeps >= 0.8 of the baseline's requests/s, a list of
# 20 >= 0.5. The three alternate for BENCH_ROUNDS rounds and each keeps its best run, so a
# burst of other work on the machine lowers one run, not the ratio.

RETRIEVE_GOAL=0.8
LIST_GOAL=0.5

# best NAME ROUND URL PID: runs wrk_get; keeps the highest rate in best_rate[NAME] and the
# lowest CPU time per request in best_cpu[NAME].
declare -A best_rate best_cpu
best() {
	local out rate cpu
	out=$(wrk_get "$1-$2" "$3" "$4")
	read -r rate cpu <<<"$out"
	best_rate[$1]=$(awk "BEGIN { a = ${best_rate[$1]:-0}; print ($rate > a) ? $rate : a }")
	best_cpu[$1]=$(awk "BEGIN { a = ${best_cpu[$1]:-1e9}; print ($cpu < a) ? $cpu : a }")
}

# read_row LABEL NAME GOAL: records one assistd row with its ratio to the baseline.
read_row() {
	local ratio res
	ratio=$(calc "${best_rate[$2]} / ${best_rate[baseline]}")
	res="$(fmt_int "${best_rate[$2]}") req/s = $(printf '%.2f' "$ratio") × baseline"
	res+="; $(printf '%.1f' "${best_cpu[$2]}") µs CPU/req"
	res+=" = $(printf '%.2f' "$(calc "${best_cpu[$2]} / ${best_cpu[baseline]}")") × baseline's"
	record "$1" "$res" "≥ $3 × baseline" "$(verdict "$ratio" '>=' "$3")"
}

bench_http_read() {
	local dir tid mid r url_base url_get url_list res

	baseline_start
	url_base="http://127.0.0.1:$BASE_PORT/v1/threads/thread_x/messages/msg_x"
	if ! have_server; then
		best baseline 1 "$url_base" "$BASE_PID"
		record "baseline: libmicrohttpd, canned reply" \
			"$(fmt_int "${best_rate[baseline]}") req/s" "-" "-"
		record "GET message" "no server ($ASSISTD_BIN)" "≥ $RETRIEVE_GOAL × baseline" "n/a"
		record "GET 20 messages" "no server" "≥ $LIST_GOAL × baseline" "n/a"
		return 0
	fi
	dir=$(new_data_dir http_read)
	server_start "$dir"
	tid=$(api threads 1)
	mid=$(api messages "$tid" 20)
	mid=${mid%%$'\n'*}
	url_get="http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages/$mid"
	url_list="http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages?limit=20"
	# The list must really hold 20 messages, or we would measure a shorter reply.
	[ "$(curl -s "${BENCH_HEADERS[@]}" "$url_list" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')" = 20 ]

	for r in $(seq "$BENCH_ROUNDS"); do
		best baseline "$r" "$url_base" "$BASE_PID"
		best retrieve "$r" "$url_get" "$SRV_PID"
		best list "$r" "$url_list" "$SRV_PID"
	done
	server_stop
	baseline_stop
	rm -rf "$dir"

	res="$(fmt_int "${best_rate[baseline]}") req/s"
	res+="; $(printf '%.1f' "${best_cpu[baseline]}") µs CPU/req"
	record "baseline: libmicrohttpd, canned reply" "$res" "-" "-"
	read_row "GET message" retrieve "$RETRIEVE_GOAL"
	read_row "GET 20 messages" list "$LIST_GOAL"
}
