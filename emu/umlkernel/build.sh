#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds qoslab's UML kernel: Debian's linux-source-6.1 with netem-prng-seed.patch, configured
# as `make ARCH=um defconfig` plus ./config (netem and friends built in, no modules).
#
#   build.sh          build unless a kernel for this key is cached; print its path
#   build.sh --key    print the key (what the kernel is made of) and exit
#
# The result lands in $QOSLAB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/qoslab), in
# uml-kernel/<source version>-<key>/linux, outside any work tree, so that clones share it and
# `make clean` keeps it. qoslab looks there for the key it was built with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${QOSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qoslab}

die() { echo "make kernel: $*" >&2; exit 1; }

key() {
	cat "$here/config" "$here/netem-prng-seed.patch" | sha256sum | cut -c1-16
}

if [ "${1:-}" = --key ]; then key; exit 0; fi

k=$(key)
for d in "$cache"/uml-kernel/*-"$k"; do
	if [ -x "$d/linux" ]; then echo "up to date: $d/linux"; exit 0; fi
done

for tool in gcc make flex bison bc patch xz dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
done

mkdir -p "$cache/src" "$cache/uml-kernel"
start=$(date +%s)
deb=$(ls -t "$cache"/src/linux-source-6.1_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	echo "[kernel] downloading Debian's linux-source-6.1"
	(cd "$cache/src" && apt-get download linux-source-6.1 >/dev/null 2>&1) ||
		die "cannot download linux-source-6.1 (apt-get download)"
	deb=$(ls -t "$cache"/src/linux-source-6.1_*.deb | head -n 1)
fi
version=$(dpkg-deb -f "$deb" Version)
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "[kernel] unpacking linux-source $version"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/src/linux-source-6.1.tar.xz
tar -xJf "$work/usr/src/linux-source-6.1.tar.xz" -C "$work"
src="$work/linux-source-6.1"
patch -d "$src" -p1 --quiet < "$here/netem-prng-seed.patch"

echo "[kernel] configuring (defconfig + emu/umlkernel/config)"
(cd "$src" && make -s ARCH=um defconfig >/dev/null &&
	ARCH=um scripts/kconfig/merge_config.sh -m .config "$here/config" >/dev/null &&
	make -s ARCH=um olddefconfig >/dev/null)
# merge_config's own check is only a warning: fail here instead, naming every option
missing=$(while read -r line; do
	case "$line" in
	CONFIG_*=* | "# CONFIG_"*" is not set") grep -qxF "$line" "$src/.config" || echo "$line" ;;
	esac
done < "$here/config")
[ -z "$missing" ] || die "emu/umlkernel/config: not possible in this kernel: $missing"

jobs=$(nproc)
echo "[kernel] compiling with $jobs jobs (a few minutes on 2 cores)"
(if (cd "$src" && make ARCH=um -j"$jobs" linux) > "$work/make.log" 2>&1; then echo 0; else echo 1; fi \
	> "$work/make.status") &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 15
	n=$(grep -c '^  CC ' "$work/make.log" || true)
	echo "[kernel] $n files compiled, $(( $(date +%s) - start )) s"
done
wait "$pid" || true
if [ "$(cat "$work/make.status")" != 0 ]; then
	tail -n 30 "$work/make.log" >&2
	die "the kernel build failed (log above)"
fi

out="$cache/uml-kernel/$version-$k"
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
cp "$src/linux" "$out.tmp/linux"
cp "$src/.config" "$out.tmp/config"
{
	echo "source linux-source-6.1 $version"
	echo "key $k"
	echo "release $(cd "$src" && make -s ARCH=um kernelrelease)"
	echo "build_seconds $(( $(date +%s) - start ))"
	echo "jobs $jobs"
} > "$out.tmp/info"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "[kernel] built in $(( $(date +%s) - start )) s: $out/linux"
