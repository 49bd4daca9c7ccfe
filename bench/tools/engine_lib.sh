# engine_lib.sh - what the run-engine cases (run_overhead, stream_latency, stream_many,
# cancel_latency) share; sourced by those cases, after lib.sh.
#
# They run assistd against the fake OpenAI-compatible upstream of tests/fake_upstream, started
# as its own Node process by tools/fake.js, and drive it with the Node programs in tools/.
# Both processes are remembered in bench_pids, so they are killed when the case ends.
# ENGINE_WHY, set when a check fails, is read by the cases.
# shellcheck disable=SC2034

# engine_ready: true when node is installed; else sets ENGINE_WHY.
engine_ready() {
	if ! command -v node >/dev/null; then
		ENGINE_WHY="node is not installed"
		return 1
	fi
	return 0
}

# engine_or_skip LABEL GOAL: true when the server binary and node are there; else records
# LABEL as not run (GOAL beside it) and is false, so that a case says `|| return 0`.
engine_or_skip() {
	if have_server && engine_ready; then
		return 0
	fi
	record "$1" "not run: ${ENGINE_WHY:-no server ($ASSISTD_BIN)}" "$2" "n/a"
	return 1
}

# sdk_ready: engine_ready, and the official openai package of the end-to-end tests is in
# tests/e2e/node_modules, installed from its lock file (npm ci, as scripts/test.sh does) if
# missing; else sets ENGINE_WHY.
sdk_ready() {
	local e2e="$ROOT/tests/e2e"

	engine_ready || return 1
	[ -d "$e2e/node_modules/openai" ] && return 0
	log "installing the test packages: npm ci in tests/e2e"
	if ! (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error) >&2; then
		ENGINE_WHY="npm ci in tests/e2e failed (the openai package is needed)"
		return 1
	fi
}

# fake_start STEP_JSON [--stamp]: starts tools/fake.js answering every chat completion with
# STEP_JSON; sets FAKE_PID and FAKE_PORT. Its output goes to out/fake.log.
fake_start() {
	FAKE_PORT=$(free_port)
	node "$BENCH_DIR/tools/fake.js" --port "$FAKE_PORT" --step "$1" "${@:2}" \
		>>"$OUT/fake.log" 2>&1 &
	FAKE_PID=$!
	bench_pids+=("$FAKE_PID")
	wait_port "$FAKE_PORT" "$FAKE_PID"
}

# engine_server_start DIR [OPTION...]: server_start with the fake as upstream (fake_start
# first) and any further options; sets SRV_PID and SRV_PORT.
engine_server_start() {
	local dir=$1
	shift
	server_start "$dir" --upstream-url "http://127.0.0.1:$FAKE_PORT/v1" "$@"
}

# jget FILE KEY...: the values of top-level keys of the one JSON object in FILE, one a line;
# numbers with up to 3 decimals.
jget() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = d.get(k)
    print(f"{v:.3f}" if isinstance(v, float) else v)
EOF
}

# fmt_ms MS: 0.4123 -> 0.41 ms, 12.3 -> 12.3 ms, 1234.5 -> 1,235 ms
fmt_ms() {
	awk -v x="$1" 'BEGIN { if (x < 10) printf "%.2f ms", x; else if (x < 100) printf "%.1f ms", x;
		else printf "%.0f ms", x }' | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'
}
