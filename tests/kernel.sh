# SPDX-License-Identifier: MIT
# Sourced by shell tests that build testbeds: skips the test (exit 0 with a skip line) where
# no kernel with netem can run it: neither the host (root, sch_netem) nor UML (e.g. an
# AddressSanitizer build, whose shadow memory has no room inside UML).
# Usage: . tests/kernel.sh; need_netem_kernel NAME
need_netem_kernel() {
	local facts
	facts=$("${BUILD:-build}/qoslab" check --json 2>/dev/null | jq -c '.machine // {}')
	if [ "$(jq -r '.netem_on_host' <<<"$facts")" != true ] &&
	   [ "$(jq -r '.uml_available' <<<"$facts")" != true ]; then
		echo "skip - $1: no kernel with netem here ($(jq -r '.uml_why // "no UML"' <<<"$facts"))"
		exit 0
	fi
}
