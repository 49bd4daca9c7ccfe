# vs_ingest.sh - ingestion of plain text into a vector store (issue #7, benchmarks 1 and 4).
#
# A plain-text file of about 5M tokens (22 MB of SciFact abstracts, repeated) from upload to
# "completed", in MB/s, next to raw FTS5 inserts of the very chunks assistd stored, in the same
# run (goal: at least half the raw speed); and the server's peak RSS meanwhile over its idle RSS
# (goal: at most 100 MB). Client side: tools/vs_bench.py. Beside the wall-clock ratio, the ratio
# of CPU seconds (the server's, from upload to completed, against the raw inserts' process):
# what the wall-clock ratio would be on an idle machine, and far steadier on a busy one.

VS_TOOL="$BENCH_DIR/tools/vs_bench.py"

bench_vs_ingest() {
	local dir text out raw mbs raw_mbs ratio cpu_ratio over

	dir=$(new_data_dir vs_ingest)
	text="$OUT/vs_5m_tokens.txt"
	python3 "$VS_TOOL" 0 0 corpus "$text" 22000000
	server_start "$dir"
	sleep 1
	out=$(python3 "$VS_TOOL" "$SRV_PORT" "$SRV_PID" ingest "$text")
	log "vs_ingest: $out"
	server_stop
	raw=$(python3 "$VS_TOOL" 0 0 rawfts "$dir/assistd.db")
	log "vs_ingest raw FTS5: $raw"
	mbs=$(json_get "$out" mb_s)
	raw_mbs=$(calc "$(json_get "$out" bytes) / 1000000 / $(json_get "$raw" seconds)")
	ratio=$(calc "$mbs / $raw_mbs")
	cpu_ratio=$(calc "$(json_get "$raw" cpu_s) / $(json_get "$out" cpu_s)")
	over=$(calc "($(json_get "$out" peak_kb) - $(json_get "$out" idle_kb)) / 1024")
	record "ingestion, plain text (22 MB, 5M tokens)" \
		"$mbs MB/s; raw FTS5 inserts of the same chunks $(printf '%.2f' "$raw_mbs") MB/s (ratio $(printf '%.2f' "$ratio")); CPU: server $(json_get "$out" cpu_s) s, raw $(json_get "$raw" cpu_s) s (ratio $(printf '%.2f' "$cpu_ratio"))" \
		"≥ 0.5 of raw" "$(verdict "$ratio" '>=' 0.5)"
	record "RSS during that ingestion" "$(printf '%.1f' "$over") MB over idle" "≤ 100 MB" \
		"$(verdict "$over" '<=' 100)"
	rm -rf "$dir" "$text"
}
