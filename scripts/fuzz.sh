#!/bin/sh
# fuzz.sh - run each libFuzzer target (make fuzz) for a while from its seed corpus.
#
#   scripts/fuzz.sh                  every target in fuzz/, FUZZ_SECONDS each
#   scripts/fuzz.sh json sse         some of them
#   FUZZ_SECONDS=600 scripts/fuzz.sh a longer hunt
#
# Environment: B (build dir, default build), FUZZ_SECONDS (per target, default 20).
# Seeds come from fuzz/corpus/<target>/ and are never written to; what a run finds goes to a
# temporary corpus, and an input that crashes is kept as $B/fuzz/crash-<target>-<hash> with
# the command that replays it. Prints "fuzz <target>: ok" or "fuzz <target>: FAILED" per
# target, then "N passed, N failed"; the exit status is non-zero when one failed. Add the
# crashing input to fuzz/corpus/<target>/ as a regression seed once the bug is fixed.
set -u

cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
secs=${FUZZ_SECONDS:-20}
targets=${*:-$(ls fuzz/fuzz_*.c | sed -e 's|fuzz/fuzz_||' -e 's|\.c$||')}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/assistd-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The sanitizers' reports end the run; leaks count as findings.
export ASAN_OPTIONS="${FUZZ_ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0
failed=0
for t in $targets; do
	bin="$B/fuzz/fuzz_$t"
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: FAILED ($bin is not built: run make fuzz)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$tmp/$t"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$tmp/$t-" "$tmp/$t" "fuzz/corpus/$t" >"$tmp/$t.log" 2>&1; then
		runs=$(grep -E '^stat::number_of_executed_units' "$tmp/$t.log" | awk '{print $2}')
		echo "fuzz $t: ok (${runs:-?} inputs in ${secs}s)"
		passed=$((passed + 1))
	else
		tail -n 40 "$tmp/$t.log"
		for a in "$tmp/$t"-*; do
			[ -e "$a" ] || continue
			keep="$B/fuzz/crash-$t-$(basename "$a" | sed "s/^$t-//")"
			cp "$a" "$keep"
			echo "fuzz $t: replay with $bin $keep"
		done
		echo "fuzz $t: FAILED"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
