#!/usr/bin/env bash
# The Debian package: `make deb` builds qoslab_*.deb (dpkg-buildpackage -us -uc -b in a copy of
# the tree) with no lintian error and runtime Depends only; `dpkg -i` installs it; the
# installed files alone run `qoslab check` and a one-trial scenario; `dpkg -P` removes it.
# Needs root (dpkg -i) and leaves the machine as it found it; skips when qoslab is already
# installed as a package (someone else's).
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
ok() { echo "ok - $1"; }
check() { if eval "$2"; then ok "$1"; else echo "FAIL - $1"; fail=1; fi; }
fail=0

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null ||
   ! dpkg-query -W debhelper >/dev/null 2>&1; then
	echo "skip - deb: needs root, dpkg-buildpackage, debhelper and lintian (make deps)"; exit 0
fi
if dpkg-query -W -f='${Status}' qoslab 2>/dev/null | grep -q 'ok installed'; then
	echo "skip - deb: a qoslab package is installed already; not touching it"; exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-deb-test.XXXXXX)
installed=0
cleanup() {
	[ "$installed" -eq 1 ] && dpkg -P qoslab >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

start=$(date +%s.%N)
make -s BUILD="$B" deb >"$tmp/make.log" 2>&1; st=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
deb=$(ls "$B"/deb/qoslab_*.deb 2>/dev/null | head -1)
check "deb_builds (${secs%.*} s, $( [ -n "$deb" ] && du -k "$deb" | cut -f1) KB)" "[ $st -eq 0 ] && [ -n '$deb' ] || { cat '$tmp/make.log'; false; }"
[ -n "$deb" ] || exit 1
check lintian_no_errors "! grep '^E:' '$B/deb/lintian.txt'"
deps=$(dpkg-deb -f "$deb" Depends)
check depends_runtime_only "[ -n \"\$deps\" ] && ! grep -q -- '-dev\\b' <<<\"\$deps\" && grep -q libnl-route-3-200 <<<\"\$deps\" && grep -q darknet <<<\"\$deps\""

dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; st=$?
installed=1
check dpkg_install "[ $st -eq 0 ] || { cat '$tmp/dpkg.log'; false; }"
Q=/usr/bin/qoslab
release=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
check installed_version "$Q --version | head -1 | grep -qE '^qoslab $release \(commit [0-9a-f]{7}'"
check installed_stubs "$Q version | grep -qx '  opencv stubs   /usr/lib/qoslab/opencv-stub'"
check installed_man "[ \"\$(man -w qoslab-scenario 2>/dev/null)\" = /usr/share/man/man5/qoslab-scenario.5.gz ]"
check installed_example_valid "$Q scenario check /usr/share/doc/qoslab/examples/default.yaml >/dev/null"

# the installed binary (with the installed xstate preload, where this CPU needs it) builds the
# testbed and measures every figure; whether each lands inside its statistical tolerance on a
# busy host is check's own test (exit 1, or 3 when the host was overloaded)
$Q check >"$tmp/check.log" 2>&1; st=$?
check installed_check "[ $st -eq 0 ] || [ $st -eq 1 ] || [ $st -eq 3 ] && grep -q '^fidelity' '$tmp/check.log' && [ \$(grep -cE '^  (delay|loss|rate) +configured .* measured +[0-9.]+ ' '$tmp/check.log') -eq 3 ] || { cat '$tmp/check.log'; false; }"

# one trial of two images, from the installed binary, stand-ins and (the documented places)
# models and dataset
cat >"$tmp/tiny.yaml" <<YAML
name: deb-tiny
repeats: 1
topology: {workers: 1}
links:
  - {node: worker-1, delay: 5ms}
workload: {count: 2, timeout: 30}
YAML
shared=$(realpath ../shared)
(cd "$tmp" && QOSLAB_MODELS=$shared/models QOSLAB_DATASET=$shared/datasets/coco-val2017-64 \
	$Q run tiny.yaml --out out) >"$tmp/run.log" 2>&1; st=$?
check installed_run "[ $st -eq 0 ] && [ \"\$(jq '[.trials[].metrics.ok_jobs] | add' '$tmp/out/results.json')\" = 2 ] && [ -s '$tmp/out/report.html' ] || { tail -20 '$tmp/run.log'; false; }"
check installed_run_manifest "jq -e '.qoslab.release and .qoslab.commit' '$tmp/out/manifest.json' >/dev/null"

dpkg -P qoslab >"$tmp/dpkg.log" 2>&1; st=$?
installed=0
check dpkg_purge "[ $st -eq 0 ] && [ ! -e $Q ] && [ ! -e /usr/lib/qoslab ] && [ ! -e /usr/share/qoslab ]"
exit $fail
