#!/usr/bin/env bash
# Setup and teardown time of a testbed with N workers, on the host kernel and inside UML.
# Several repetitions; prints the median of each. Not a test: figures for the notes.
set -eu
cd "$(dirname "$0")/.."
Q=./build/qoslab
REPS=${REPS:-5}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '%-6s %-4s %12s %12s\n' kernel N setup_s teardown_s
for kernel in host uml; do
	for n in 1 16 64 128; do
		setups=() teardowns=()
		for _ in $(seq "$REPS"); do
			out=$($Q testbed --kernel "$kernel" --workers "$n" --timing)
			setups+=("$(awk '/^setup/ {print $2}' <<<"$out")")
			teardowns+=("$(awk '/^teardown/ {print $2}' <<<"$out")")
		done
		printf '%-6s %-4s %12s %12s\n' "$kernel" "$n" \
			"$(printf '%s\n' "${setups[@]}" | median)" "$(printf '%s\n' "${teardowns[@]}" | median)"
	done
done
