#!/usr/bin/env bash
# Packs the rvisor guest initramfs (newc cpio, gzip): the static BusyBox from
# scripts/build-busybox.sh with all its applet links, the files under
# guest/initramfs/ (its /init script first of all), and any extra files the
# caller adds.
#
# usage: scripts/build-initramfs.sh [-o OUT.cpio.gz] [--add HOST_PATH:GUEST_PATH]...
#
#   --add HOST:GUEST  put HOST_PATH into the image as GUEST_PATH (absolute).
#                     A directory is added recursively.  Modes are taken from
#                     the host (keep the x bit on scripts/binaries); owner is
#                     root.  Later entries replace earlier ones with the same
#                     guest path, so tests can also replace stock files
#                     (e.g. --add my-rc:/etc/rvisor/rc.local).
#   -o OUT            write the archive there instead of the cache.
#
# Without -o the archive goes to $CACHE/initramfs/rootfs-<hash>.cpio.gz, with
# <hash> computed from the archive listing and the contents of every file
# in it; an existing one is reused.  CACHE is
# ${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}.
# The archive is built without root privileges (device nodes come from the
# listing, via the kernel's usr/gen_init_cpio tool, built once into the
# cache).  Progress goes to stderr; the last stdout line is the archive path.
set -Eeuo pipefail

script=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$script")")
log() { echo "build-initramfs: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'log "ERROR: line $LINENO: \"$BASH_COMMAND\" failed"' ERR
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$script" >&2; exit "${1:-2}"; }

out=""
adds=()
while [ $# -gt 0 ]; do
	case $1 in
	-o | --output) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--output=*) out=${1#*=}; shift ;;
	--add) [ $# -ge 2 ] || usage; adds+=("$2"); shift 2 ;;
	--add=*) adds+=("${1#*=}"); shift ;;
	-h | --help) usage 0 ;;
	*) log "unknown argument: $1"; usage ;;
	esac
done

RVISOR_LINUX_DEPS=1 "$root/scripts/install-deps.sh" >&2

cache=${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}
busybox=$("$root/scripts/build-busybox.sh" | tail -n1)
[ -f "$busybox" ] || die "build-busybox.sh did not produce a binary"
links=$(dirname "$busybox")/busybox.links

# --- gen_init_cpio from the kernel source package ---------------------------
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
gen=$cache/tools/gen_init_cpio-$pkgver
if [ ! -x "$gen" ]; then
	mkdir -p "$cache/tools"
	tmpc=$(mktemp "$cache/tools/gen_init_cpio.XXXXXX.c")
	srcfile=$cache/src/linux-source-6.1_$pkgver/usr/gen_init_cpio.c
	if [ -f "$srcfile" ]; then
		cp "$srcfile" "$tmpc"
	else
		log "extracting usr/gen_init_cpio.c from linux-source-6.1"
		tar -xJOf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/usr/gen_init_cpio.c >"$tmpc"
	fi
	cc -O2 -o "$gen.tmp" "$tmpc"
	rm -f "$tmpc"
	mv "$gen.tmp" "$gen"
fi

