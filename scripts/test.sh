#!/bin/sh
# test.sh - run every test: the C unit tests, then the end-to-end tests against the
# sanitizer build of the server. Run by `make test` after `make test-build`.
#
#   scripts/test.sh                 everything
#   scripts/test.sh --e2e-only      skip the unit tests
#   E2E_FILES="threads.test.js messages.test.js" scripts/test.sh   a subset of the e2e files
#   (names in tests/e2e, or paths from the repository root such as tests/fake_upstream/x.test.js)
#
# The e2e run also covers tests/fake_upstream/*.test.js (the fake model server's own tests).
#
# Both backends: a throwaway PostgreSQL cluster (scripts/pg.sh) starts first and is removed at
# the end, even on failure. The unit tests get its socket directory in ASSISTD_TEST_PG and run
# the store's tests on it too; then the e2e files run a second time, each server on a fresh
# database of that cluster (tests/e2e/lib/pg.js; the files in its PENDING list are left out).
# PG=0 skips PostgreSQL (both passes).
#
# Between the two, each libFuzzer target (make fuzz) runs for FUZZ_SECONDS (scripts/fuzz.sh);
# each target counts as one test, failed when it finds a crash.
#
# Environment: B (build dir, default build), ASSISTD_BIN (default $B/test/assistd),
# E2E_CONCURRENCY (test files run at once, default 4; the PostgreSQL pass runs E2E_PG_CONCURRENCY,
# default 6), E2E_TIMEOUT_MS (per test, default 120000),
# FUZZ_SECONDS (per fuzz target, default 20; 0 skips fuzzing).
#
# The last line printed is "N passed, N failed" (unit + e2e); the exit status is non-zero when
# anything failed or could not run.
set -u

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
B=${B:-build}
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
UNIT_BIN="$B/test/unit"
export ASSISTD_BIN="${ASSISTD_BIN:-$B/test/assistd}"

# Sanitizers: LeakSanitizer works here (no ptrace restriction in this environment); leaks fail
# the run. abort_on_error makes a report end the process with a non-zero status.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_unit=1
[ "${1:-}" = "--e2e-only" ] && run_unit=0

passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/assistd-test.XXXXXX")
pgdir=""
cleanup() {
	[ -n "$pgdir" ] && scripts/pg.sh stop "$pgdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the throwaway PostgreSQL cluster ---------------------------------------------------------
if [ "${PG:-1}" = 1 ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/assistd-pg.XXXXXX")
	if scripts/pg.sh start "$pgdir" >/dev/null; then
		export ASSISTD_TEST_PG="$pgdir"
		echo "== PostgreSQL: a throwaway cluster in $pgdir"
	else
		echo "pg: the throwaway cluster did not start: counted as a failure"
		failed=$((failed + 1))
		rm -rf "$pgdir"
		pgdir=""
	fi
fi

# --- unit tests -------------------------------------------------------------------------------
if [ "$run_unit" = 1 ]; then
	echo "== unit tests ($UNIT_BIN)"
	if [ -x "$UNIT_BIN" ]; then
		"$UNIT_BIN" >"$tmp/unit.out" 2>&1
		unit_rc=$?
		cat "$tmp/unit.out"
		summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/unit.out" | tail -n 1)
		if [ -n "$summary" ]; then
			up=$(echo "$summary" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/')
			uf=$(echo "$summary" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/')
		else
			# no summary: count the TAP-ish lines, and count the crash itself as a failure
			up=$(grep -c '^ok - ' "$tmp/unit.out")
			uf=$(grep -c '^not ok - ' "$tmp/unit.out")
			uf=$((uf + 1))
			echo "unit: no summary line (exit status $unit_rc): counted as a failure"
		fi
		if [ "$unit_rc" -ne 0 ] && [ "$uf" -eq 0 ]; then
			echo "unit: exit status $unit_rc with no failed test: counted as a failure"
			uf=1
		fi
		passed=$((passed + up))
		failed=$((failed + uf))
	else
		echo "unit: $UNIT_BIN not built (run make test-build)"
		failed=$((failed + 1))
	fi
fi

# --- fuzzing ----------------------------------------------------------------------------------
if [ "$run_unit" = 1 ] && [ "${FUZZ_SECONDS:-20}" != 0 ]; then
	echo "== fuzz targets (${FUZZ_SECONDS:-20} s each)"
	B="$B" scripts/fuzz.sh >"$tmp/fuzz.out" 2>&1
	cat "$tmp/fuzz.out"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/fuzz.out" | tail -n 1)
	if [ -n "$summary" ]; then
		passed=$((passed + $(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')))
		failed=$((failed + $(echo "$summary" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
	else
		echo "fuzz: no summary line: counted as a failure"
		failed=$((failed + 1))
	fi
fi

# --- end-to-end tests -------------------------------------------------------------------------
E2E="$ROOT/tests/e2e"
echo "== e2e tests ($ASSISTD_BIN)"
e2e_ok=1
if ! command -v node >/dev/null 2>&1; then
	echo "e2e: node is not installed (scripts/deps.sh installs it)"
	e2e_ok=0
elif [ ! -x "$ASSISTD_BIN" ]; then
	echo "e2e: $ASSISTD_BIN not built (run make test-build)"
	e2e_ok=0
else
	# install the pinned packages when node_modules is missing or older than the lock file
	if [ ! -d "$E2E/node_modules" ] ||
		[ -n "$(find "$E2E/package-lock.json" -newer "$E2E/node_modules" 2>/dev/null)" ]; then
		echo "e2e: npm ci"
		if (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.out" 2>&1); then
			touch "$E2E/node_modules"
		else
			cat "$tmp/npm.out"
			echo "e2e: npm ci failed"
			e2e_ok=0
		fi
	fi
fi

if [ "$e2e_ok" = 1 ]; then
	if [ -n "${E2E_FILES:-}" ]; then
		files=""
		for f in $E2E_FILES; do
			case "$f" in
			tests/e2e/*) f=${f#tests/e2e/} ;;
			tests/*) f=../${f#tests/} ;;
			esac
			files="$files $f"
		done
	else
		# the e2e files, and the fake upstream's own tests (paths relative to tests/e2e)
		files=$(cd "$E2E" && ls ./*.test.js ../fake_upstream/*.test.js 2>/dev/null)
	fi
	if [ -z "$files" ]; then
		echo "e2e: no test files"
		e2e_ok=0
	fi
fi

# run_e2e LABEL CONCURRENCY PGDIR FILES...: one pass of node --test over FILES (relative to
# tests/e2e), on the cluster in PGDIR ("" for SQLite), adding its counts to passed/failed.
run_e2e() {
	label=$1
	conc=$2
	e2e_pg=$3
	shift 3
	tap="$tmp/e2e-$label.tap"
	# spec reporter for people, TAP to a file for counting
	(cd "$E2E" && ASSISTD_TEST_PG="$e2e_pg" node --test \
		--test-concurrency="$conc" \
		--test-timeout="${E2E_TIMEOUT_MS:-120000}" \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$tap" \
		"$@")
	node_rc=$?
	# the root summary comes last in the TAP stream
	ep=$(grep -E '^# pass [0-9]+' "$tap" | tail -n 1 | awk '{print $3}')
	ef=$(grep -E '^# fail [0-9]+' "$tap" | tail -n 1 | awk '{print $3}')
	ec=$(grep -E '^# cancelled [0-9]+' "$tap" | tail -n 1 | awk '{print $3}')
	if [ -z "$ep" ] || [ -z "$ef" ]; then
		echo "e2e ($label): the test runner printed no summary (exit status $node_rc): counted as a failure"
		ep=${ep:-0}
		ef=$(( ${ef:-0} + 1 ))
	fi
	ef=$((ef + ${ec:-0}))
	if [ "$node_rc" -ne 0 ] && [ "$ef" -eq 0 ]; then
		echo "e2e ($label): node --test exited $node_rc with no failed test: counted as a failure"
		ef=1
	fi
	if [ "${ec:-0}" -gt 0 ]; then echo "e2e ($label): $ep passed, $ef failed ($ec of them cancelled)"; else echo "e2e ($label): $ep passed, $ef failed"; fi
	passed=$((passed + ep))
	failed=$((failed + ef))
}

if [ "$e2e_ok" = 1 ]; then
	# shellcheck disable=SC2086
	run_e2e sqlite "${E2E_CONCURRENCY:-4}" "" $files
	if [ -n "$pgdir" ]; then
		# the server's own files (not the fake upstream's), less the pending ones
		pending=$(cd "$E2E" && node -e 'console.log(require("./lib/pg").PENDING.join(" "))')
		pgfiles=""
		for f in $files; do
			case "$f" in ../*) continue ;; esac
			case " $pending " in *" ${f#./} "*) echo "e2e (postgresql): $f pending"; continue ;; esac
			pgfiles="$pgfiles $f"
		done
		echo "== e2e tests on PostgreSQL ($ASSISTD_BIN)"
		# shellcheck disable=SC2086
		[ -n "$pgfiles" ] && run_e2e postgresql "${E2E_PG_CONCURRENCY:-6}" "$pgdir" $pgfiles
	fi
else
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
