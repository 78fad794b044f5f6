#!/usr/bin/env bash
# Output of commands run inside UML, on a terminal (a pseudo-terminal here): every line ends
# with CR LF (the terminal is not left raw, so no staircase), nothing stops on SIGTTOU, and
# `qoslab run`'s progress lines fit the terminal's width.
set -u
cd "$(dirname "$0")/.."
Q=$(realpath "${BUILD:-build}/qoslab")
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi; }
if ! "$Q" uml -- /bin/true 2>/dev/null; then
	echo "skip - uml_tty: UML not available"; exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-uml-tty.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

python3 tests/pty_run.py 60 60 "$Q" uml -- /bin/sh -c 'echo one; echo two >&2; echo three; exit 3' >"$tmp/out"; st=$?
check uml_tty_exit_status "[ $st -eq 3 ]"
# stdout and stderr reach the host through two pipes: their lines may interleave either way
check uml_tty_crlf "[ \"\$(sort '$tmp/out' | od -An -c | tr -s ' ' | tr -d '\n')\" = ' o n e \r \n t h r e e \r \n t w o \r \n' ] || { od -c '$tmp/out'; false; }"
# not a terminal: plain LF, as before
"$Q" uml -- /bin/sh -c 'echo one; echo two' >"$tmp/plain" 2>&1
check uml_file_lf "[ \"\$(od -An -c '$tmp/plain' | tr -s ' ' | tr -d '\n')\" = ' o n e \n t w o \n' ]"

shared=$(realpath ../shared 2>/dev/null)
if [ -d "$shared/models" ] && [ -d "$shared/datasets/coco-val2017-64" ]; then
	cat >"$tmp/narrow.yaml" <<YAML
name: narrow-terminal-progress-line
repeats: 2
topology: {workers: 1}
workload: {count: 2, timeout: 30}
sweep:
  - {key: topology.cpu.worker, values: [0], name: a_rather_long_factor_name_for_the_width}
YAML
	QOSLAB_MODELS=$shared/models QOSLAB_DATASET=$shared/datasets/coco-val2017-64 \
		python3 tests/pty_run.py 50 240 "$Q" run "$tmp/narrow.yaml" --out "$tmp/out-run" >"$tmp/run"; st=$?
	tr -d '\r' <"$tmp/run" | grep '^trial ' >"$tmp/progress"
	check run_tty_exit0 "[ $st -eq 0 ] || { tail -5 '$tmp/run'; false; }"
	check run_progress_lines "[ \$(wc -l <'$tmp/progress') -eq 2 ]"
	check run_progress_fits_50_columns "! awk 'length(\$0) > 49' '$tmp/progress' | grep -q . || { cat '$tmp/progress'; false; }"
	check run_tty_crlf "! tr -d '\r' <'$tmp/run' | cmp -s - '$tmp/run' && [ \"\$(grep -c \$'\r\$' '$tmp/run')\" -eq \"\$(wc -l <'$tmp/run')\" ]"
else
	echo "skip - run_progress: ../shared models or dataset missing"
fi
exit $fail
