#!/bin/sh
# deps.sh - make sure the Debian 12 packages assistd builds and tests with are installed.
#
# As root it installs what is missing with apt-get; as anyone else it prints the one
# apt-get line to run and fails. It changes nothing when everything is present.
set -eu

pkgs="gcc make pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev
	libpcre2-dev libpoppler-glib-dev libzip-dev libxml2-dev"
# clang with libFuzzer builds the fuzz targets (make fuzz), which make test runs.
pkgs="$pkgs clang libclang-rt-14-dev libfuzzer-14-dev"
# code_interpreter: the sandbox and the Python libraries its code may import
pkgs="$pkgs bubblewrap python3 python3-numpy python3-pandas python3-matplotlib python3-scipy
	python3-sklearn python3-seaborn python3-sympy python3-openpyxl python3-docx python3-pypdf
	python3-pil"
# Node.js runs the end-to-end tests; a node from another source (nodesource) is fine.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# gzip compresses the playground page (web/) at build time; the page tests drive Chromium.
pkgs="$pkgs gzip chromium"
# nginx balances several nodes in the failover tests (tests/e2e/failover_nginx.test.js).
pkgs="$pkgs nginx-light"
# PostgreSQL: libpq for the PostgreSQL store, and the server for the throwaway cluster the
# tests run on (scripts/pg.sh).
pkgs="$pkgs libpq-dev postgresql"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs wrk"

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "deps: missing Debian packages. Run this once, then try again:"
	echo "  sudo apt-get install -y$missing"
	exit 1
fi
