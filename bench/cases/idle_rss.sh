# idle_rss.sh - memory of an idle server (benchmark 4 of issue #2).
#
# Starts assistd on an empty data directory, waits 2 s, and reads VmRSS from
# /proc/PID/status. Goal: at most 10 MB (10,240 kB). RssAnon, the part that is the
# server's own memory rather than pages of shared libraries, is shown beside it.

RSS_GOAL_KB=10240

bench_idle_rss() {
	local dir kb anon

	if ! have_server; then
		record "idle RSS" "no server ($ASSISTD_BIN)" "≤ 10 MB" "n/a"
		return 0
	fi
	dir=$(new_data_dir idle_rss)
	server_start "$dir"
	sleep 2
	kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SRV_PID/status")
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$SRV_PID/status")
	log "idle RSS: $kb kB ($(awk '/^Threads:/ { print $2 }' "/proc/$SRV_PID/status") threads)"
	server_stop
	rm -rf "$dir"
	record "idle RSS" "$(printf '%.1f' "$(calc "$kb / 1024")") MB ($kb kB; $anon kB anonymous)" \
		"≤ 10 MB" "$(verdict "$kb" '<=' "$RSS_GOAL_KB")"
}
