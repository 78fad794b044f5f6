#!/usr/bin/env bash
# bash completion (completion/qoslab.bash): subcommands, each subcommand's options, scenario
# files, option values, and node names, also those of a running testbed (faked here with
# QOSLAB_STATE_DIR and QOSLAB_NETNS_DIR).
set -u
Q=$(realpath "${BUILD:-build}/qoslab")
dir=$(mktemp -d /tmp/qoslab-completion.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
# shellcheck source=../completion/qoslab.bash
source completion/qoslab.bash

# complete LINE: the words of LINE (a trailing space starts an empty word); COMPREPLY sorted
complete_line() {
	read -ra COMP_WORDS <<<"$1"
	[[ $1 == *' ' ]] && COMP_WORDS+=('')
	COMP_WORDS[0]=$Q
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_qoslab
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # name, line, expected (space-separated, sorted) or a pattern with '~'
	local got
	got=$(complete_line "$2")
	if [[ $3 == '~'* ]] && [[ " $got " == *" ${3#'~'} "* ]] || [[ $got == "$3" ]]; then
		echo "ok - $1"
	else
		echo "FAIL - $1: '$2' gave '$got', expected '$3'"; fail=1
	fi
}

expect subcommands_prefix "qoslab sc" "scenario"
expect subcommands_all "qoslab " "~version"
expect subcommand_re "qoslab re" "report"
expect run_options "qoslab run --" "--chunk --cold-workers --help --jobs --kernel --out --partition --resume --slurm --slurm-retries --time"
expect testbed_option "qoslab testbed --cap" "--capture"
expect server_option "qoslab server --heartbeat" "--heartbeat-ms --heartbeat-timeout"
expect edge_option "qoslab edge --max-" "--max-body-mb --max-conns --max-jobs --max-pixels"
expect kernel_values "qoslab run x.yaml --kernel " "auto host uml"
expect scenario_sub "qoslab scenario " "--help check schema"
mkdir -p "$dir/sc/sub" && touch "$dir/sc/a.yaml" "$dir/sc/b.yml" "$dir/sc/c.txt"
expect scenario_files "qoslab run $dir/sc/" "$dir/sc/a.yaml $dir/sc/b.yml $dir/sc/sub"
expect scenario_check_files "qoslab scenario check $dir/sc/a" "$dir/sc/a.yaml"
expect exec_nodes "qoslab testbed -w 3 -e " "client= server= switch= worker-1= worker-2= worker-3= workers="
expect impair_dirs "qoslab testbed -i server:" "server:both: server:down: server:up:"
# a running testbed: state dir qoslab-ab12cd, namespaces qoslab-ab12cd-NODE
mkdir -p "$dir/state/qoslab-ab12cd" "$dir/netns"
touch "$dir/netns/qoslab-ab12cd-worker-7" "$dir/netns/qoslab-ab12cd-switch" "$dir/netns/other-ns"
export QOSLAB_STATE_DIR=$dir/state QOSLAB_NETNS_DIR=$dir/netns
expect running_nodes "qoslab testbed -e worker-" "worker-1= worker-2= worker-7="
exit $fail
