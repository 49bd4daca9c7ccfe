#!/bin/sh
# pg.sh - a throwaway PostgreSQL cluster from Debian's packages, for the tests and benchmarks.
#
#   scripts/pg.sh start DIR   initdb in DIR (new or empty), start the server on a Unix socket
#                             in DIR (no TCP port), print the base URL to connect with
#   scripts/pg.sh stop DIR    stop that server and remove DIR
#   scripts/pg.sh url DIR [DB]  the URL of database DB (default postgres) in the cluster
#   scripts/pg.sh createdb DIR DB   create an empty database DB
#   scripts/pg.sh dropdb DIR DB     drop database DB
#
# The cluster runs as the `postgres` user when started as root (initdb refuses root), with
# trust authentication on the socket only, and settings for throwaway data (fsync off): never
# point it at data you keep. Callers stop it in a trap so that it goes even when tests fail.
# PG_DURABLE=1 keeps fsync on (synchronous_commit stays off), for benchmarks that measure
# durable writes.
set -eu

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed (scripts/deps.sh)" >&2; exit 1; }

# as_owner CMD...: runs CMD as the cluster's owner.
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { # url DIR DB
	echo "postgresql://postgres@/$2?host=$1"
}

start() {
	dir=$1
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	chmod 700 "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	fsync="-c fsync=off -c full_page_writes=off"
	[ "${PG_DURABLE:-0}" = 1 ] && fsync="-c fsync=on"
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
		"-c listen_addresses='' -c unix_socket_directories='$dir' $fsync \
		 -c synchronous_commit=off -c max_connections=400 -c shared_buffers=64MB" \
		>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	url "$dir" postgres
}

stop() {
	dir=$1
	[ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop \
		>/dev/null 2>&1 || true
	rm -rf "$dir"
}

case "${1:-}" in
start) start "$2" ;;
stop) stop "$2" ;;
url) url "$2" "${3:-postgres}" ;;
createdb) as_owner "$bin/createdb" -h "$2" -U postgres "$3" ;;
dropdb) as_owner "$bin/dropdb" -h "$2" -U postgres --if-exists "$3" ;;
*) echo "usage: scripts/pg.sh start|stop|url|createdb|dropdb DIR [DB]" >&2; exit 2 ;;
esac
