#!/usr/bin/env bash
# Builds the default rvisor guest kernel (arch/riscv/boot/Image) from Debian's
# linux-source-6.1 package: `allnoconfig` + guest/linux/rvisor.config.
#
# The result is cached outside the work tree, keyed by a hash of the config
# fragment, the linux-source package version, the cross compiler version and
# this script:
#     ${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}/linux-<hash>/
#         Image  vmlinux  System.map  config
# A cached Image is reused without building anything.  All progress goes to
# stderr; the last line on stdout is the path of the Image.
#
# Environment:
#   RVISOR_CACHE       cache directory (see above)
#   RVISOR_JOBS        parallel make jobs (default: nproc)
#   RVISOR_KEEP_BUILD  1 = keep the object tree after a successful build
#   RVISOR_VERBOSE     1 = show the build output (default: only in
#                      $CACHE/linux-<hash>/build.log, tail shown on failure)
set -Eeuo pipefail

script=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$script")")
log() { echo "build-linux: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'log "ERROR: line $LINENO: \"$BASH_COMMAND\" failed"' ERR

RVISOR_LINUX_DEPS=1 "$root/scripts/install-deps.sh" >&2

fragment=$root/guest/linux/rvisor.config
tarball=/usr/src/linux-source-6.1.tar.xz
cross=riscv64-linux-gnu-
[ -f "$fragment" ] || die "missing $fragment"
[ -f "$tarball" ] || die "missing $tarball (package linux-source-6.1)"

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
ccver=$("${cross}gcc" --version | head -n1)
cache=${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}
key=$({
	echo "linux-source-6.1 $pkgver"
	echo "$ccver"
	cat "$fragment" "$script"
} | sha256sum | cut -c1-16)
outdir=$cache/linux-$key
image=$outdir/Image

if [ -f "$image" ]; then
	log "cached: $image"
	echo "$image"
	exit 0
fi

mkdir -p "$cache"
# One kernel build (or source extraction) at a time per cache directory.
exec 9>"$cache/linux.lock"
if ! flock -n 9; then
	log "waiting for another kernel build in $cache ..."
	flock 9
fi
if [ -f "$image" ]; then # built by whoever held the lock
	log "cached: $image"
	echo "$image"
	exit 0
fi

# --- Source tree (shared by all configs of the same package version) -------
srcdir=$cache/src/linux-source-6.1_$pkgver
if [ ! -f "$srcdir/.rvisor-extracted" ]; then
	log "extracting $tarball"
	rm -rf "$srcdir" "$srcdir.tmp"
	mkdir -p "$srcdir.tmp"
	nice -n 10 tar -xJf "$tarball" -C "$srcdir.tmp" --no-same-owner
	mv "$srcdir.tmp/linux-source-6.1" "$srcdir"
	rmdir "$srcdir.tmp"
	touch "$srcdir/.rvisor-extracted"
fi

# --- Configure -------------------------------------------------------------
builddir=$outdir/build
buildlog=$outdir/build.log
mkdir -p "$builddir"
: >"$buildlog"
# Build output goes to $buildlog (shown only on failure), or to stderr
# with RVISOR_VERBOSE=1.
run_logged() {
	if [ "${RVISOR_VERBOSE:-0}" = 1 ]; then
		"$@" >&2
		return
	fi
	if ! "$@" >>"$buildlog" 2>&1; then
		log "FAILED: $*"
		log "last lines of $buildlog:"
		tail -n 40 "$buildlog" >&2
		return 1
	fi
}
kmake() {
	run_logged nice -n 10 make -C "$srcdir" O="$builddir" ARCH=riscv \
		CROSS_COMPILE="$cross" KBUILD_BUILD_USER=rvisor KBUILD_BUILD_HOST=rvisor "$@"
}
log "configuring (allnoconfig + $(basename "$fragment")) in $builddir"
KCONFIG_ALLCONFIG=$fragment kmake -s allnoconfig

# Options the guest cannot do without; checked in addition to every line of
# the fragment, so that editing the fragment cannot silently lose them.
required=(
	64BIT MMU SMP RISCV_SBI RISCV_SBI_V01 FPU RISCV_ISA_C SIFIVE_PLIC
	HVC_RISCV_SBI SERIAL_EARLYCON_RISCV_SBI
	SERIAL_8250 SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM
	VIRTIO_MMIO VIRTIO_BLK VIRTIO_NET VIRTIO_CONSOLE HW_RANDOM_VIRTIO
	EXT4_FS DEVTMPFS DEVTMPFS_MOUNT TMPFS PROC_FS SYSFS
	BLK_DEV_INITRD RD_GZIP PRINTK PRINTK_TIME TTY UNIX NET INET
	BINFMT_ELF BINFMT_SCRIPT
)
forbidden=(MODULES PCI)

verify_config() {
	local cfg=$1 bad=0 line sym opt
	for opt in "${required[@]}"; do
		grep -qx "CONFIG_$opt=y" "$cfg" || { log "required CONFIG_$opt is not =y"; bad=1; }
	done
	for opt in "${forbidden[@]}"; do
		if grep -q "^CONFIG_$opt=" "$cfg"; then log "CONFIG_$opt must be off"; bad=1; fi
	done
	if ! grep -q '^CONFIG_NR_CPUS=' "$cfg" ||
		[ "$(sed -n 's/^CONFIG_NR_CPUS=//p' "$cfg")" -lt 8 ]; then
		log "CONFIG_NR_CPUS must be >= 8"
		bad=1
	fi
	# Every assignment in the fragment must have survived Kconfig.
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg" || {
				log "fragment wants '$line', .config has '$(grep "^${line%%=*}=" "$cfg" || echo "${line%%=*} unset")'"
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$cfg"; then log "fragment disables $sym but .config has it"; bad=1; fi
			;;
		esac
	done <"$fragment"
	[ "$bad" = 0 ] || die "kernel config check failed for $cfg (missing dependencies?)"
}
verify_config "$builddir/.config"

# --- Build -----------------------------------------------------------------
jobs=${RVISOR_JOBS:-$(nproc)}
log "building Image with -j$jobs (a few minutes; log: $buildlog)"
start=$(date +%s)
kmake -j"$jobs" Image
log "kernel build took $(($(date +%s) - start))s"
verify_config "$builddir/.config"

built=$builddir/arch/riscv/boot/Image
[ -s "$built" ] || die "no Image produced"
cp "$builddir/.config" "$outdir/config"
cp "$builddir/vmlinux" "$outdir/vmlinux"
cp "$builddir/System.map" "$outdir/System.map"
cp "$built" "$image.tmp"
mv "$image.tmp" "$image"
if [ "${RVISOR_KEEP_BUILD:-0}" != 1 ]; then
	rm -rf "$builddir"
fi
log "built $image ($(stat -c %s "$image") bytes)"
echo "$image"
