#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark script in bench/ (not tests; figures go in the closing notes).
set -eu
cd "$(dirname "$0")"
for b in *.sh; do
	[ "$b" = run.sh ] && continue
	echo "== bench/$b"
	bash "./$b"
done
