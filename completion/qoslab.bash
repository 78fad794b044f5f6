# SPDX-License-Identifier: MIT
# bash completion for qoslab: subcommands and options (read from `qoslab --help` and
# `qoslab CMD --help`, so they follow the binary), scenario files, option values, and the node
# names of testbeds running on this host (namespaces qoslab-RUN-NODE in /run/netns).
# Installed as PREFIX/share/bash-completion/completions/qoslab.

# Node names: the fixed ones, worker-1..N for the -w N on the line (default 2), and the nodes
# of testbeds running on this host: a run's state is /run/qoslab/qoslab-RUN (what qoslab clean
# reads), its nodes the namespaces /run/netns/qoslab-RUN-NODE. (Testbeds inside UML keep both
# in the guest.) QOSLAB_STATE_DIR and QOSLAB_NETNS_DIR replace the two (for tests).
_qoslab_nodes()
{
	local n=2 i f run run_nodes=()
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-w | --workers) n=${COMP_WORDS[i + 1]} ;;
		--workers=*) n=${COMP_WORDS[i]#--workers=} ;;
		esac
	done
	[[ $n =~ ^[0-9]+$ ]] && ((n <= 128)) || n=2
	for run in "${QOSLAB_STATE_DIR:-/run/qoslab}"/qoslab-*; do
		[[ -d $run ]] || continue
		run=${run##*/}
		for f in "${QOSLAB_NETNS_DIR:-/run/netns}/$run"-*; do
			[[ -e $f ]] && run_nodes+=("${f##*/"$run"-}")
		done
	done
	printf '%s\n' client server switch workers $(seq -f 'worker-%g' 1 "$n") "${run_nodes[@]}" | sort -u
}

_qoslab()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local q=${COMP_WORDS[0]} cmd= i opts
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -* ]] && continue
		cmd=${COMP_WORDS[i]}
		break
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$("$q" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p') --version --help" -- "$cur"))
		return
	fi
	# values of options
	case $prev in
	--kernel) COMPREPLY=($(compgen -W 'auto host uml' -- "$cur")); return ;;
	--reassembly) COMPREPLY=($(compgen -W 'holes concat' -- "$cur")); return ;;
	--out | --labels | --dataset | --log-dir | --capture)
		[[ $cmd == client && $prev == --out ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
		[[ $cmd == detect && $prev == --out ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
		COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	--model | --names | --samples | --ready-file | --topology)
		COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	-e | --exec)
		COMPREPLY=($(compgen -S = -W "$(_qoslab_nodes)" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	-i | --impair)
		if [[ $cur == *:*:* ]]; then
			return
		elif [[ $cur == *:* ]]; then
			COMPREPLY=($(compgen -P "${cur%%:*}:" -S : -W 'up down both' -- "${cur#*:}"))
		else
			COMPREPLY=($(compgen -S : -W "$(_qoslab_nodes | grep -vx switch)" -- "$cur"))
		fi
		compopt -o nospace 2>/dev/null; return ;;
	-w | --workers | --server | --http | --listen | --udp | --count | --rate | --timeout | \
	--seed | --hold | --interval | --subnet | --thresh | --conf | --quality | --resize | \
	--chunk | --slurm-retries | --queue | --name | --max-pixels | --max-body-mb | --max-jobs | \
	--max-conns | --grace | --cpu-*)
		return ;;
	esac
	if [[ $cmd == scenario ]]; then
		local sub=
		for ((i++; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} == -* ]] || { sub=${COMP_WORDS[i]}; break; }
		done
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W 'check schema --help' -- "$cur"))
			return
		fi
		[[ $sub == schema ]] && return
	fi
	if [[ $cur == -* ]]; then
		opts=$("$q" "$cmd" --help 2>&1 | grep -oE '(^|[] [,(|])--?[a-zA-Z][a-zA-Z0-9-]*' |
		       sed 's/^[] [,(|]//' | sort -u)
		COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
		return
	fi
	case $cmd in
	run | scenario)
		COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
			   $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null ;;
	report) COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
	accuracy)
		COMPREPLY=($(compgen -f -X '!*.jsonl' -- "$cur") $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null ;;
	detect)
		COMPREPLY=($(compgen -f -X '!*.jpg' -- "$cur") $(compgen -f -X '!*.jpeg' -- "$cur")
			   $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null ;;
	uml) COMPREPLY=($(compgen -c -- "$cur")) ;;
	esac
}
complete -F _qoslab qoslab
