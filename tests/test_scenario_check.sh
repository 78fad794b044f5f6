#!/usr/bin/env bash
# qoslab scenario check: exit 0 and the trial count for a valid file; exit 2 and one line
# FILE:LINE: KEY: message for an invalid one, before anything is created.
set -u
Q=${BUILD:-build}/qoslab
dir=$(mktemp -d /tmp/qoslab-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0

out=$("$Q" scenario check scenarios/default.yaml 2>&1); st=$?
if [ "$st" -eq 0 ] && grep -q 'default: 3 points x 3 repeats = 9 trials' <<<"$out"; then
	echo "ok - valid file: exit 0, trial count"
else
	echo "FAIL - valid file: exit 0, trial count"; echo "$out"; fail=1
fi

out=$("$Q" scenario check --trials scenarios/default.yaml 2>&1)
if [ "$(grep -c '^[0-9]' <<<"$out")" -eq 9 ]; then
	echo "ok - --trials lists 9 trials"
else
	echo "FAIL - --trials lists 9 trials"; echo "$out"; fail=1
fi

printf 'links:\n  - node: worker-1\n    loss: 150%%\n' >"$dir/bad.yaml"
out=$("$Q" scenario check "$dir/bad.yaml" 2>&1 >/dev/null); st=$?
if [ "$st" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] &&
   grep -q "^$dir/bad.yaml:3: links\[0\].loss: invalid loss '150%'" <<<"$out"; then
	echo "ok - invalid file: exit 2, one line with FILE:LINE: KEY"
else
	echo "FAIL - invalid file: exit 2, one line with FILE:LINE: KEY (status $st)"; echo "$out"; fail=1
fi

# Names become directory names (results/NAME-STAMP): nothing a file says may leave results/.
long=$(printf 'n%.0s' $(seq 300))
for name in '../../../x' '' 'a/b' '/etc/x' '..' '.hidden' "$long" 'a b'; do
	printf 'name: "%s"\n' "$name" >"$dir/named.yaml"
	out=$("$Q" scenario check "$dir/named.yaml" 2>&1 >/dev/null); st=$?
	if [ "$st" -eq 2 ] && grep -q "^$dir/named.yaml:1: name: .* is not a scenario name" <<<"$out"; then
		echo "ok - name '${name:0:20}' refused"
	else
		echo "FAIL - name '${name:0:20}' refused (status $st)"; echo "$out"; fail=1
	fi
done
printf 'name: "../../escape"\n' >"$dir/named.yaml"
mkdir -p "$dir/a/b/c"
(cd "$dir/a/b/c" && "$OLDPWD/$Q" run "$dir/named.yaml" >/dev/null 2>&1); st=$?
if [ "$st" -eq 2 ] && [ -z "$(find "$dir" -name 'escape*')" ] && [ ! -e "$dir/a/b/c/results" ]; then
	echo "ok - run refuses a traversing name before creating anything"
else
	echo "FAIL - run refuses a traversing name before creating anything (status $st)"
	find "$dir"; fail=1
fi
cp scenarios/default.yaml "$dir/my scenario.yaml"
sed -i '/^name:/d' "$dir/my scenario.yaml"
out=$("$Q" scenario check "$dir/my scenario.yaml" 2>&1 >/dev/null); st=$?
if [ "$st" -eq 2 ] && grep -q 'the default is the file name: give the scenario a name:' <<<"$out"; then
	echo "ok - a file name that is no scenario name needs name:"
else
	echo "FAIL - a file name that is no scenario name needs name: (status $st)"; echo "$out"; fail=1
fi

# Hostile shapes are refused before libyaml builds a document, in well under a second.
ms() { echo $(( $(date +%s%N) / 1000000 )); }
head -c 1048576 /dev/zero | tr '\0' '[' >"$dir/nest.yaml"
t0=$(ms); out=$(timeout 20 "$Q" scenario check "$dir/nest.yaml" 2>&1); st=$?; dt=$(( $(ms) - t0 ))
if [ "$st" -eq 2 ] && grep -q 'nested deeper than 16 levels' <<<"$out" && [ "$dt" -lt 1000 ]; then
	echo "ok - 1 MiB of nested [ refused in $dt ms"
else
	echo "FAIL - 1 MiB of nested [ refused in $dt ms (status $st)"; echo "$out"; fail=1
fi
python3 -c '
import sys
print("name: al\nx: [" + ", ".join("&a%d x, *a%d" % (i, i) for i in range(50000)) + "]")' >"$dir/alias.yaml"
t0=$(ms); out=$(timeout 20 "$Q" scenario check "$dir/alias.yaml" 2>&1); st=$?; dt=$(( $(ms) - t0 ))
if [ "$st" -eq 2 ] && grep -q 'more than 256 anchors and aliases' <<<"$out" && [ "$dt" -lt 1000 ]; then
	echo "ok - 50k anchors refused in $dt ms"
else
	echo "FAIL - 50k anchors refused in $dt ms (status $st)"; echo "$out"; fail=1
fi
python3 -c '
print("name: tl\ntimeline:")
for i in range(20000): print("  - {at: %d, action: impair, node: client}" % i)' >"$dir/timeline.yaml"
t0=$(ms); out=$(timeout 60 "$Q" scenario check "$dir/timeline.yaml" 2>&1); st=$?; dt=$(( $(ms) - t0 ))
if [ "$st" -eq 0 ] && grep -q 'timeline: 20000 events' <<<"$out" && [ "$dt" -lt 5000 ]; then
	echo "ok - 20000 timeline events checked in $dt ms (linear)"
else
	echo "FAIL - 20000 timeline events checked in $dt ms (status $st)"; echo "$out"; fail=1
fi
python3 -c '
s = "name: big\nsweep:\n  - key: workload.count\n    values: [" + ",".join(str(i) for i in range(20, 10020)) + "]\n"
print(s + "#" + "x" * (1000000 - len(s)))' >"$dir/points.yaml"
t0=$(ms); out=$(timeout 60 "$Q" scenario check "$dir/points.yaml" 2>&1); st=$?; dt=$(( $(ms) - t0 ))
if [ "$st" -eq 2 ] && grep -q '10000 points x .* bytes of YAML' <<<"$out" && [ "$dt" -lt 2000 ]; then
	echo "ok - 10000 points of a 1 MB file refused in $dt ms"
else
	echo "FAIL - 10000 points of a 1 MB file refused in $dt ms (status $st)"; echo "$out"; fail=1
fi

# A FIFO (or any non-regular file) is refused without waiting for a writer.
mkfifo "$dir/fifo.yaml"
out=$(timeout 5 "$Q" scenario check "$dir/fifo.yaml" 2>&1); st=$?
if [ "$st" -eq 2 ] && grep -q 'not a regular file' <<<"$out"; then
	echo "ok - FIFO refused at once"
else
	echo "FAIL - FIFO refused at once (status $st)"; echo "$out"; fail=1
fi
out=$(timeout 5 "$Q" scenario check /dev/zero 2>&1); st=$?
[ "$st" -eq 2 ] && echo "ok - device refused" || { echo "FAIL - device refused ($st)"; fail=1; }

"$Q" scenario check --trials scenarios/default.yaml >/dev/full 2>/dev/null; st=$?
[ "$st" -eq 1 ] && echo "ok - output to a full disk: exit 1" || { echo "FAIL - output to a full disk: exit 1 ($st)"; fail=1; }

"$Q" scenario check >/dev/null 2>&1; st=$?
[ "$st" -eq 2 ] && echo "ok - no file: exit 2" || { echo "FAIL - no file: exit 2"; fail=1; }
exit $fail
