#!/usr/bin/env bash
# Installs what is missing, builds, and runs a scenario (default: scenarios/default.yaml).
set -eu
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] && make deps
make -j"$(nproc)" all
./build/qoslab check
