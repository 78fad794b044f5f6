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

"$Q" scenario check >/dev/null 2>&1; st=$?
[ "$st" -eq 2 ] && echo "ok - no file: exit 2" || { echo "FAIL - no file: exit 2"; fail=1; }
exit $fail
