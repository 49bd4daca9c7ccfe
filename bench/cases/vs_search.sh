# vs_search.sh - keyword search latency over 100k chunks (issue #7, benchmark 3).
#
# One store of 100k chunks (static chunking, 100 tokens, no overlap, so that 100k chunks take
# 45 MB of text rather than 350), searched with the 300 SciFact test queries over one
# keep-alive connection (goal: p50 at most 5 ms). Client side: tools/vs_bench.py. Then, with
# the server stopped, the same queries through the search stage alone on the same data
# (out/kw_bench: no HTTP, no JSON), CPU time included: what the search itself costs.

VS_TOOL="$BENCH_DIR/tools/vs_bench.py"
SCIFACT="/work/shared/data/beir/scifact"

bench_vs_search() {
	local dir text out store chunks res kw

	dir=$(new_data_dir vs_search)
	text="$OUT/vs_100k_chunks.txt"
	python3 "$VS_TOOL" 0 0 corpus "$text" 45000000
	server_start "$dir"
	out=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" ingest "$text" 100 0)
	store=$(json_get "$out" store)
	chunks=$(sqlite3 "$dir/assistd.db" "SELECT count(*) FROM chunks" 2>/dev/null || echo "?")
	res=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" search "$store" "$SCIFACT/queries.jsonl" 300)
	log "vs_search ($chunks chunks): $res"
	server_stop
	python3 -c 'import json, sys
for line in open(sys.argv[1]).readlines()[:300]: print(json.loads(line)["text"].replace("\n", " "))' \
		"$SCIFACT/queries.jsonl" >"$OUT/vs_search_queries.txt"
	kw=$("$BENCH_DIR/out/kw_bench" "$dir" default "$store" "$OUT/vs_search_queries.txt" 2)
	log "vs_search in-process: $kw"
	record "keyword search, $chunks chunks" \
		"p50 $(json_get "$res" p50_ms) ms, p90 $(json_get "$res" p90_ms) ms (300 SciFact queries); server CPU $(json_get "$res" server_cpu_ms) ms a search" \
		"p50 ≤ 5 ms" "$(verdict "$(json_get "$res" p50_ms)" '<=' 5)"
	record "keyword search alone (kw_bench, no HTTP)" \
		"first pass p50 $(json_get "$kw" first_p50_ms) ms ($(json_get "$kw" first_cpu_p50_ms) ms CPU); second pass p50 $(json_get "$kw" last_p50_ms) ms ($(json_get "$kw" last_cpu_p50_ms) ms CPU)" \
		"-" "-"
	rm -rf "$dir" "$text" "$OUT/vs_search_queries.txt"
}
