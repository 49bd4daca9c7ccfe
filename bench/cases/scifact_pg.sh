# scifact_pg.sh - keyword search quality on PostgreSQL next to SQLite (issue #10: "measure
# its quality against the SQLite path on the same collection").
#
# tools/scifact.py (BEIR SciFact: 5,183 abstracts, one file each; the 300 test queries through
# the search endpoint) against a server on SQLite, then against a server whose store is a
# throwaway PostgreSQL cluster (scripts/pg.sh), in the same run: nDCG@10 both ways. The two
# rank with the same BM25 (k1 1.2, b 0.75, Lucene's idf, scores over the query's maximum); they
# differ in the index: FTS5's porter tokenizer on SQLite, a tsvector of the assistd_text
# configuration (Snowball English) on PostgreSQL.

SCIFACT="/work/shared/data/beir/scifact"

# scifact_ndcg [SERVER ARGS...]: the nDCG@10 of a fresh server started with the arguments.
scifact_ndcg() {
	local dir out

	dir=$(new_data_dir scifact_pg)
	server_start "$dir" "$@"
	out=$(python3 "$BENCH_DIR/tools/scifact.py" "http://127.0.0.1:$SRV_PORT" "$SCIFACT")
	log "scifact ($*): $out"
	server_stop
	rm -rf "$dir"
	python3 -c 'import json,sys; r=json.loads(sys.argv[1])["assistd"]
print(r["ndcg@10"], r["recall@10"])' "$out"
}

bench_scifact_pg() {
	local pgdir url sq pg

	pgdir=$(mktemp -d /tmp/assistd-bench-pg.XXXXXX)
	# the case's own cleanup, then the cluster (shellcheck disable=SC2064: fixed now)
	trap "bench_cleanup; '$ROOT/scripts/pg.sh' stop '$pgdir'" EXIT
	if ! "$ROOT/scripts/pg.sh" start "$pgdir" >/dev/null; then
		record "SciFact nDCG@10 (keyword), PostgreSQL" "PostgreSQL did not start" \
			"≥ SQLite − 0.01" "error"
		return 1
	fi
	"$ROOT/scripts/pg.sh" createdb "$pgdir" scifact
	url=$("$ROOT/scripts/pg.sh" url "$pgdir" scifact)
	sq=$(scifact_ndcg)
	pg=$(scifact_ndcg --database-url "$url")
	record "SciFact nDCG@10 (keyword), PostgreSQL" \
		"${pg% *} (recall@10 ${pg#* }); SQLite in the same run ${sq% *} (recall@10 ${sq#* })" \
		"≥ SQLite − 0.01" "$(verdict "${pg% *}" '>=' "${sq% *} - 0.01")"
}
