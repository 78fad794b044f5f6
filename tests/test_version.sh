#!/usr/bin/env bash
# qoslab --version / qoslab version: release from debian/changelog, the commit built from,
# every library with a built-with and (where the library can say) a running-with version.
set -u
Q=${BUILD:-build}/qoslab
fail=0
check() { # name, command
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi
}

release=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
out=$("$Q" --version); st=$?
check version_exit0 "[ $st -eq 0 ]"
check version_first_line "head -1 <<<\"\$out\" | grep -qE '^qoslab $release \(commit [0-9a-f]{7,}.*\)$'"
check version_same_as_subcommand "[ \"\$out\" = \"\$($Q version)\" ]"
# git describe's commit, when this is a checkout
if git rev-parse --short HEAD >/dev/null 2>&1; then
	check version_commit_is_head "head -1 <<<\"\$out\" | grep -q \"commit \$(git rev-parse --short=7 HEAD)\""
fi
json=$("$Q" version --json)
check version_json_release "[ \"\$(jq -r .release <<<\"\$json\")\" = '$release' ]"
check version_json_libraries "[ \"\$(jq '.libraries | length' <<<\"\$json\")\" -eq 8 ]"
# runtime versions come from the loaded libraries: they must match the installed packages
check version_runtime_libnl "[ \"\$(jq -r '.libraries[\"libnl-3.0\"].runtime' <<<\"\$json\")\" = \"\$(pkg-config --modversion libnl-3.0)\" ]"
check version_runtime_curl "[ \"\$(jq -r '.libraries.libcurl.runtime' <<<\"\$json\")\" = \"\$(curl-config --version 2>/dev/null | cut -d' ' -f2 || pkg-config --modversion libcurl)\" ]"
check version_runtime_all_but_turbojpeg "[ \"\$(jq '[.libraries[] | select(.runtime == null)] | length' <<<\"\$json\")\" -eq 1 ]"
check version_files_stubs "grep -q 'opencv stubs .*/opencv-stub\$' <<<\"\$out\""
"$Q" version --bogus >/dev/null 2>&1; st=$?
check version_bad_option_exit2 "[ $st -eq 2 ]"
exit $fail
