#!/usr/bin/env bash
# Builds a static riscv64 BusyBox for the rvisor guest initramfs from Debian's
# `busybox` source package.
#
# The source package is fetched once with `apt-get source` through a
# project-local apt configuration (its own sources list with deb-src lines for
# the mirror/suites this machine already uses, its own lists and cache
# directories), so the system apt configuration is never touched.
#
# Everything lives outside the work tree, in
#     CACHE=${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}
#   $CACHE/apt/                apt sources.list, lists, cache
#   $CACHE/busybox-src/        downloaded .dsc/.orig/.debian files
#   $CACHE/busybox-<hash>/     busybox (binary), busybox.links, config
# <hash> covers the .dsc, the cross compiler version and this script (which
# holds the configuration changes).  A cached binary is reused as is; once
# the source package is downloaded, no network access is needed.
# All progress goes to stderr; the last stdout line is the busybox binary.
#
# Environment:
#   RVISOR_CACHE             cache directory (see above)
#   RVISOR_JOBS              parallel make jobs (default: nproc)
#   RVISOR_APT_SOURCES       use this deb-src sources.list instead of one
#                            derived from /etc/apt
#   RVISOR_BUSYBOX_VERSION   fetch this exact source version
#   RVISOR_BUSYBOX_REFETCH=1 fetch the source package again
#   RVISOR_VERBOSE=1         show the build output (default: only in
#                            $CACHE/busybox-<hash>/build.log)
set -Eeuo pipefail

