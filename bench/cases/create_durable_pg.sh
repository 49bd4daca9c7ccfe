# create_durable_pg.sh - durable message creation on one node on PostgreSQL (issue #10,
# benchmark 1), next to create_durable's SQLite.
#
# The same measurement as create_durable.sh (wrk POSTs messages, the server is killed with
# SIGKILL when wrk stops, restarted, and every acknowledged message must be there), with the
# store in a throwaway PostgreSQL cluster on a Unix socket of this machine (scripts/pg.sh),
# started with fsync on and synchronous_commit off: a commit survives assistd's and
# PostgreSQL's crash, and at worst the last few milliseconds of commits go in a power cut,
# the same promise as SQLite's WAL with synchronous=NORMAL that create_durable measures.

. "$BENCH_DIR/cases/create_durable.sh"

bench_create_durable_pg() {
	local pgdir url

	pgdir=$(mktemp -d /tmp/assistd-bench-pg.XXXXXX)
	# the case's own cleanup, then the cluster (shellcheck disable=SC2064: fixed now)
	trap "bench_cleanup; '$ROOT/scripts/pg.sh' stop '$pgdir'" EXIT
	if ! PG_DURABLE=1 "$ROOT/scripts/pg.sh" start "$pgdir" >/dev/null; then
		record "durable creates, PostgreSQL (kill -9, restart)" "PostgreSQL did not start" \
			"≥ 5,000/s, all survive" "error"
		return 1
	fi
	"$ROOT/scripts/pg.sh" createdb "$pgdir" bench
	url=$("$ROOT/scripts/pg.sh" url "$pgdir" bench)
	durable_creates "durable creates, PostgreSQL 1 node (kill -9, restart)" \
		--database-url "$url"
}
