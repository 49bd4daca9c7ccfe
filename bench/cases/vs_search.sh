# vs_search.sh - keyword search latency over 100k chunks (issue #7, benchmark 3).
#
# One store of 100k chunks (static chunking, 100 tokens, no overlap, so that 100k chunks take
# 45 MB of text rather than 350), searched with the 300 SciFact test queries over one
# keep-alive connection (goal: p50 at most 5 ms). Client side: tools/vs_bench.py.

VS_TOOL="$BENCH_DIR/tools/vs_bench.py"
SCIFACT="/work/shared/data/beir/scifact"

bench_vs_search() {
	local dir text out store chunks res

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
	record "keyword search, $chunks chunks" \
		"p50 $(json_get "$res" p50_ms) ms, p90 $(json_get "$res" p90_ms) ms (300 SciFact queries)" \
		"p50 ≤ 5 ms" "$(verdict "$(json_get "$res" p50_ms)" '<=' 5)"
	rm -rf "$dir" "$text"
}
