# scifact_hybrid.sh - retrieval quality on BEIR SciFact with embeddings (issue #7, benchmark 5,
# hybrid half).
#
# tools/scifact.py against a server whose embedding model is the fake upstream's hashed
# bag-of-words vectors (tests/fake_upstream/embed.js: words hashed into 256 slots, no meaning,
# no stems; a stand-in for a real model, not one). Then the same data directory is served
# without an embedding model and searched again (SCIFACT_REUSE=1): keyword search alone over the
# same index, in the same run, beside the plain BM25 that scifact.py computes.

SCIFACT="/work/shared/data/beir/scifact"

bench_scifact_hybrid() {
	local dir hyb kw

	. "$BENCH_DIR/tools/engine_lib.sh"
	dir=$(new_data_dir scifact_hybrid)
	fake_start '{"text":"ok"}'
	engine_server_start "$dir" --embedding-model fake-embedding
	hyb=$(python3 "$BENCH_DIR/tools/scifact.py" "http://127.0.0.1:$SRV_PORT" "$SCIFACT")
	server_stop
	server_start "$dir"
	kw=$(SCIFACT_REUSE=1 python3 "$BENCH_DIR/tools/scifact.py" "http://127.0.0.1:$SRV_PORT" \
		"$SCIFACT")
	server_stop
	log "scifact_hybrid: hybrid $hyb; keyword $kw"
	record "SciFact, hybrid with the fake's hashed embeddings" \
		"$(scifact_row "$hyb" assistd); keyword alone on the same index $(scifact_row "$kw" assistd); plain BM25 $(scifact_row "$hyb" plain_bm25)" \
		"≥ keyword alone" "$(verdict "$(scifact_ndcg "$hyb")" '>=' "$(scifact_ndcg "$kw")")"
	rm -rf "$dir"
}

# scifact_row JSON WHICH: "nDCG@10 x, recall@10 y" of one ranking in scifact.py's output.
scifact_row() {
	python3 -c 'import json,sys; r = json.loads(sys.argv[1])[sys.argv[2]]
print("nDCG@10 %s, recall@10 %s" % (r["ndcg@10"], r["recall@10"]))' "$1" "$2"
}

scifact_ndcg() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])["assistd"]["ndcg@10"])' "$1"
}
