# sandbox.sh - code_interpreter's sandbox through its C API (issue 8's three benchmarks).
#
# bench/out/sandbox_bench (bench/sandbox_bench.c) drives src/tools/sandbox on its own loop:
#   cold: a new thread's first `print(1)`, from sbx_exec to the result, 20 threads one after
#         another (the pool refilled between them), with the pool of 1 and then without one;
#   warm: 200 calls of `pass` in one session, then 50 of `time.sleep(0.01)` minus 10 ms;
#   idle: PSS of 10 idle sessions' processes (bubblewrap's two and Python), then again after
#         each imported numpy, pandas and matplotlib.pyplot.
# Goals: cold start with the pool ≤ 300 ms; warm overhead ≤ 10 ms.

bench_sandbox() {
	local bin="$OUT/sandbox_bench" out="$OUT/sandbox.txt" mem

	if [ ! -x "$bin" ]; then
		record "sandbox" "not built (make -C bench)" "-" "error"
		return 1
	fi
	{ "$bin" cold 20 && "$bin" warm 200 && "$bin" idle 10; } >"$out"
	v() { awk -v k="$1" '$1 == k { print $2 }' "$out"; }
	# "p50 X ms, p90 Y ms" of the samples named $1
	pct() { echo "p50 $(v "$1_p50") ms, p90 $(v "$1_p90") ms"; }
	record "sandbox cold start (pool of 1)" \
		"$(pct cold_pool) (no pool: $(pct cold_nopool))" \
		"≤ 300 ms" "$(verdict "$(v cold_pool_p90)" '<=' 300)"
	record "sandbox warm call overhead" \
		"\`pass\`: $(pct warm_pass); over a 10 ms sleep: $(pct warm_sleep10_overhead)" \
		"≤ 10 ms" "$(verdict "$(v warm_pass_p90)" '<=' 10)"
	mem="$(v idle_pss_kb_each) kB PSS each, $(v idle_fit_1gib) per GiB; after importing numpy,"
	mem="$mem pandas, matplotlib: $(v loaded_pss_kb_each) kB, $(v loaded_fit_1gib) per GiB"
	record "sandbox idle session memory" "$mem" "-" "-"
}
