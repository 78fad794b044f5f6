#!/usr/bin/env bash
# Runs every test binary and shell test; prints one tally line "N passed, N failed".
# Test binaries print "ok|FAIL|skip - name" per case; shell tests (tests/test_*.sh) count as one case.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
pass=0 fail=0 failed_names=()
log=$(mktemp -d /tmp/qoslab-tests.XXXXXX)
trap 'rm -rf "$log"' EXIT

tally() { # $1 = name, $2 = output file, $3 = exit status
	local p f
	p=$(grep -c '^ok - ' "$2"); f=$(grep -c '^FAIL - ' "$2")
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	grep -E '^(ok|FAIL|skip) - ' "$2" | sed "s|^|$1: |"
	if [ "$f" -ne 0 ]; then failed_names+=("$1"); sed 's/^/    /' "$2" | grep -vE '^    (ok|skip) - ' | tail -40; fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	timeout 900 "$t" >"$log/$name" 2>&1; st=$?
	tally "$name" "$log/$name" "$st"
done
for t in tests/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	BUILD=$BUILD timeout 900 bash "$t" >"$log/$name" 2>&1; st=$?
	if ! grep -qE '^(ok|FAIL|skip) - ' "$log/$name"; then
		[ "$st" -eq 0 ] && echo "ok - $name" >>"$log/$name" || echo "FAIL - $name" >>"$log/$name"
	fi
	tally "$name" "$log/$name" "$st"
done
[ ${#failed_names[@]} -eq 0 ] || echo "failed in: ${failed_names[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
