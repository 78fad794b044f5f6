#!/usr/bin/env bash
# The manual pages follow the code: every option a subcommand's --help prints appears in that
# subcommand's section of qoslab(1); every key of the scenario schema table (through
# `qoslab scenario schema`) appears in bold in qoslab-scenario(5); both pages render without
# warnings.
set -u
Q=${BUILD:-build}/qoslab
fail=0
check() { # name, command
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi
}
# roff source as plain text: \- is -, font escapes go
plain() { sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(mu/x/g' "$1"; }

# the lines of `.SS "qoslab CMD ..."` subsections, up to the next subsection of another command
section() { # page, cmd
	plain "$1" | awk -v cmd="$2" '
		/^\.S[SH] / { on = index($0, ".SS \"qoslab " cmd " ") == 1 || $0 == ".SS \"qoslab " cmd "\"" }
		on'
}

for page in doc/qoslab.1 doc/qoslab-scenario.5; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	check "renders_$(basename "$page")" "[ -z \"\$w\" ] || { echo \"\$w\"; false; }"
done

cmds=$("$Q" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
check commands_listed "[ \$(wc -w <<<\"\$cmds\") -ge 14 ]"
for c in $cmds; do
	text=$(section doc/qoslab.1 "$c")
	if [ -z "$text" ]; then
		echo "FAIL - man_$c: no .SS \"qoslab $c\" in doc/qoslab.1"; fail=1; continue
	fi
	missing=
	for o in $("$Q" "$c" --help 2>&1 | grep -oE '(^|[] [,(|])--?[a-zA-Z][a-zA-Z0-9-]*' |
		   sed 's/^[] [,(|]//' | sort -u); do
		grep -qE -- "(^|[] [,(|\"])$o([] ,.=;\"|)]|$)" <<<"$text" || missing="$missing $o"
	done
	check "man_$c" "[ -z '$missing' ] || { echo 'qoslab.1 lacks for $c:$missing'; false; }"
done

bold=$(plain doc/qoslab-scenario.5 | grep -E '^\.(B|BR|RB|BI|IB) ' | cut -d' ' -f2- | tr ' ",' '\n\n\n' | sort -u)
keys=$("$Q" scenario schema | jq -r '.. | objects | select(has("properties")) | .properties | keys[]' | sort -u)
missing=$(comm -23 <(echo "$keys") <(echo "$bold") | tr '\n' ' ')
check "scenario_keys_in_man5 ($(wc -l <<<"$keys") keys)" "[ -z '$missing' ] || { echo 'qoslab-scenario.5 lacks: $missing'; false; }"
exit $fail
