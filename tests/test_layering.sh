#!/usr/bin/env bash
# Directories include only directories below them. The order is DESIGN.md's "layers:" line
# (the one place it is written); every `#include "dir/..."` of the source tree is checked
# against it, and the directory graph must have no cycle. A violation names file and line.
set -u
cd "$(dirname "$0")/.."
fail=0
check() { # name, command
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi
}

# layering ROOT: prints one line per violation under ROOT; status 1 when there is one.
# Top-level files (main.c, the units/regfile/version utilities) stand outside the order: main
# may include every layer, and `#include "units.h"` (no directory) is not a layer's include.
# tests/ and bench/ sit above everything and are not checked.
layering() {
	local root=$1 line rank=0 bad=0 f n dir inc
	declare -A layer=()
	line=$(sed -n 's/^ *layers: *//p' "$root/DESIGN.md")
	if [ -z "$line" ]; then
		echo "$root/DESIGN.md: no 'layers:' line"
		return 1
	fi
	for w in $line; do
		if [ "$w" = "<" ]; then rank=$((rank + 1)); else layer[$w]=$rank; fi
	done
	local edges
	edges=$(mktemp /tmp/qoslab-layering.XXXXXX)
	while IFS=: read -r f n inc; do
		f=${f#"$root"/}
		dir=${f%%/*}
		[ "$dir" = "$f" ] && continue # top level
		inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\/.*/\1/p' <<<"$inc")
		# the same directory, or a library's header ("ns3/core-module.h")
		[ "$inc" = "$dir" ] || [ ! -d "$root/$inc" ] && continue
		if [ -z "${layer[$dir]+x}" ]; then
			echo "$f:$n: directory $dir/ is in no layer of DESIGN.md's 'layers:' line"
			bad=1
			continue
		fi
		echo "$dir $inc $f:$n" >>"$edges"
		if [ -z "${layer[$inc]+x}" ]; then
			echo "$f:$n: includes $inc/, which is in no layer of DESIGN.md's 'layers:' line"
			bad=1
		elif [ "${layer[$inc]}" -ge "${layer[$dir]}" ]; then
			echo "$f:$n: $dir/ includes $inc/, which is not below it (layers: $line)"
			bad=1
		fi
	done < <(find "$root" -path "$root/build*" -prune -o -path "$root/tests" -prune \
		     -o -path "$root/bench" -prune -o -path "$root/.git" -prune \
		     -o -name node_modules -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) \
		     -print0 | sort -z |
		 xargs -0 -r grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/')
	# a cycle is already an upward include somewhere; tsort names the directories in it
	# even when the order itself were wrong
	local loop
	loop=$(cut -d' ' -f1,2 "$edges" | sort -u | tsort 2>&1 >/dev/null | grep -v 'input contains a loop')
	if [ -n "$loop" ]; then
		echo "include cycle between directories:" $(sed 's/^tsort: //' <<<"$loop")
		bad=1
	fi
	rm -f "$edges"
	return $bad
}

out=$(layering .)
check layering_tree "[ -z \"\$out\" ]"
[ -n "$out" ] && echo "$out"

# the checker itself, on small trees: an upward include, one within a layer, a directory
# in no layer, and a cycle; each must be named with its file and line
tmp=$(mktemp -d /tmp/qoslab-layering.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/low" "$tmp/mid" "$tmp/side" "$tmp/high" "$tmp/stray"
echo '    layers: low < mid side < high' >"$tmp/DESIGN.md"
printf '#include <stdio.h>\n#include "low/a.h"\n#include "lib/l.h"\n' >"$tmp/mid/ok.c"
printf '#include "mid/ok.h"\n' >"$tmp/high/ok.c"
printf '#include "units.h"\n#include "high/x.h"\n' >"$tmp/main.c"
out=$(layering "$tmp")
check layering_clean_tree "[ -z \"\$out\" ]"
printf '/* x */\n\n#include "high/x.h"\n' >"$tmp/low/up.c"
out=$(layering "$tmp")
check layering_names_upward_include "grep -q '^low/up.c:3: low/ includes high/' <<<\"\$out\""
rm "$tmp/low/up.c"
printf '#include "side/y.h"\n' >"$tmp/mid/sideways.h"
out=$(layering "$tmp")
check layering_names_sideways_include "grep -q '^mid/sideways.h:1: mid/ includes side/' <<<\"\$out\""
rm "$tmp/mid/sideways.h"
printf '#include "low/a.h"\n#include "lib/l.h"\n' >"$tmp/stray/s.c"
out=$(layering "$tmp")
check layering_names_unlisted_directory "grep -q '^stray/s.c:1: directory stray/' <<<\"\$out\""
rm "$tmp/stray/s.c"
printf '#include "mid/ok.h"\n' >"$tmp/low/cycle.c"
out=$(layering "$tmp")
check layering_names_cycle "grep -q '^include cycle between directories: .*low' <<<\"\$out\" &&
	grep -q '^low/cycle.c:1:' <<<\"\$out\""
exit $fail
