#!/usr/bin/env bash
# read_syscalls.sh - system calls per GET message, of a server build and of the baseline.
#
#   bench/tools/read_syscalls.sh BIN [CONNECTIONS] [SECONDS]
#
# Starts BIN on an empty data directory, makes a thread of 20 messages, and starts the
# baseline program (bench/out/baseline) serving the same reply. Then, for the baseline and
# for BIN in turn, counts every system call of every thread (strace -f -c) while wrk sends
# GET message for SECONDS (default 3) over CONNECTIONS (default 64), and prints the calls per
# request. strace slows the server many times over, so the rates mean nothing here; the
# counts per request do not depend on the load. A read that takes its own SQLite snapshot
# shows as fcntl calls (WAL locks), threads waiting on each other as futex calls.
# Needs strace, wrk, curl, python3.
set -euo pipefail

BIN=$1 CONN=${2:-64} SECS=${3:-3}
TOOLS=$(cd "$(dirname "$0")" && pwd)
BASELINE=$(dirname "$TOOLS")/out/baseline
DIR=$(mktemp -d)
. "$(dirname "$TOOLS")/lib.sh"
H=("${BENCH_HEADERS[@]}")
trap 'bench_cleanup; rm -rf "$DIR"' EXIT

# count NAME PID URL: strace PID's threads during one wrk run; prints calls per request.
count() {
	local n sp
	strace -f -c -p "$2" -o "$DIR/strace-$1" 2>/dev/null &
	sp=$!
	sleep 0.5
	wrk -t1 -c"$CONN" -d"${SECS}s" "${H[@]}" "$3" >"$DIR/wrk-$1"
	kill -INT "$sp"
	wait "$sp" || true
	n=$(awk '/ requests in / { print $1 }' "$DIR/wrk-$1")
	echo "$1: $n requests; system calls per request:"
	awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
		printf "  %-16s %7.3f\n", $NF, $4 / n }' "$DIR/strace-$1" | sort -k2 -rn | head -12
}

port=$(free_port)
"$BIN" --listen "127.0.0.1:$port" --data "$DIR/data" --log-level warn >/dev/null 2>&1 &
srv=$!
bench_pids+=("$srv")
wait_port "$port" "$srv"
tid=$(python3 "$TOOLS/api.py" "$port" threads 1)
mid=$(python3 "$TOOLS/api.py" "$port" messages "$tid" 20 | sed -n 1p)
url="http://127.0.0.1:$port/v1/threads/$tid/messages/$mid"
curl -s "${H[@]}" "$url" >"$DIR/body.json"
bport=$(free_port)
"$BASELINE" "$bport" "$DIR/body.json" >/dev/null 2>&1 &
base=$!
bench_pids+=("$base")
wait_port "$bport" "$base"
count baseline "$base" "http://127.0.0.1:$bport/"
count "$(basename "$BIN")" "$srv" "$url"
