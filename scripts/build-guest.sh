#!/usr/bin/env bash
# Builds (or finds in the cache) the default rvisor Linux guest and prints
#     KERNEL=<path of arch/riscv/boot/Image>
#     INITRD=<path of the gzip'd cpio initramfs>
# on stdout; progress goes to stderr.  Arguments are passed on to
# scripts/build-initramfs.sh (e.g. --add host_path:/guest/path, -o out.cpio.gz).
#
# Boot it with e.g.
#     qemu-system-riscv64 -M virt -bios default -nographic -smp 4 -m 256M \
#         -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 earlycon=sbi"
set -Eeuo pipefail

trap 'echo "build-guest: ERROR: \"$BASH_COMMAND\" failed" >&2' ERR
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
kernel=$("$here/build-linux.sh" | tail -n1)
initrd=$("$here/build-initramfs.sh" "$@" | tail -n1)
[ -f "$kernel" ] || { echo "build-guest: no kernel image" >&2; exit 1; }
[ -f "$initrd" ] || { echo "build-guest: no initramfs" >&2; exit 1; }
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
