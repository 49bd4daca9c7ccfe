# stream_many.sh - 1,000 concurrent streaming runs (run engine, issue #3).
#
# The fake upstream answers each run with 100 tokens 50 ms apart (20 tokens/s, about 5 s).
# tools/stream_many.js creates BENCH_MANY_RUNS threads, then BENCH_MANY_WORKERS client
# processes start one streaming run on each, all at once, one connection per run, and read
# every stream to [DONE]. Every run must complete with its full text. Over the busy window
# (first request to last [DONE]): assistd's CPU (utime + stime from /proc/PID/stat, as a share
# of one core) and its peak RSS (VmHWM). The fake's and the clients' CPU are shown too: all
# share the machine's cores. Then the same clients stream as many chat completions straight
# from the fake (no assistd), for the floor of the token delay with this load on this machine
# (BENCH_MANY_FLOOR=0 skips it). Goals: under one core, under 200 MB.

: "${BENCH_MANY_RUNS:=1000}"
: "${BENCH_MANY_WORKERS:=2}"
: "${BENCH_MANY_FLOOR:=1}"

bench_stream_many() {
	local dir f step complete failures wall cores fake clients hwm fds tp50 tp99 start
	local eng_cores eng_wait ftp50 ftp99 fstart floor_note=""

	. "$BENCH_DIR/tools/engine_lib.sh"
	engine_or_skip "$BENCH_MANY_RUNS streaming runs" "all complete" || return 0
	# Each run holds a client connection and an upstream one in assistd, and one in the fake.
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * BENCH_MANY_RUNS + 100)) ]; then
		log "warning: ulimit -n is $(ulimit -n), less than the $((2 * BENCH_MANY_RUNS + 100))" \
			"descriptors assistd needs for $BENCH_MANY_RUNS runs"
	fi
	dir=$(new_data_dir stream_many)
	step=$(python3 -c 'import json
print(json.dumps({"text": " ".join("k%d:@TS@" % i for i in range(100)), "delayMs": 50}))')
	fake_start "$step" --stamp
	engine_server_start "$dir"
	f="$OUT/stream_many.json"
	node "$BENCH_DIR/tools/stream_many.js" "$SRV_PORT" "$SRV_PID" "$FAKE_PORT" "$FAKE_PID" \
		"$BENCH_MANY_RUNS" "$BENCH_MANY_WORKERS" 100 >"$f"
	server_stop
	rm -rf "$dir"

	read -r complete failures wall cores fake clients hwm fds tp50 tp99 start < <(jget "$f" \
		complete failures wall_s assistd_cores fake_cores client_cores hwm_kb peak_fds \
		token_p50 token_p99 start_p50 | paste -sd' ')
	read -r eng_cores eng_wait < <(jget "$f" engine_cores engine_waiting | paste -sd' ')
	eng_wait=$(printf '%.0f' "$(calc "$eng_wait * 100")")
	eng_cores=$(printf '%.2f' "$eng_cores")
	log "$complete of $BENCH_MANY_RUNS runs complete in $(printf '%.1f' "$wall") s;" \
		"assistd $(printf '%.2f' "$cores") core (busiest thread $eng_cores, waiting for a CPU" \
		"$eng_wait % of the time), fake $(printf '%.2f' "$fake"), clients" \
		"$(printf '%.2f' "$clients"); peak RSS $((hwm / 1024)) MB, $fds fds"
	log "POST to the fake's first token p50 $(fmt_ms "$start"); token delay (fake write" \
		"-> client) p50 $(fmt_ms "$tp50"), p99 $(fmt_ms "$tp99")"
	[ "$failures" = 0 ] || log "failures: $(jget "$f" failure_examples)"

	if [ "$BENCH_MANY_FLOOR" = 1 ]; then
		node "$BENCH_DIR/tools/stream_many.js" 0 "$FAKE_PID" "$FAKE_PORT" "$FAKE_PID" \
			"$BENCH_MANY_RUNS" "$BENCH_MANY_WORKERS" 100 --direct >"$OUT/stream_many_floor.json"
		read -r ftp50 ftp99 fstart < <(jget "$OUT/stream_many_floor.json" token_p50 token_p99 \
			start_p50 | paste -sd' ')
		log "straight from the fake: POST to first token p50 $(fmt_ms "$fstart"); token" \
			"delay p50 $(fmt_ms "$ftp50"), p99 $(fmt_ms "$ftp99")"
		floor_note="; straight from the fake: $(fmt_ms "$ftp50"), $(fmt_ms "$ftp99")"
	fi

	local st=pass
	[ "$complete" = "$BENCH_MANY_RUNS" ] || st=miss
	record "$(fmt_int "$BENCH_MANY_RUNS") streaming runs: complete" \
		"$complete/$BENCH_MANY_RUNS with the full text in $(printf '%.1f' "$wall") s; token delay p50 $(fmt_ms "$tp50"), p99 $(fmt_ms "$tp99")$floor_note" \
		"all complete" "$st"
	record "$(fmt_int "$BENCH_MANY_RUNS") streaming runs: assistd CPU" \
		"$(printf '%.2f' "$cores") core, engine thread $eng_cores (the fake $(printf '%.2f' "$fake"), $BENCH_MANY_WORKERS clients $(printf '%.2f' "$clients"); $(nproc) cores)" \
		"< 1 core" "$(verdict "$cores" '<' 1)"
	record "$(fmt_int "$BENCH_MANY_RUNS") streaming runs: peak RSS" \
		"$(printf '%.0f' "$(calc "$hwm / 1024")") MB ($fds fds)" "< 200 MB" \
		"$(verdict "$hwm" '<' 204800)"
}
