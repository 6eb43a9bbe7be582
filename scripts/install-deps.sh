#!/usr/bin/env bash
# Installs everything rvisor's build, tests and benchmarks need on Debian 12.
# Idempotent: installs only what is missing, so it is cheap to call from
# every make target that needs a tool.
set -euo pipefail

pkgs=(
	build-essential pkg-config clang-format python3
	clang libclang-rt-14-dev e2fsprogs
	libfdt-dev libslirp-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libncurses-dev
	iproute2
	gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf binutils-riscv64-unknown-elf
	qemu-system-misc opensbi
)
if [ "${RVISOR_LINUX_DEPS:-0}" = 1 ]; then
	pkgs+=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross linux-source-6.1
		bc flex bison cpio xz-utils dpkg-dev libelf-dev)
fi
# The benchmark suite (make bench-suite) also draws its chart.
if [ "${RVISOR_BENCH_DEPS:-0}" = 1 ]; then
	pkgs+=(gnuplot-nox)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
