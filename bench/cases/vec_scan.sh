# vec_scan.sh - the vector ranker's own cost over 100k chunks of 256 dimensions (issue #7,
# benchmark 3, hybrid half, without HTTP, keyword search or the embedding call).
#
# bench/out/vec_bench (bench/vec_bench.c, built by `make -C bench` from the server's own
# objects) writes 100,000 random normalised 256-dim vectors into one store and times 100
# store_vec_search calls (20 hits each) after the first, which loads the in-memory copy. Wall
# and CPU time; goal: p50 at most 20 ms.

bench_vec_scan() {
	local dir res

	if [ ! -x "$OUT/vec_bench" ]; then
		record "vector ranker, 100k × 256" "not run: build bench/out/vec_bench (make -C bench)" \
			"p50 ≤ 20 ms" "n/a"
		return 0
	fi
	dir="$OUT/data-vec_scan"
	rm -rf "$dir"
	res=$("$OUT/vec_bench" "$dir" 100000 2>>"$OUT/server.log")
	log "vec_scan: $res"
	record "vector ranker, 100k chunks × 256 dims" \
		"p50 $(json_get "$res" p50_ms) ms wall, $(json_get "$res" cpu_p50_ms) ms CPU; p90 $(json_get "$res" p90_ms) ms wall; first search (loads the copy) $(json_get "$res" first_ms) ms" \
		"p50 ≤ 20 ms" "$(verdict "$(json_get "$res" p50_ms)" '<=' 20)"
	rm -rf "$dir"
}
