#!/usr/bin/env bash
# read_profile.sh - instruction counts of the read path, for comparing builds on a busy machine.
#
#   bench/tools/read_profile.sh BIN OUT [N]
#
# Starts BIN under valgrind's callgrind on an empty data directory, makes a thread of 20
# messages, warms up, then makes N (default 2000) GET message requests and N GET list
# (limit=20) requests over one keep-alive connection, dumping the counts after each: OUT.PID.cg.1-*
# (GET message) and OUT.PID.cg.2-* (the list), one file per thread (--separate-threads). The
# HTTP worker's file holds the request path; bench/tools/cg_self.py prints its cost per request
# by function. Instruction counts do not depend on what else runs on the machine; note that
# valgrind counts each byte of a `rep stosb` memset as one instruction. Needs valgrind, python3.
#
# PROFILE_LIMITS="--requests N ..." sets those limits on the project (open mode's "default")
# before the server starts, so every request is checked and counted (issue 10's limits_cost);
# PROFILE_SCRAPES=M also makes M GET /metrics requests afterwards, dumped as OUT.PID.cg.3-*.
set -euo pipefail

BIN=$1 OUT=$2 N=${3:-2000}
TOOLS=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
if [ -n "${PROFILE_LIMITS:-}" ]; then
	# shellcheck disable=SC2086 # the options are words on purpose
	"$BIN" limits set --project default $PROFILE_LIMITS --data "$DIR" >/dev/null
fi
valgrind --tool=callgrind --compress-strings=no --compress-pos=no --separate-threads=yes \
	--callgrind-out-file="$OUT.%p.cg" "$BIN" --listen "127.0.0.1:$PORT" --data "$DIR" \
	--log-level warn 2>"$OUT.log" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 600); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
tid=$(python3 "$TOOLS/api.py" "$PORT" threads 1)
mid=$(python3 "$TOOLS/api.py" "$PORT" messages "$tid" 20 | sed -n 1p)
get="/v1/threads/$tid/messages/$mid"
list="/v1/threads/$tid/messages?limit=20"
python3 "$TOOLS/api.py" "$PORT" get "$get" 300
python3 "$TOOLS/api.py" "$PORT" get "$list" 300
callgrind_control -z "$PID" >/dev/null
python3 "$TOOLS/api.py" "$PORT" get "$get" "$N"
callgrind_control -d get "$PID" >/dev/null
python3 "$TOOLS/api.py" "$PORT" get "$list" "$N"
callgrind_control -d list "$PID" >/dev/null
if [ "${PROFILE_SCRAPES:-0}" -gt 0 ]; then
	python3 "$TOOLS/api.py" "$PORT" get /metrics "$PROFILE_SCRAPES"
	callgrind_control -d metrics "$PID" >/dev/null
fi
