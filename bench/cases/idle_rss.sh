# idle_rss.sh - memory of an idle server (benchmark 4 of issue #2).
#
# Starts assistd on an empty data directory, waits 2 s, and reads VmRSS from
# /proc/PID/status. Goal: at most 10 MB (10,240 kB). RssAnon, the part that is the
# server's own memory rather than pages of shared libraries, is shown beside it. With
# BENCH_BEFORE_BIN set to another build (say, main's build/assistd), the same is measured on
# it in the same run, as the baseline row.

RSS_GOAL_KB=10240

# idle_measure BIN LABEL: one server, idle for 2 s, one row.
idle_measure() {
	local bin=$1 label=$2 dir kb anon

	dir=$(new_data_dir idle_rss)
	ASSISTD_BIN=$bin server_start "$dir"
	sleep 2
	kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SRV_PID/status")
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$SRV_PID/status")
	log "$label: idle RSS $kb kB ($(awk '/^Threads:/ { print $2 }' "/proc/$SRV_PID/status")" \
		"threads)"
	server_stop
	rm -rf "$dir"
	record "idle RSS ($label)" \
		"$(printf '%.1f' "$(calc "$kb / 1024")") MB ($kb kB; $anon kB anonymous)" \
		"≤ 10 MB" "$(verdict "$kb" '<=' "$RSS_GOAL_KB")"
}

bench_idle_rss() {
	each_build "idle RSS" "≤ 10 MB" idle_measure
}