# --- Archive listing ---------------------------------------------------------
# entry[guest_path] = gen_init_cpio line; order[] keeps first-seen order so
# that parents precede children.
declare -A entry=()
order=()
put() { # put PATH LINE
	[ -n "${entry[$1]+x}" ] || order+=("$1")
	entry[$1]=$2
}
checkname() {
	# gen_init_cpio splits on blanks and expands ${VAR} in host paths.
	# shellcheck disable=SC2016
	case $1 in
	*[[:space:]]* | *'${'*) die "unsupported character in path '$1'" ;;
	/*) ;;
	*) die "guest path must be absolute: '$1'" ;;
	esac
}
mkdirs() { # make sure every parent of PATH is a directory entry
	local p=${1%/*} parents=() d
	while [ -n "$p" ]; do
		parents=("$p" "${parents[@]}")
		p=${p%/*}
	done
	for d in "${parents[@]}"; do
		case ${entry[$d]:-} in
		dir\ *) ;;
		"") put "$d" "dir $d 0755 0 0" ;;
		*) die "$d is needed as a directory but is already a file in the image" ;;
		esac
	done
}
add_tree() { # add_tree HOST GUEST
	local host=$1 guest=$2 rel p
	checkname "$guest"
	[ -e "$host" ] || [ -L "$host" ] || die "no such file: $host"
	if [ -d "$host" ] && [ ! -L "$host" ]; then
		guest=${guest%/} # "/" becomes "", so that "$guest$rel" is "/x"
		[ -z "$guest" ] || add_one "$host" "$guest"
		while IFS= read -r -d '' rel; do
			rel=${rel#.}
			add_one "$host$rel" "$guest$rel"
		done < <(cd "$host" && find . -mindepth 1 -print0 | LC_ALL=C sort -z)
	else
		add_one "$host" "$guest"
	fi
}
add_one() { # add_one HOST GUEST (no recursion)
	local host=$1 guest=$2 mode
	checkname "$guest"
	mkdirs "$guest"
	mode=$(stat -c %a "$host")
	[ "$guest" != /init ] || mode=755 # whatever the checkout did to the x bit
	if [ -L "$host" ]; then
		put "$guest" "slink $guest $(readlink "$host") 0777 0 0"
	elif [ -d "$host" ]; then
		put "$guest" "dir $guest $mode 0 0"
	elif [ -f "$host" ]; then
		checkname "$(readlink -f "$host")"
		put "$guest" "file $guest $(readlink -f "$host") $mode 0 0"
	else
		die "unsupported file type: $host"
	fi
}

for d in /bin /sbin /usr /usr/bin /usr/sbin /etc /proc /sys /dev /run /var /mnt; do
	put "$d" "dir $d 0755 0 0"
done
put /tmp "dir /tmp 1777 0 0"
put /root "dir /root 0700 0 0"
# The kernel opens /dev/console for init before any devtmpfs is mounted.
put /dev/console "nod /dev/console 0600 0 0 c 5 1"
put /dev/null "nod /dev/null 0666 0 0 c 1 3"
put /bin/busybox "file /bin/busybox $busybox 0755 0 0"
while IFS= read -r l; do
	case $l in /bin/busybox | /init | /linuxrc | "") continue ;; esac
	mkdirs "$l"
	put "$l" "slink $l /bin/busybox 0777 0 0"
done <"$links"
add_tree "$root/guest/initramfs" /
for a in "${adds[@]}"; do
	case $a in *:*) ;; *) die "--add wants HOST_PATH:GUEST_PATH, got '$a'" ;; esac
	add_tree "${a%%:*}" "${a#*:}"
done
[ "${entry[/init]:-}" ] || die "no /init in the image"

spec=$(mktemp)
trap 'rm -f "$spec" "${tmpout:-}"' EXIT
for p in "${order[@]}"; do echo "${entry[$p]}"; done >"$spec"

# --- Pack ----------------------------------------------------------------------
if [ -z "$out" ]; then
	key=$({
		cat "$spec"
		awk '$1 == "file" { print $3 }' "$spec" | xargs -d '\n' sha256sum
	} | sha256sum | cut -c1-16)
	mkdir -p "$cache/initramfs"
	out=$cache/initramfs/rootfs-$key.cpio.gz
	if [ -f "$out" ]; then
		log "cached: $out"
		echo "$out"
		exit 0
	fi
fi
out=$(readlink -f "$out")
tmpout=$(mktemp "$out.XXXXXX")
# Fixed timestamp for directories/links/nodes; files keep their mtime.
"$gen" -t "${SOURCE_DATE_EPOCH:-0}" "$spec" | gzip -n -9 >"$tmpout"
chmod 644 "$tmpout"
mv "$tmpout" "$out"
log "packed $out ($(stat -c %s "$out") bytes, ${#order[@]} entries)"
echo "$out"
