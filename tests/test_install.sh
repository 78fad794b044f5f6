#!/usr/bin/env bash
# make install / make uninstall with DESTDIR and PREFIX: every file lands where the layout says,
# the installed binary finds its own files (OpenCV stand-ins) from there, and uninstall leaves
# no file behind.
set -u
B=${BUILD:-build}
root=$(mktemp -d /tmp/qoslab-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
fail=0
check() { # name, command
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi
}

make -s BUILD="$B" DESTDIR="$root" PREFIX=/opt/ql install >"$root.log" 2>&1; st=$?
check install_exit0 "[ $st -eq 0 ] || { cat '$root.log'; false; }"
rm -f "$root.log"
p=$root/opt/ql
check install_binary "[ -x '$p/bin/qoslab' ]"
check install_stubs "[ \$(ls '$p/lib/qoslab/opencv-stub' | grep -c '^libopencv_') -gt 0 ]"
check install_examples "[ \$(ls '$p/share/doc/qoslab/examples/'*.yaml | wc -l) -eq \$(ls scenarios/*.yaml | wc -l) ]"
check install_schema "jq -e .properties '$p/share/qoslab/qoslab-scenario.schema.json' >/dev/null"
check install_man "[ -s '$p/share/man/man1/qoslab.1' ] && [ -s '$p/share/man/man5/qoslab-scenario.5' ]"
check install_completion "bash -n '$p/share/bash-completion/completions/qoslab'"
check install_docs "[ -s '$p/share/doc/qoslab/README.md' ] && [ -s '$p/share/doc/qoslab/scenarios.md' ]"
# the binary was moved away from build/: it must find the stand-ins in ../lib/qoslab
out=$("$p/bin/qoslab" version)
check installed_finds_stubs "grep -qx '  opencv stubs   $p/lib/qoslab/opencv-stub' <<<\"\$out\""
# helper artefacts of INSTALL_HELPERS: the UML xstate preload, found in ../lib/qoslab when
# this CPU needs it (QOSLAB_XSTATE_MIN_BYTES makes every CPU need it)
check install_xstate_preload "[ -f '$p/lib/qoslab/libqoslab-xstate.so' ]"
check installed_finds_preload "QOSLAB_XSTATE_MIN_BYTES=1 '$p/bin/qoslab' version | grep -qx '  xstate preload $p/bin/../lib/qoslab/libqoslab-xstate.so'"
# a shipped example validates from the installed tree (models from the documented places)
"$p/bin/qoslab" scenario check "$p/share/doc/qoslab/examples/default.yaml" >/dev/null 2>&1; st=$?
check installed_example_checks "[ $st -eq 0 ]"

make -s BUILD="$B" DESTDIR="$root" PREFIX=/opt/ql uninstall >/dev/null 2>&1; st=$?
left=$(find "$root" -type f -o -type l)
check uninstall_removes_all "[ $st -eq 0 ] && [ -z \"\$left\" ] || { echo \"\$left\"; false; }"
exit $fail
