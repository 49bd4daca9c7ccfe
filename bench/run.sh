#!/usr/bin/env bash
# run.sh - runs the assistd benchmarks and prints the results table (see BENCHMARKS.md).
#
#   bench/run.sh [CASE...]     run the named cases (default: all, in the order below)
#
# Each case is one file, cases/NAME.sh, defining bench_NAME. It runs in its own subshell, so
# a failing case records an error row and the others still run; whatever a case started is
# killed when it ends. A case adds rows with `record` (lib.sh). The table is printed at the
# end and written to out/results.md.
#
# Settings, from the environment:
#   ASSISTD_BIN           server binary (default build/assistd)
#   BENCH_SECONDS         length of each wrk run (default 10)
#   BENCH_WARMUP          warm-up before each read benchmark, seconds (default 1)
#   BENCH_ROUNDS          rounds of the read benchmarks; the best of each counts (default 3)
#   BENCH_CONNECTIONS     wrk connections (default 64)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_CREATE_THREADS  Assistants threads the create benchmark spreads over (default 64)
#   BENCH_BEFORE_BIN      another server build measured beside this one, as a baseline
#                         (idle_rss, preauth_rss, big_thread, events_memory, metrics_cost;
#                         e.g. main's build/assistd)
#   BENCH_CALLGRIND       1: cases that can (limits_cost) add instruction counts from valgrind
# Needs wrk, curl, python3 and (run-engine cases) node. Build out/baseline first: make -C bench.
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
OUT="$BENCH_DIR/out"
: "${ASSISTD_BIN:=$ROOT/build/assistd}"
: "${BENCH_SECONDS:=10}"
: "${BENCH_WARMUP:=1}"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_CONNECTIONS:=64}"
: "${BENCH_THREADS:=2}"
: "${BENCH_CREATE_THREADS:=64}"
export ASSISTD_BIN BENCH_SECONDS BENCH_WARMUP BENCH_ROUNDS BENCH_CONNECTIONS BENCH_THREADS \
	BENCH_CREATE_THREADS

# The cases, in the order they run. Idle memory goes first, on a machine that is still cool.
# The run-engine cases (run_overhead .. big_thread) drive the server against the fake
# upstream of tests/fake_upstream; see BENCHMARKS.md.
ALL_CASES=(idle_rss http_read create_durable create_durable_pg run_overhead stream_latency
	stream_many stream_nodes cancel_latency cancel_nodes preauth_rss upload_rss tokenizer
	big_thread events_memory vs_ingest vs_search vs_search_pg scifact scifact_pg sandbox vec_scan hybrid_search
	scifact_hybrid
	metrics_cost limits_cost
	page_load failover nodes_throughput)

. "$BENCH_DIR/lib.sh"

for tool in wrk curl python3; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 1; }
done
[ -x "$OUT/baseline" ] || { echo "run.sh: build the baseline first: make -C bench" >&2; exit 1; }
case "$ASSISTD_BIN" in
/*) ;;
*) ASSISTD_BIN="$PWD/$ASSISTD_BIN" ;;
esac
have_server || echo "run.sh: no server at $ASSISTD_BIN; its benchmarks are skipped" >&2

mkdir -p "$OUT"
rm -f "$OUT"/wrk-*.txt
: >"$OUT/results.tsv"
: >"$OUT/server.log"
: >"$OUT/baseline.log"

LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${ALL_CASES[@]}")
errors=0
for c in "${cases[@]}"; do
	if [ ! -f "$BENCH_DIR/cases/$c.sh" ]; then
		echo "run.sh: no case $c (cases/$c.sh); known: ${ALL_CASES[*]}" >&2
		exit 2
	fi
	echo "== $c" >&2
	# Not `if ! ( ... )`: bash ignores set -e inside a command whose status is tested.
	set +e
	(
		set -e
		trap bench_cleanup EXIT
		# shellcheck source=/dev/null
		. "$BENCH_DIR/cases/$c.sh"
		"bench_$c"
	)
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		record "$c" "error: the case failed (log above; out/server.log)" "-" "error"
		errors=$((errors + 1))
	fi
done

# What the numbers were measured on, for the heading of the table.
machine() {
	local cpu mem rev dirty=""
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
	rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')
	if (cd "$ROOT" && git status --porcelain 2>/dev/null | grep -q .); then
		dirty=" with uncommitted changes"
	fi
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu), $mem; Linux $(uname -r);" \
		"load average $LOAD_AT_START at the start;"
	echo "$(wrk --version 2>&1 | awk 'NR == 1 { sub("debian/", "", $2); print $1, $2 }');" \
		"$BENCH_CONNECTIONS connections, $BENCH_THREADS wrk threads," \
		"${BENCH_SECONDS} s per run, best of $BENCH_ROUNDS for reads; assistd $rev$dirty."
}

# The table, aligned, for the terminal and for out/results.md.
{
	echo "# assistd benchmark results"
	echo
	machine
	if awk "BEGIN { exit !($LOAD_AT_START > 1.5) }"; then
		echo
		echo "The load average was $LOAD_AT_START when the run began: other work shared the" \
			"CPUs, so the rates may be low."
	fi
	echo
	python3 - "$OUT/results.tsv" <<'EOF'
import sys
rows = [["benchmark", "result", "goal", "status"]]
rows += [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
w = [max(len(r[i]) for r in rows) for i in range(4)]
fmt = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
print(fmt(rows[0]))
print("|" + "|".join("-" * (n + 2) for n in w) + "|")
for r in rows[1:]:
    print(fmt(r))
EOF
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
echo "(also in bench/out/results.md; raw wrk output in bench/out/wrk-*.txt)"
[ "$errors" = 0 ]
