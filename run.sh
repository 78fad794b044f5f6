#!/usr/bin/env bash
# Installs what is missing, builds, and checks the testbed end to end on this machine.
# (The scenario runner that will run scenarios/default.yaml here is not written yet.)
set -eu
cd "$(dirname "$0")"
if [ "$(id -u)" -eq 0 ]; then make deps; fi
make -j"$(nproc)" all
./build/qoslab check
