# upload_rss.sh - memory of the server during a 512 MB upload (benchmark 4 of issue #7).
#
# Starts assistd on an empty data directory, waits 2 s and reads its idle VmRSS, then uploads
# a 512 MB file (sparse: zeros, so making it costs nothing) with curl -F to POST /v1/files and
# reads VmHWM, the process's peak RSS, once the upload is answered. The upload streams to disk
# through the multipart parser, so the peak should stay near idle. Goal: peak at most 100 MB
# over idle. The upload's rate (upload to answer, fsync included) is shown beside it.

UPLOAD_MB=512
UPLOAD_GOAL_KB=$((100 * 1024))

bench_upload_rss() {
	local dir idle peak t0 t1 bytes mbs

	if ! have_server; then
		record "RSS during a 512 MB upload" "no server ($ASSISTD_BIN)" "≤ 100 MB over idle" "n/a"
		return 0
	fi
	dir=$(new_data_dir upload_rss)
	truncate -s "${UPLOAD_MB}M" "$dir/upload.bin"
	server_start "$dir/data"
	sleep 2
	idle=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SRV_PID/status")
	t0=$(date +%s.%N)
	curl -sS -H 'Authorization: Bearer x' -F purpose=assistants -F "file=@$dir/upload.bin" \
		"http://127.0.0.1:$SRV_PORT/v1/files" >"$OUT/upload.json"
	t1=$(date +%s.%N)
	peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV_PID/status")
	bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' \
		"$OUT/upload.json")
	server_stop
	rm -rf "$dir"
	if [ "$bytes" != $((UPLOAD_MB * 1024 * 1024)) ]; then
		log "upload answered $(head -c 300 "$OUT/upload.json")"
		return 1
	fi
	mbs=$(calc "$UPLOAD_MB / ($t1 - $t0)")
	log "idle $idle kB, peak $peak kB during the upload, $(printf '%.0f' "$mbs") MB/s"
	record "RSS during a 512 MB upload" \
		"+$(printf '%.1f' "$(calc "($peak - $idle) / 1024")") MB over idle (idle $(printf '%.1f' "$(calc "$idle / 1024")") MB, peak $(printf '%.1f' "$(calc "$peak / 1024")") MB); $(printf '%.0f' "$mbs") MB/s" \
		"≤ 100 MB over idle" "$(verdict "$((peak - idle))" '<=' "$UPLOAD_GOAL_KB")"
}
