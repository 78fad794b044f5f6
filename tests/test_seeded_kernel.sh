#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seeded loss reproduces on qoslab's own UML kernel (`make kernel`): `qoslab check` lists
# seeded_loss ok (two runs with one seed lose exactly the same probes) and a run's manifest
# says loss is seed-reproducible (tests/test_run.sh). Debian's linux.uml must be reported as unsupported, not ok.
# Where the kernel is not built this test says so and skips; CI builds it (.ci/run).
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }

facts=$($Q check --machine --json 2>/dev/null | jq '.machine')
if [ "$(jq -r '.uml_available' <<<"$facts")" != true ]; then
	echo "skip - seeded_kernel: $(jq -r '.uml_why' <<<"$facts")"; exit 0
fi
if [ "$(jq -r '.uml_kernel_seeded_netem' <<<"$facts")" != true ]; then
	echo "skip - seeded_kernel: qoslab's UML kernel is not built here (make kernel)"; exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-test-seeded.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

$Q check --kernel uml --json >"$tmp/own.json" 2>"$tmp/own.err"
sl() { jq -r ".fidelity[] | select(.name==\"seeded_loss\") | $2" "$1"; }
if [ "$(sl "$tmp/own.json" .status)" = ok ] && [ "$(sl "$tmp/own.json" .kernel_honours_seed)" = true ] &&
   [ "$(sl "$tmp/own.json" .lost_first)" -gt 100 ]; then
	ok seeded_kernel_check_seeded_loss_ok
else
	fail seeded_kernel_check_seeded_loss_ok; sl "$tmp/own.json" . | sed 's/^/    /'; tail -5 "$tmp/own.err"
fi
if jq -e '.fidelity_kernel | test("-qoslab$")' "$tmp/own.json" >/dev/null; then ok seeded_kernel_is_qoslabs
else fail seeded_kernel_is_qoslabs; jq .fidelity_kernel "$tmp/own.json"; fi

QOSLAB_UML_KERNEL=/usr/bin/linux.uml $Q check --kernel uml --json >"$tmp/debian.json" 2>/dev/null
if [ "$(sl "$tmp/debian.json" .status)" = unsupported ]; then ok seeded_kernel_debian_unsupported
else fail seeded_kernel_debian_unsupported; sl "$tmp/debian.json" . | sed 's/^/    /'; fi

exit 0
