# http_read.sh - reads against the libmicrohttpd baseline (benchmark 2 of issue #2).
#
# Measures, in one run and with the same wrk settings: GET one message and GET a page of 20
# messages, each beside the baseline program (out/baseline) serving the very bytes that
# endpoint returns (captured from the server first), as the issue asks. The goals are
# relative to the baseline, so they hold on any machine: a retrieve keeps >= 0.8 of its
# baseline's requests/s, a list of 20 >= 0.5. The four alternate for BENCH_ROUNDS rounds and
# each keeps its best run, so a burst of other work on the machine lowers one run, not the
# ratio.

RETRIEVE_GOAL=0.8
LIST_GOAL=0.5

# read_row LABEL NAME BASELINE GOAL: records one assistd row with its ratio to its baseline.
read_row() {
	local ratio res base=$3
	ratio=$(calc "${best_rate[$2]} / ${best_rate[$base]}")
	res="$(fmt_int "${best_rate[$2]}") req/s = $(printf '%.2f' "$ratio") × baseline"
	res+="; $(printf '%.1f' "${best_cpu[$2]}") µs CPU/req"
	res+=" = $(printf '%.2f' "$(calc "${best_cpu[$2]} / ${best_cpu[$base]}")") × baseline's"
	record "$1" "$res" "≥ $4 × baseline" "$(verdict "$ratio" '>=' "$4")"
}

# base_row LABEL NAME: records a baseline's own row.
base_row() {
	local res
	res="$(fmt_int "${best_rate[$2]}") req/s"
	res+="; $(printf '%.1f' "${best_cpu[$2]}") µs CPU/req"
	record "$1" "$res" "-" "-"
}

bench_http_read() {
	local dir tid mid r url_get url_list get_port get_pid list_port list_pid

	if ! have_server; then
		record "GET message" "no server ($ASSISTD_BIN)" "≥ $RETRIEVE_GOAL × baseline" "n/a"
		record "GET 20 messages" "no server" "≥ $LIST_GOAL × baseline" "n/a"
		return 0
	fi
	dir=$(new_data_dir http_read)
	server_start "$dir"
	read_thread
	url_get="http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages/$mid"
	url_list="http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages?limit=20"
	# The bytes each baseline serves: the server's own replies.
	curl -s "${BENCH_HEADERS[@]}" "$url_get" >"$OUT/body-get.json"
	curl -s "${BENCH_HEADERS[@]}" "$url_list" >"$OUT/body-list.json"
	# The list must really hold 20 messages, or we would measure a shorter reply.
	[ "$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))' \
		<"$OUT/body-list.json")" = 20 ]
	baseline_start "$OUT/body-get.json"
	get_port=$BASE_PORT get_pid=$BASE_PID
	baseline_start "$OUT/body-list.json"
	list_port=$BASE_PORT list_pid=$BASE_PID

	for r in $(seq "$BENCH_ROUNDS"); do
		best base_get "$r" "http://127.0.0.1:$get_port/" "$get_pid"
		best retrieve "$r" "$url_get" "$SRV_PID"
		best base_list "$r" "http://127.0.0.1:$list_port/" "$list_pid"
		best list "$r" "$url_list" "$SRV_PID"
	done
	server_stop
	stop_pid "$get_pid"
	stop_pid "$list_pid"
	rm -rf "$dir"

	base_row "baseline: the GET message bytes ($(wc -c <"$OUT/body-get.json") B)" base_get
	read_row "GET message" retrieve base_get "$RETRIEVE_GOAL"
	base_row "baseline: the list bytes ($(wc -c <"$OUT/body-list.json") B)" base_list
	read_row "GET 20 messages" list base_list "$LIST_GOAL"
}
