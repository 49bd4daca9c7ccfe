# vs_search_pg.sh - keyword search latency over ~94k chunks on PostgreSQL, beside SQLite in the
# same run (issue #10, search on PostgreSQL; vs_search.sh is the SQLite benchmark).
#
# The text of vs_search.sh (SciFact's abstracts over and over, 45 MB, static chunks of 100
# tokens) is ingested by a server on SQLite and searched with the 300 SciFact test queries
# over one keep-alive connection (tools/vs_bench.py); then the same on a server whose store is
# a throwaway PostgreSQL cluster (scripts/pg.sh). On PostgreSQL the CPU time per search counts
# the server and the database's processes together (db_cpu_ms apart). With BENCH_BEFORE_BIN
# set, that build ingests into PostgreSQL and is searched first (it opens a database of its
# own schema version, which a later build then migrates); then this build opens the same database, is searched over the same chunks, and
# ingests the text once more into a second store, so that ingestion is compared too. This
# build searches twice: first with its cache of document frequencies empty (each query's new
# lexemes are counted), then again.

VS_TOOL="$BENCH_DIR/tools/vs_bench.py"
SCIFACT="/work/shared/data/beir/scifact"

# vsp_run LABEL PIDS STORE: one search row for the running server over STORE.
vsp_run() {
	local res

	res=$(python3 "$VS_TOOL" "$SRV_PORT" "$2" search "$3" "$SCIFACT/queries.jsonl" 300)
	log "vs_search_pg $1: $res"
	record "keyword search, 100k-chunk text, $1" \
		"p50 $(json_get "$res" p50_ms) ms, p90 $(json_get "$res" p90_ms) ms, mean $(json_get "$res" mean_ms) ms; CPU $(json_get "$res" server_cpu_ms) ms a search (database $(json_get "$res" db_cpu_ms) ms)" \
		"-" "-"
}

# vsp_ingest LABEL PIDS TEXT: ingests TEXT into a new store of the running server; prints
# the store's id and records the ingestion's time.
vsp_ingest() {
	local out

	out=$(python3 "$VS_TOOL" "$SRV_PORT" "$2" ingest "$3" 100 0)
	log "vs_search_pg ingest $1: $out"
	record "ingestion of the 45 MB text, $1" \
		"$(json_get "$out" seconds) s, CPU $(json_get "$out" cpu_s) s" "-" "-"
	json_get "$out" store
}

bench_vs_search_pg() {
	local dir text url db store

	have_server || { record "keyword search on PostgreSQL" "no server" "-" "n/a"; return 0; }
	pg_start vs_search_pg || { record "keyword search on PostgreSQL" "no PostgreSQL" "-" "n/a"
		return 0; }
	dir=$(new_data_dir vs_search_pg)
	text="$OUT/vs_100k_chunks.txt"
	python3 "$VS_TOOL" 0 0 corpus "$text" 45000000
	server_start "$dir"
	store=$(vsp_ingest "SQLite" "$SRV_PID" "$text")
	vsp_run "SQLite" "$SRV_PID" "$store"
	server_stop
	rm -rf "$dir"
	url=$(pg_db vs)
	db=$(head -n 1 "$bench_pg/data/postmaster.pid")
	dir=$(new_data_dir vs_search_pg)
	if [ -n "${BENCH_BEFORE_BIN:-}" ]; then
		ASSISTD_BIN=$BENCH_BEFORE_BIN server_start "$dir" --database-url "$url"
		store=$(vsp_ingest "PostgreSQL, before" "$SRV_PID,$db" "$text")
		vsp_run "PostgreSQL, before" "$SRV_PID,$db" "$store"
		server_stop
	fi
	server_start "$dir" --database-url "$url"
	[ -z "${BENCH_BEFORE_BIN:-}" ] || vsp_run "PostgreSQL" "$SRV_PID,$db" "$store"
	[ -z "${BENCH_BEFORE_BIN:-}" ] || vsp_run "PostgreSQL, again" "$SRV_PID,$db" "$store"
	store=$(vsp_ingest "PostgreSQL" "$SRV_PID,$db" "$text")
	[ -n "${BENCH_BEFORE_BIN:-}" ] || vsp_run "PostgreSQL" "$SRV_PID,$db" "$store"
	server_stop
	rm -rf "$dir" "$text"
}
