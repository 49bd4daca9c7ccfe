# http_read.sh - reads against the libmicrohttpd baseline (benchmark 2 of issue #2).
#
# Measures, in one run and with the same wrk settings: the baseline program (out/baseline),
# GET one message, and GET a page of 20 messages. The goals are relative to the baseline, so
# they hold on any machine: a retrieve keeps >= 0.8 of the baseline's requests/s, a list of
# 20 >= 0.5.

RETRIEVE_GOAL=0.8
LIST_GOAL=0.5

bench_http_read() {
	local base rps ratio dir tid mid

	baseline_start
	base=$(wrk_get baseline "http://127.0.0.1:$BASE_PORT/v1/threads/thread_x/messages/msg_x")
	baseline_stop
	record "baseline: libmicrohttpd, canned reply" "$(fmt_int "$base") req/s" "-" "-"

	if ! have_server; then
		record "GET message" "no server ($ASSISTD_BIN)" "≥ $RETRIEVE_GOAL × baseline" "n/a"
		record "GET 20 messages" "no server" "≥ $LIST_GOAL × baseline" "n/a"
		return 0
	fi
	dir=$(new_data_dir http_read)
	server_start "$dir"
	tid=$(api threads 1)
	mid=$(api messages "$tid" 20)
	mid=${mid%%$'\n'*}
	# The list must really hold 20 messages, or we would measure a shorter reply.
	[ "$(curl -s "${BENCH_HEADERS[@]}" \
		"http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages?limit=20" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')" = 20 ]

	rps=$(wrk_get retrieve "http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages/$mid")
	ratio=$(calc "$rps / $base")
	record "GET message" "$(fmt_int "$rps") req/s = $(printf '%.2f' "$ratio") × baseline" \
		"≥ $RETRIEVE_GOAL × baseline" "$(verdict "$ratio" '>=' "$RETRIEVE_GOAL")"

	rps=$(wrk_get list "http://127.0.0.1:$SRV_PORT/v1/threads/$tid/messages?limit=20")
	ratio=$(calc "$rps / $base")
	record "GET 20 messages" "$(fmt_int "$rps") req/s = $(printf '%.2f' "$ratio") × baseline" \
		"≥ $LIST_GOAL × baseline" "$(verdict "$ratio" '>=' "$LIST_GOAL")"

	server_stop
	rm -rf "$dir"
}
