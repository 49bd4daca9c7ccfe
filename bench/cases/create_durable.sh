# create_durable.sh - durable message creation (benchmark 3 of issue #2).
#
# wrk POSTs {"role":"user","content":"hello"} to BENCH_CREATE_THREADS threads in turn for
# BENCH_SECONDS at BENCH_CONNECTIONS connections; lua/create.lua records the id of every
# message answered with 200. The moment wrk stops, the server is killed with SIGKILL,
# restarted on the same data directory, and every thread is paged through: each
# acknowledged message must be there. Goals: >= 5,000 creates/s, and all of them survive.
# create_durable_pg.sh runs the same on PostgreSQL (durable_creates with a database URL).

CREATE_GOAL=5000

bench_create_durable() {
	durable_creates "durable creates (kill -9, restart)"
}

# durable_creates ROW [SERVER ARGS...]: the benchmark, its server started with SERVER ARGS
# (both times), recorded as ROW.
durable_creates() {
	local row=$1 dir tids acked_file f rate acked other stored survived line
	shift

	if ! have_server; then
		record "$row" "no server ($ASSISTD_BIN)" "≥ 5,000/s, all survive" "n/a"
		return 0
	fi
	dir=$(new_data_dir create_durable)
	server_start "$dir" "$@"
	# Several threads keep each one short to page through afterwards.
	tids=$(api threads "$BENCH_CREATE_THREADS")
	acked_file="$OUT/create-acked.txt"
	f="$OUT/wrk-create.txt"
	rm -f "$acked_file"
	# shellcheck disable=SC2086 # one argument per thread id
	BENCH_ACKED_FILE=$acked_file wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" \
		-d "${BENCH_SECONDS}s" --timeout 10s -s "$BENCH_DIR/lua/create.lua" \
		"http://127.0.0.1:$SRV_PORT" -- $tids >"$f"
	server_crash
	log "server killed with SIGKILL right after wrk ended"

	rate=$(awk '/^create: rate/ { print $3 }' "$f")
	acked=$(awk '/^create: acked/ { print $3 }' "$f")
	other=$(awk '/^create: other/ { print $3 }' "$f")
	[ -n "$rate" ] || { log "no summary from lua/create.lua in $f"; return 1; }
	log "creates: $acked answered 200 ($rate/s), $other answered otherwise;" \
		"p99 latency $(awk '/^create: p99_ms/ { print $3 }' "$f") ms"

	server_start "$dir" "$@"
	# shellcheck disable=SC2086
	line=$(api verify "$acked_file" $tids)
	server_stop
	stored=$(awk '{ print $4 }' <<<"$line")
	survived=$(awk '{ print $6 }' <<<"$line")
	log "after restart: $line"
	rm -rf "$dir"

	local status
	status=$(verdict "$rate" '>=' "$CREATE_GOAL")
	if [ "$survived" != "$acked" ] || [ "$stored" -lt "$acked" ] || [ "$other" != 0 ]; then
		status=miss
	fi
	record "$row" \
		"$(fmt_int "$rate")/s; $survived/$acked acknowledged survived ($stored stored, $other non-200)" \
		"≥ 5,000/s, all survive" "$status"
}
