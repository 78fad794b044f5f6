#!/usr/bin/env bash
# Installs what is missing, builds, and runs a scenario end to end (default:
# scenarios/default.yaml); prints where the report is.
#   ./run.sh [SCENARIO.yaml] [qoslab run options, e.g. --out DIR]
# Models and data: ../shared, or QOSLAB_MODELS / QOSLAB_DATASET (qoslab says what is missing).
set -eu
cd "$(dirname "$0")"
if [ "$(id -u)" -eq 0 ]; then
	make deps
else
	echo "run.sh: not root: skipping 'make deps' (the testbed will run inside UML)" >&2
fi
make -j"$(nproc)" all
scenario=scenarios/default.yaml
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then scenario=$1; shift; fi
exec ./build/qoslab run "$scenario" "$@"
