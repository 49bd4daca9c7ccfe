# hybrid_search.sh - hybrid (keyword + embeddings) search latency over 100k chunks (issue #7,
# benchmark 3, hybrid half).
#
# The store of vs_search (100k chunks of 100 tokens, SciFact abstracts over and over), this
# time ingested with an embedding model: the fake upstream's hashed bag-of-words vectors of 256
# dimensions (tests/fake_upstream/embed.js). The 300 SciFact test queries go through the search
# endpoint over one keep-alive connection; each search embeds its query through the fake, so
# the p50 of that call alone, measured the same way just after, is subtracted (goal: at most
# 20 ms without it). Beside it: 300 queries of one made-up word that no chunk holds, so that the
# keyword ranker finds nothing at once and the time is the vector ranker's (embedding call
# subtracted too); and the same data directory served without an embedding model, for keyword
# search alone over the same chunks.

VS_TOOL="$BENCH_DIR/tools/vs_bench.py"
SCIFACT="/work/shared/data/beir/scifact"
HYBRID_MODEL="fake-embedding"

bench_hybrid_search() {
	local dir text out store chunks q hyb emb kw net

	. "$BENCH_DIR/tools/engine_lib.sh"
	dir=$(new_data_dir hybrid_search)
	text="$OUT/hybrid_100k_chunks.txt"
	q="$SCIFACT/queries.jsonl"
	python3 "$VS_TOOL" 0 0 corpus "$text" 45000000
	fake_start '{"text":"ok"}'
	engine_server_start "$dir" --embedding-model "$HYBRID_MODEL"
	out=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" ingest "$text" 100 0)
	log "hybrid_search ingest: $out"
	store=$(json_get "$out" store)
	chunks=$(sqlite3 "$dir/assistd.db" "SELECT count(*) FROM chunks" 2>/dev/null || echo "?")
	hyb=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" search "$store" "$q" 300)
	python3 -c 'import json
for i in range(300): print(json.dumps({"text": "qzx%dvy" % i}))' >"$OUT/hybrid_nowords.jsonl"
	vec=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" search "$store" "$OUT/hybrid_nowords.jsonl" \
		300)
	emb=$(python3 "$BENCH_DIR/tools/hybrid_bench.py" embed "$FAKE_PORT" "$q" 300 "$HYBRID_MODEL")
	server_stop
	server_start "$dir"
	kw=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" search "$store" "$q" 300)
	server_stop
	log "hybrid_search: hybrid $hyb; vector alone $vec; embedding call $emb; keyword $kw"
	net=$(calc "$(json_get "$hyb" p50_ms) - $(json_get "$emb" p50_ms)")
	record "hybrid search, $chunks chunks × 256 dims" \
		"p50 $net ms without the query's embedding call ($(json_get "$hyb" p50_ms) ms with it; the call alone $(json_get "$emb" p50_ms) ms); p90 $(json_get "$hyb" p90_ms) ms; server CPU $(json_get "$hyb" server_cpu_ms) ms a search (keyword alone $(json_get "$kw" server_cpu_ms) ms). Vector ranking alone: p50 $(calc "$(json_get "$vec" p50_ms) - $(json_get "$emb" p50_ms)") ms. Keyword alone, same chunks: p50 $(json_get "$kw" p50_ms) ms" \
		"p50 ≤ 20 ms" "$(verdict "$net" '<=' 20)"
	rm -rf "$dir" "$text" "$OUT/hybrid_nowords.jsonl"
}
