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
# plain server's requests/s. On a shared machine the rate swings by more than that from one
# run to the next, so each row also has a verdict by the server's CPU time per request
# (<= 1.03 x plain's), which other work disturbs less.
#
# BENCH_CALLGRIND=1 adds instruction counts (valgrind; repeatable on any machine): the HTTP
# worker's instructions per GET message, plain and limited, from bench/tools/read_profile.sh,
# and what one /metrics scrape costs.

LIMITS_GOAL=0.97
LIMITS_CPU_GOAL=1.03
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

# lim_row NAME LABEL: two rows, its rate and its CPU time against the plain server's.
lim_row() {
	local ratio cpu
	ratio=$(calc "${best_rate[$1]} / ${best_rate[plain]}")
	cpu=$(calc "${best_cpu[$1]} / ${best_cpu[plain]}")
	record "$2 (rate)" "$(fmt_int "${best_rate[$1]}") req/s = $(printf '%.3f' "$ratio") × plain" \
		"≥ $LIMITS_GOAL × plain" "$(verdict "$ratio" '>=' "$LIMITS_GOAL")"
	record "$2 (CPU)" \
		"$(printf '%.2f' "${best_cpu[$1]}") µs CPU/req = $(printf '%.3f' "$cpu") × plain's" \
		"≤ $LIMITS_CPU_GOAL × plain's" "$(verdict "$cpu" '<=' "$LIMITS_CPU_GOAL")"
}

# lim_worker OUT: the instructions of the busiest thread of dump 1 (GET message) of
# read_profile.sh's output OUT, the HTTP worker that served the requests.
lim_worker() {
	grep -h '^summary:' "$1".*.cg.1-* | awk '$2 > m { m = $2 } END { print m }'
}

# lim_callgrind: the instruction counts (BENCH_CALLGRIND=1), plain and limited.
lim_callgrind() {
	local n=2000 scrapes=100 cg="$OUT/limits_cg" plain limited scrape
	command -v valgrind >/dev/null || { log "no valgrind: no instruction counts"; return 0; }
	rm -rf "$cg"
	mkdir -p "$cg"
	"$BENCH_DIR/tools/read_profile.sh" "$ASSISTD_BIN" "$cg/plain" "$n" >/dev/null
	PROFILE_LIMITS="${LIMITS_HIGH[*]}" PROFILE_SCRAPES=$scrapes \
		"$BENCH_DIR/tools/read_profile.sh" "$ASSISTD_BIN" "$cg/limited" "$n" >/dev/null
	plain=$(calc "$(lim_worker "$cg/plain") / $n")
	limited=$(calc "$(lim_worker "$cg/limited") / $n")
	scrape=$(grep -h '^summary:' "$cg"/limited.*.cg.3-* |
		awk -v n="$scrapes" '$2 > m { m = $2 } END { print m / n }')
	record "rate limits cost: instructions per GET message (callgrind, worker thread)" \
		"plain $(fmt_int "$plain"); limited $(fmt_int "$limited") = $(printf '%.3f' \
		"$(calc "$limited / $plain")") × plain" "≤ $LIMITS_CPU_GOAL × plain" \
		"$(verdict "$(calc "$limited / $plain")" '<=' "$LIMITS_CPU_GOAL")"
	record "rate limits cost: instructions per /metrics scrape (callgrind)" \
		"$(fmt_int "$scrape") = $(printf '%.1f' "$(calc "$scrape / $plain")") GET messages" \
		"-" "-"
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
	[ "${BENCH_CALLGRIND:-0}" = 0 ] || lim_callgrind
}
