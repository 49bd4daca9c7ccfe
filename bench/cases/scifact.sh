# scifact.sh - retrieval quality on BEIR SciFact (issue #7, benchmark 5).
#
# nDCG@10 and recall@10 through the search endpoint, one file per document, next to a plain
# BM25 computed by tools/scifact.py on the same data in the same run (goal: nDCG@10 >= 0.68
# and never below the plain BM25).

SCIFACT="/work/shared/data/beir/scifact"

bench_scifact() {
	local dir out ours plain

	dir=$(new_data_dir scifact)
	server_start "$dir"
	out=$(python3 "$BENCH_DIR/tools/scifact.py" "http://127.0.0.1:$SRV_PORT" "$SCIFACT")
	log "scifact: $out"
	server_stop
	ours=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["assistd"]["ndcg@10"])' "$out")
	plain=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["plain_bm25"]["ndcg@10"])' "$out")
	record "SciFact nDCG@10 (keyword)" "$ours; plain BM25 in the same run $plain" \
		"≥ 0.68, ≥ plain" "$(verdict "$ours >= 0.68 && $ours" '>=' "$plain")"
	rm -rf "$dir"
}
