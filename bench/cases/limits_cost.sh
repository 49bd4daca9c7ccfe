# limits_cost.sh - what rate limiting and /metrics scrapes cost on the read path (issue 10,
# benchmark 4).
#
# Four servers of this build, each on a copy of one data directory (open mode, project
# "default"), GET one message with the same wrk settings, alternating for BENCH_ROUNDS rounds;
# each keeps its best rate and its lowest server CPU time per request:
#   plain    no limits;
#   others   limits on another project only: every GET is looked up, none is counted;
#   limited  limits on the project set too high ever to refuse (requests, runs, tokens), so
#            every GET is checked and counted, its reply carries six x-ratelimit-* headers,
#            and the counts go to the store every 200 ms;
#   scraped  limited, and /metrics scraped 10 times a second meanwhile (150 times
#            Prometheus's default rate), its CPU counted in the server's.
# The goal is relative, so it holds on any machine: limited and scraped keep >= 0.97 of the
# plain server's requests/s. CPU per request, steadier on a shared machine, is reported too.

LIMITS_GOAL=0.97
LIMITS_HIGH=(--requests 1000000000 --runs 1000000000 --tokens 1000000000000)

# lim_scraped ROUND URL PID PORT: best (lib.sh) while a loop GETs /metrics every 100 ms.
lim_scraped() {
	local scraper
	(while :; do
		curl -s -o /dev/null "http://127.0.0.1:$4/metrics"
		sleep 0.1
	done) &
	scraper=$!
	best scraped "$1" "$2" "$3"
	kill "$scraper" 2>/dev/null
	wait "$scraper" 2>/dev/null || true
}

# lim_row NAME LABEL: one row, its rate and CPU time against the plain server's.
lim_row() {
	local ratio res
	ratio=$(calc "${best_rate[$1]} / ${best_rate[plain]}")
	res="$(fmt_int "${best_rate[$1]}") req/s = $(printf '%.3f' "$ratio") × plain"
	res+="; $(printf '%.1f' "${best_cpu[$1]}") µs CPU/req"
	res+=" = $(printf '%.3f' "$(calc "${best_cpu[$1]} / ${best_cpu[plain]}")") × plain's"
	record "$2" "$res" "≥ $LIMITS_GOAL × plain" "$(verdict "$ratio" '>=' "$LIMITS_GOAL")"
}

# lim_copy NAME SOURCE: a copy of the data directory SOURCE, printed.
lim_copy() {
	local d
	d=$(new_data_dir "$1")
	cp -a "$2/." "$d/"
	printf '%s\n' "$d"
}

bench_limits_cost() {
	local dir odir ldir sdir tid mid path r
	local -A port pid

	if ! have_server; then
		record "rate limits cost: GET message" "no server ($ASSISTD_BIN)" \
			"≥ $LIMITS_GOAL × plain" "n/a"
		return 0
	fi
	dir=$(new_data_dir limits_plain)
	server_start "$dir"
	read_thread
	server_stop
	odir=$(lim_copy limits_others "$dir")
	ldir=$(lim_copy limits_limited "$dir")
	sdir=$(lim_copy limits_scraped "$dir")
	"$ASSISTD_BIN" limits set --project elsewhere "${LIMITS_HIGH[@]}" --data "$odir" >/dev/null
	for d in "$ldir" "$sdir"; do
		"$ASSISTD_BIN" limits set --project default "${LIMITS_HIGH[@]}" --data "$d" >/dev/null
	done
	path="/v1/threads/$tid/messages/$mid"
	for name in plain others limited scraped; do
		case $name in
		plain) server_start "$dir" ;;
		others) server_start "$odir" ;;
		limited) server_start "$ldir" ;;
		scraped) server_start "$sdir" ;;
		esac
		port[$name]=$SRV_PORT
		pid[$name]=$SRV_PID
	done
	for r in $(seq "$BENCH_ROUNDS"); do
		best plain "$r" "http://127.0.0.1:${port[plain]}$path" "${pid[plain]}"
		best others "$r" "http://127.0.0.1:${port[others]}$path" "${pid[others]}"
		best limited "$r" "http://127.0.0.1:${port[limited]}$path" "${pid[limited]}"
		lim_scraped "$r" "http://127.0.0.1:${port[scraped]}$path" "${pid[scraped]}" \
			"${port[scraped]}"
	done
	record "rate limits cost: GET message, no limits" \
		"$(fmt_int "${best_rate[plain]}") req/s; $(printf '%.1f' "${best_cpu[plain]}") µs CPU/req" \
		"-" "-"
	lim_row others "rate limits cost: limits on another project"
	lim_row limited "rate limits cost: limits set, never reached"
	lim_row scraped "rate limits cost: limits set + /metrics 10/s"
	for name in plain others limited scraped; do
		stop_pid "${pid[$name]}"
	done
}