script=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$script")")
log() { echo "build-busybox: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'log "ERROR: line $LINENO: \"$BASH_COMMAND\" failed"' ERR

RVISOR_LINUX_DEPS=1 "$root/scripts/install-deps.sh" >&2

cross=riscv64-linux-gnu-
ccver=$("${cross}gcc" --version | head -n1)
cache=${RVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor}
mkdir -p "$cache"
exec 9>"$cache/busybox.lock"
if ! flock -n 9; then
	log "waiting for another busybox build in $cache ..."
	flock 9
fi

# --- Project-local apt configuration ----------------------------------------
aptdir=$cache/apt
aptopts=(
	-o Dir::Etc::SourceList="$aptdir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$aptdir/lists"
	-o Dir::Cache="$aptdir/cache"
	-o Dir::Cache::pkgcache="$aptdir/cache/pkgcache.bin"
	-o Dir::Cache::srcpkgcache="$aptdir/cache/srcpkgcache.bin"
	-o Dir::Cache::archives="$aptdir/cache/archives"
)
# As root, apt would drop privileges to _apt, which cannot write to a cache
# under $HOME; downloads go to our own directories anyway.
[ "$(id -u)" -eq 0 ] && aptopts+=(-o APT::Sandbox::User=root)

# Writes deb-src lines for every enabled `deb` entry of the system's apt
# sources whose suite belongs to this Debian release (codename,
# codename-updates, codename-security, ...).  Third-party repositories are
# left out: they rarely publish sources.
derive_sources() {
	local codename
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot read VERSION_CODENAME from /etc/os-release"
	local lists=() deb822=() f
	[ -f /etc/apt/sources.list ] && lists+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
	for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && deb822+=("$f"); done
	{
		# One-line format: deb [options] uri suite component...
		[ ${#lists[@]} -eq 0 ] || awk -v cn="$codename" '
			$1 != "deb" { next }
			{
				i = 2; opts = ""
				if ($2 ~ /^\[/) {
					while (i <= NF) { opts = opts (opts == "" ? "" : " ") $i; if ($i ~ /\]$/) { i++; break } i++ }
				}
				uri = $i; suite = $(i + 1); comps = ""
				for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps " " $j
				if (suite == cn || index(suite, cn "-") == 1)
					print "deb-src" (opts == "" ? "" : " " opts) " " uri " " suite comps
			}' "${lists[@]}"
		# deb822 format (Types:/URIs:/Suites:/Components:/Signed-By:).
		[ ${#deb822[@]} -eq 0 ] || awk -v cn="$codename" '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = uris = suites = comps = signed = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^[ \t]*#/ || line ~ /^[ \t]/) continue
					n = index(line, ":"); if (!n) continue
					k = tolower(substr(line, 1, n - 1)); v = substr(line, n + 1)
					gsub(/^[ \t]+|[ \t]+$/, "", v)
					if (k == "types") types = v
					else if (k == "uris") uris = v
					else if (k == "suites") suites = v
					else if (k == "components") comps = v
					else if (k == "signed-by") signed = v
					else if (k == "enabled") enabled = tolower(v)
				}
				if (enabled == "no" || (" " types " ") !~ / deb /) next
				opt = ""
				if (signed != "") { gsub(/[ \t]+/, ",", signed); opt = " [signed-by=" signed "]" }
				nu = split(uris, U, /[ \t]+/); ns = split(suites, S, /[ \t]+/)
				for (u = 1; u <= nu; u++)
					for (s = 1; s <= ns; s++)
						if (S[s] == cn || index(S[s], cn "-") == 1)
							print "deb-src" opt " " U[u] " " S[s] " " comps
			}' "${deb822[@]}"
	}
}

fetch_source() {
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	local list
	if [ -n "${RVISOR_APT_SOURCES:-}" ]; then
		list=$(cat "$RVISOR_APT_SOURCES")
	else
		list=$(derive_sources)
	fi
	[ -n "$list" ] || die "no Debian apt sources found in /etc/apt; set RVISOR_APT_SOURCES to a file with a deb-src line"
	printf '# Generated by scripts/build-busybox.sh\n%s\n' "$list" >"$aptdir/sources.list"
	log "apt sources (project-local):"
	sed 's/^/    /' "$aptdir/sources.list" >&2
	apt-get "${aptopts[@]}" -q update >&2
	local tmp=$cache/busybox-src.tmp spec=busybox
	[ -n "${RVISOR_BUSYBOX_VERSION:-}" ] && spec="busybox=$RVISOR_BUSYBOX_VERSION"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	(cd "$tmp" && apt-get "${aptopts[@]}" -q source --download-only "$spec" >&2)
	ls "$tmp"/busybox_*.dsc >/dev/null 2>&1 || die "apt-get source did not produce a .dsc"
	rm -rf "$cache/busybox-src"
	mv "$tmp" "$cache/busybox-src"
}

srcpkg=$cache/busybox-src
pattern='busybox_*.dsc'
# .dsc names carry the version without its epoch.
[ -z "${RVISOR_BUSYBOX_VERSION:-}" ] || pattern="busybox_${RVISOR_BUSYBOX_VERSION#*:}.dsc"
find_dsc() { { find "$srcpkg" -maxdepth 1 -name "$pattern" 2>/dev/null || true; } | sort -V | tail -n1; }
dsc=$(find_dsc)
if [ "${RVISOR_BUSYBOX_REFETCH:-0}" = 1 ] || [ -z "$dsc" ]; then
	fetch_source
	dsc=$(find_dsc)
	[ -n "$dsc" ] || die "no $pattern after fetching the source package"
fi

key=$({
	cat "$dsc"
	echo "$ccver"
	cat "$script"
} | sha256sum | cut -c1-16)
outdir=$cache/busybox-$key
bin=$outdir/busybox
if [ -f "$bin" ] && [ -f "$outdir/busybox.links" ]; then
	log "cached: $bin"
	echo "$bin"
	exit 0
fi

# --- Unpack (dpkg-source applies Debian's patches) ---------------------------
rm -rf "$outdir"
mkdir -p "$outdir"
src=$outdir/src
buildlog=$outdir/build.log
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
log "unpacking $(basename "$dsc") (log: $buildlog)"
run_logged dpkg-source -x "$dsc" "$src"

# --- Configure -------------------------------------------------------------
bbmake() {
	run_logged nice -n 10 make -C "$src" ARCH=riscv CROSS_COMPILE="$cross" "$@"
}
bbmake defconfig

# set_opt NAME y|n|"string"
set_opt() {
	local name=CONFIG_$1 val=$2 cfg=$src/.config
	sed -i -e "/^$name=/d" -e "/^# $name is not set/d" "$cfg"
	if [ "$val" = n ]; then
		echo "# $name is not set" >>"$cfg"
	else
		echo "$name=$val" >>"$cfg"
	fi
}
# Static binary: the initramfs has no C library.
set_opt STATIC y
# Everything else in defconfig builds for riscv64 against bookworm's
# linux-libc-dev 6.1 headers, `tc` included (it breaks with >= 6.8 headers,
# which dropped the CBQ definitions; switch it off here if the cross
# headers are ever upgraded).  NFS mount and inetd RPC are already off in
# defconfig (glibc has no Sun RPC headers any more).
#
# We ship our own /init and never want /linuxrc.
set_opt LINUXRC n
# (`yes` dies of SIGPIPE when oldconfig is done; that is not an error.)
{ yes '' || true; } | bbmake oldconfig

check_opt() { grep -qx "CONFIG_$1=$2" "$src/.config" || die "busybox .config: CONFIG_$1 is not $2"; }
check_opt STATIC y
check_opt SH_IS_ASH y
for applet in ASH CTTYHACK SETSID MOUNT POWEROFF HOSTNAME; do check_opt "$applet" y; done

# --- Build -----------------------------------------------------------------
jobs=${RVISOR_JOBS:-$(nproc)}
log "building busybox with -j$jobs"
start=$(date +%s)
bbmake -j"$jobs" busybox busybox.links
log "busybox build took $(($(date +%s) - start))s"

"${cross}readelf" -h "$src/busybox" | grep -q 'Machine:.*RISC-V' || die "busybox is not a RISC-V binary"
if "${cross}readelf" -l "$src/busybox" | grep -q INTERP; then
	die "busybox is dynamically linked"
fi
"${cross}strip" -o "$outdir/busybox.tmp" "$src/busybox"
cp "$src/busybox.links" "$outdir/busybox.links"
cp "$src/.config" "$outdir/config"
rm -rf "$src"
mv "$outdir/busybox.tmp" "$bin"
log "built $bin ($(stat -c %s "$bin") bytes, $(wc -l <"$outdir/busybox.links") applets)"
echo "$bin"
