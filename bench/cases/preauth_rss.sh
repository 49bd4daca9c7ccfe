# preauth_rss.sh - memory while 200 clients upload 4 MB each without an API key (issue 6).
#
# Starts assistd with one key (so every request needs one) and runs tools/preauth_upload.py:
# 200 connections at once, each POSTing a 4 MB body without a key. Reads the server's peak
# RSS (VmHWM) afterwards. Goal: under 50 MB. With BENCH_BEFORE_BIN set to another build (say,
# main's build/assistd), the same is measured on it in the same run, as the baseline row.

PREAUTH_GOAL_KB=51200
PREAUTH_CONNECTIONS=200
PREAUTH_MB=4

# preauth_measure BIN LABEL: one server, one round of uploads, one row.
preauth_measure() {
	local bin=$1 label=$2 dir out idle peak
	dir=$(new_data_dir preauth)
	"$bin" keys create --project bench --data "$dir" >/dev/null 2>&1
	ASSISTD_BIN=$bin server_start "$dir"
	idle=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV_PID/status")
	out=$(python3 "$BENCH_DIR/tools/preauth_upload.py" "$SRV_PORT" "$PREAUTH_CONNECTIONS" \
		"$PREAUTH_MB")
	peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV_PID/status")
	log "$label: peak RSS $peak kB (idle $idle kB); uploads: $out"
	server_stop
	rm -rf "$dir"
	record "pre-auth uploads, peak RSS ($label)" \
		"$(printf '%.1f' "$(calc "$peak / 1024")") MB (idle $(printf '%.1f' \
		"$(calc "$idle / 1024")") MB; $PREAUTH_CONNECTIONS × $PREAUTH_MB MB, no key)" \
		"< 50 MB" "$(verdict "$peak" '<' "$PREAUTH_GOAL_KB")"
}

bench_preauth_rss() {
	each_build "pre-auth uploads, peak RSS" "< 50 MB" preauth_measure
}
