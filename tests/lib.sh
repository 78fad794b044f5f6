# SPDX-License-Identifier: MIT
# Sourced by shell tests after `cd` to the checkout: the ok/FAIL lines tests/run.sh counts,
# and the skip for a test that needs the shared models and dataset.
#   check NAME CONDITION   ok or FAIL by CONDITION (a shell expression, eval'ed)
#   need_models NAME       skip the test (exit 0) without ../shared models and dataset
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

need_models() {
	local shared=${SHARED:-../shared}
	if [ ! -d "$shared/models" ] || [ ! -d "$shared/datasets/coco-val2017-64" ]; then
		echo "skip - $1: $shared/models or $shared/datasets missing"
		exit 0
	fi
}
