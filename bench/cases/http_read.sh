# http_read.sh - reads against the libmicrohttpd baseline (benchmark 2 of issue #2).
#
# Measures, in one run and with the same wrk settings: the baseline program (out/baseline),
# GET one message, and GET a page of 20 messages. The goals are relative to the baseline, so
# they hold on any machine: a retrieve keeps >= 0.8 of the baseline's requests/s, a list of
# 20 >= 0.5. The three alternate for BENCH_ROUNDS rounds and each keeps its best run, so a
# burst of other work on the machine lowers one run, not the ratio.

RETRIEVE_GOAL=0.8
LIST_GOAL=0.5

# max A B
max() {
	awk "BEGIN { print ($1 > $2) ? $1 : $2 }"
}

# read_row NAME RPS BASE GOAL: records one assistd row with its ratio to the baseline.
read_row() {
	local ratio
	ratio=$(calc "$2 / $3")
	record "$1" "$(fmt_int "$2") req/s = $(printf '%.2f' "$ratio") × baseline" \
		"≥ $4 × baseline" "$(verdict "$ratio" '>=' "$4")"
}

bench_http_read() {
	local base=0 retrieve=0 list=0 dir tid mid r url_base url_get url_list

	baseline_start
	url_base="http://127.0.0.1:$BASE_PORT/v1/threads/thread_x/messages/msg_x"
	if ! have_server; then
		base=$(wrk_get baseline "$url_base")
		record "baseline: libmicrohttpd, canned reply" "$(fmt_int "$base") req/s" "-" "-"
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
		base=$(max "$base" "$(wrk_get "baseline-$r" "$url_base")")
		retrieve=$(max "$retrieve" "$(wrk_get "retrieve-$r" "$url_get")")
		list=$(max "$list" "$(wrk_get "list-$r" "$url_list")")
	done
	server_stop
	baseline_stop
	rm -rf "$dir"

	record "baseline: libmicrohttpd, canned reply" "$(fmt_int "$base") req/s" "-" "-"
	read_row "GET message" "$retrieve" "$base" "$RETRIEVE_GOAL"
	read_row "GET 20 messages" "$list" "$base" "$LIST_GOAL"
}
