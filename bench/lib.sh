# lib.sh - helpers shared by the benchmark cases; sourced by run.sh, not run on its own.
#
# Starting and stopping processes (the server, the baseline), waiting for a port, running wrk,
# and recording one row of the results table. Every process started here is remembered and
# killed by its pid when the case ends, whatever way it ends.

# Requests carry what the official SDK sends.
BENCH_HEADERS=(-H 'Authorization: Bearer x' -H 'OpenAI-Beta: assistants=v2')

bench_pids=()
bench_pg=""

# Kills what this case started and is still running (the EXIT trap of each case's subshell),
# and stops its PostgreSQL cluster.
bench_cleanup() {
	local pid
	for pid in "${bench_pids[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	bench_pids=()
	[ -z "$bench_pg" ] || "$ROOT/scripts/pg.sh" stop "$bench_pg" >/dev/null 2>&1 || true
	bench_pg=""
}

# pg_start NAME: a throwaway PostgreSQL cluster (scripts/pg.sh) in out/pg-NAME for this case,
# stopped when the case ends; false when PostgreSQL is not installed.
pg_start() {
	ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || return 1
	bench_pg="$OUT/pg-$1"
	"$ROOT/scripts/pg.sh" stop "$bench_pg" >/dev/null 2>&1 || true
	"$ROOT/scripts/pg.sh" start "$bench_pg" >/dev/null
}

# pg_db NAME: creates database NAME in the case's cluster and prints its URL.
pg_db() {
	"$ROOT/scripts/pg.sh" createdb "$bench_pg" "$1" >/dev/null
	"$ROOT/scripts/pg.sh" url "$bench_pg" "$1"
}

log() {
	printf '  %s\n' "$*" >&2
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT PID: waits up to 15 s for PORT to accept a connection; fails if PID dies.
wait_port() {
	local port=$1 pid=$2
	for _ in $(seq 300); do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "process $pid exited before listening on port $port"
			return 1
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	log "nothing listens on port $port after 15 s"
	return 1
}

have_server() {
	[ -x "$ASSISTD_BIN" ]
}

# server_start DIR [OPTION...]: starts assistd on a free port with data in DIR and any further
# options; sets SRV_PID, SRV_PORT.
# Its stderr goes to out/server.log.
server_start() {
	local dir=$1
	shift
	SRV_PORT=$(free_port)
	"$ASSISTD_BIN" --listen "127.0.0.1:$SRV_PORT" --data "$dir" --log-level warn "$@" \
		>>"$OUT/server.log" 2>&1 &
	SRV_PID=$!
	bench_pids+=("$SRV_PID")
	wait_port "$SRV_PORT" "$SRV_PID"
}

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 10 s.
stop_pid() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

server_stop() {
	stop_pid "$SRV_PID"
}

# server_crash: SIGKILL, the way a power cut or the OOM killer ends the process.
server_crash() {
	kill -9 "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}

# baseline_start [BODY_FILE]: the baseline, serving BODY_FILE's bytes (or its canned message);
# sets BASE_PORT and BASE_PID.
baseline_start() {
	BASE_PORT=$(free_port)
	"$BENCH_DIR/out/baseline" "$BASE_PORT" "$@" 2>>"$OUT/baseline.log" &
	BASE_PID=$!
	bench_pids+=("$BASE_PID")
	wait_port "$BASE_PORT" "$BASE_PID"
}

baseline_stop() {
	stop_pid "$BASE_PID"
}

# new_data_dir NAME: an empty data directory under out/, printed.
new_data_dir() {
	local d="$OUT/data-$1"
	rm -rf "$d"
	mkdir -p "$d"
	printf '%s\n' "$d"
}

# api ARGS...: tools/api.py against the running server (see that file for the commands).
api() {
	python3 "$BENCH_DIR/tools/api.py" "$SRV_PORT" "$@"
}

# read_thread: a thread of 20 messages on the running server; sets tid and mid (its first
# message), the data the read benchmarks GET.
read_thread() {
	tid=$(api threads 1)
	mid=$(api messages "$tid" 20)
	mid=${mid%%$'\n'*}
}

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# wrk_get NAME URL PID: a short warm-up, then BENCH_SECONDS of GETs at BENCH_CONNECTIONS
# connections to the server process PID. Prints "RATE CPU": requests/s, and the server's CPU
# time per request in microseconds, which other work on the machine disturbs less than the
# rate. The full output is kept in out/wrk-NAME.txt. Fails when any response was not 2xx,
# since then the rate means nothing.
wrk_get() {
	local name=$1 url=$2 pid=$3 f="$OUT/wrk-$1.txt" rps bad n t0 t1 cpu
	wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_WARMUP}s" \
		"${BENCH_HEADERS[@]}" "$url" >/dev/null
	t0=$(cpu_ticks "$pid")
	wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_SECONDS}s" --latency \
		"${BENCH_HEADERS[@]}" "$url" >"$f"
	t1=$(cpu_ticks "$pid")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
	n=$(awk '/ requests in / { print $1 }' "$f")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$f")
	if [ -n "$bad" ] && [ "$bad" != 0 ]; then
		log "$name: $bad responses were not 2xx (see $f)"
		return 1
	fi
	if grep -q '^  Socket errors:' "$f"; then
		log "$name: $(grep '^  Socket errors:' "$f" | sed 's/^ *//') (see $f)"
	fi
	if [ -z "$rps" ] || [ "${n:-0}" -le 0 ]; then
		log "$name: no result in $f"
		return 1
	fi
	cpu=$(calc "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / $n")
	log "$name: $rps requests/s, $(printf '%.1f' "$cpu") µs server CPU per request"
	printf '%s %s\n' "$rps" "$cpu"
}

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

# calc EXPR: floating-point arithmetic with awk, e.g. calc "$a / $b".
calc() {
	awk "BEGIN { print $1 }"
}

# fmt_int N: 12345.6 -> 12,346
fmt_int() {
	printf '%.0f' "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'
}

# verdict VALUE OP GOAL: prints pass or miss; OP is ">=" or "<=".
verdict() {
	if awk "BEGIN { exit !($1 $2 $3) }"; then
		echo pass
	else
		echo miss
	fi
}

# json_get JSON KEY: a top-level member of a JSON object (the Python tools print such lines).
json_get() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# each_build ROW GOAL MEASURE: runs MEASURE BIN LABEL on this build, then on BENCH_BEFORE_BIN
# when it is set (a baseline measured in the same run); without a server, one n/a row ROW.
each_build() {
	local row=$1 goal=$2 measure=$3

	if ! have_server; then
		record "$row" "no server ($ASSISTD_BIN)" "$goal" "n/a"
		return 0
	fi
	"$measure" "$ASSISTD_BIN" "this build"
	if [ -n "${BENCH_BEFORE_BIN:-}" ]; then
		"$measure" "$BENCH_BEFORE_BIN" "before: $BENCH_BEFORE_BIN"
	fi
}

# record BENCHMARK RESULT GOAL STATUS: one row of the results table.
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/results.tsv"
}
