# SPDX-License-Identifier: MIT
# Sourced by shell tests that need a kernel: each helper skips the test (exit 0 with a skip
# line) where what it needs cannot run here. The facts come from `qoslab check --machine`,
# which builds nothing.
#   need_netem_kernel NAME   a kernel with netem: the host's (root, sch_netem) or UML
#   need_uml NAME            UML itself (not e.g. in an AddressSanitizer build, whose shadow
#                            memory has no room inside UML)
machine_facts() {
	"${BUILD:-build}/qoslab" check --machine --json 2>/dev/null | jq -c '.machine // {}'
}

need_netem_kernel() {
	local facts
	facts=$(machine_facts)
	if [ "$(jq -r '.netem_on_host' <<<"$facts")" != true ] &&
	   [ "$(jq -r '.uml_available' <<<"$facts")" != true ]; then
		echo "skip - $1: no kernel with netem here ($(jq -r '.uml_why // "no UML"' <<<"$facts"))"
		exit 0
	fi
}

need_uml() {
	local facts
	facts=$(machine_facts)
	if [ "$(jq -r '.uml_available' <<<"$facts")" != true ]; then
		echo "skip - $1: $(jq -r '.uml_why // "no UML"' <<<"$facts")"
		exit 0
	fi
}
