#!/usr/bin/env bash
# qoslab scenario schema: a JSON Schema from the parser's table. An independent validator
# (python3-jsonschema) accepts every shipped scenario and rejects invalid files where
# scenario check rejects them, at the same key.
set -u
Q=${BUILD:-build}/qoslab
dir=$(mktemp -d /tmp/qoslab-schema.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # name, command
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi
}

"$Q" scenario schema >"$dir/schema.json"; st=$?
check schema_exit0_json "[ $st -eq 0 ] && jq -e '.\"\$schema\" and .properties.topology' '$dir/schema.json' >/dev/null"
# every key of the table is in the schema (a sample of each section)
check schema_has_keys "jq -e '.properties.workload.properties.max_outstanding and .properties.random_failures.properties.max_concurrent and .properties.links.items.properties.loss_gemodel and .properties.timeline.items.required == [\"at\",\"action\"] and .properties.timeline.items.anyOf[0].required == [\"node\"] and .properties.topology.properties.nodes.items.properties.role' '$dir/schema.json' >/dev/null"
check schema_defaults_from_table "jq -e '.properties.workload.properties.timeout.default == 30 and .properties.transport.anyOf[0].properties.chunk.default == 1024' '$dir/schema.json' >/dev/null"

out=$(python3 tests/schema_validate.py "$dir/schema.json" scenarios/*.yaml 2>&1); st=$?
check shipped_scenarios_valid "[ $st -eq 0 ] || { echo \"\$out\"; false; }"

# the other ways a value may be written (strings, units, shorthands) pass both
printf 'seed: 0x2a\ntransport: udp\npreprocess: {grayscale: yes, quality: "50"}\nlinks:\n  - {node: workers, loss: "5%%", delay: 10, rate: 10Mbit, loss_corr: 0.25}\nworkload: {timeout: 500ms, count: 4}\ntimeline:\n  - {at: 1.5s, action: fail, node: worker-1, failure: freeze}\nsweep:\n  - {key: "links[0].loss", values: [0, "2%%"], name: loss}\n' >"$dir/forms.yaml"
c=$("$Q" scenario check "$dir/forms.yaml" 2>&1); cst=$?
v=$(python3 tests/schema_validate.py "$dir/schema.json" "$dir/forms.yaml" 2>&1); vst=$?
check valid_forms_pass_both "[ $cst -eq 0 ] && [ $vst -eq 0 ] || { echo \"\$c\"; echo \"\$v\"; false; }"

# invalid files: NAME|YAML. Both must fail, and name the same key (one a prefix of the other)
while IFS='|' read -r name yaml; do
	[ -n "$name" ] || continue
	printf '%b' "$yaml" >"$dir/$name.yaml"
	c=$("$Q" scenario check "$dir/$name.yaml" 2>&1); cst=$?
	v=$(python3 tests/schema_validate.py "$dir/schema.json" "$dir/$name.yaml" 2>&1); vst=$?
	ckey=$(sed -n "s|^$dir/$name.yaml:[0-9]*: \([^:]*\): .*|\1|p" <<<"$c")
	vkey=$(sed -n "s|^$dir/$name.yaml: \([^:]*\): .*|\1|p" <<<"$v")
	if [ "$cst" -eq 2 ] && [ "$vst" -eq 1 ] && [ -n "$ckey" ] && [ -n "$vkey" ] &&
	   { [ "${ckey#"$vkey"}" != "$ckey" ] || [ "${vkey#"$ckey"}" != "$vkey" ]; }; then
		echo "ok - invalid_$name: both reject $ckey"
	else
		echo "FAIL - invalid_$name: scenario check ($cst) '$c' / validator ($vst) '$v'"; fail=1
	fi
done <<'EOF_CASES'
unknown_key|topology:\n  wrkers: 2\n
loss_range|links:\n  - node: worker-1\n    loss: 150%%\n
repeats_zero|repeats: 0\n
transport_choice|transport: sctp\n
link_without_node|links:\n  - delay: 10ms\n
not_an_integer|workload:\n  concurrency: many\n
event_action|timeline:\n  - {at: 1, action: explode, node: worker-1}\n
not_sweepable|sweep:\n  - key: seed\n    values: [1, 2]\n
sweep_no_values|sweep:\n  - key: topology.workers\n
bad_node|links:\n  - node: worker 1\n    delay: 5ms\n
graph_link_without_b|topology:\n  switches: [lan]\n  links:\n    - {a: client}\n
rate_no_unit|links:\n  - node: server\n    rate: 100\n
EOF_CASES
exit $fail
