#!/usr/bin/env bash
# Command-line errors: each bad invocation exits 2 with a message saying what is wrong.
set -u
RVISOR=${1:-build/rvisor}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_error() { # description, regex the message must match, args...
	local what=$1 rx=$2
	shift 2
	out=$("$RVISOR" "$@" 2>&1 </dev/null)
	st=$?
	if [ $st -eq 2 ] && printf '%s' "$out" | grep -Eq -- "$rx"; then
		pass=$((pass + 1)); echo "ok   $what"
	else
		fail=$((fail + 1)); echo "FAIL $what: status $st, output: $out"
	fi
}

printf 'not an elf' >"$tmp/text"
cp /bin/true "$tmp/x86.elf"
head -c 100 /dev/zero >"$tmp/zeros"
expect_error "no command" "usage" 
expect_error "unknown command" "unknown command 'fly'" fly
expect_error "missing --kernel" "--kernel is required" run
expect_error "missing kernel file" "cannot open kernel '$tmp/nope'" run --kernel "$tmp/nope"
expect_error "not a kernel" "neither a RISC-V ELF nor a RISC-V Linux Image" run --kernel "$tmp/text"
expect_error "x86 ELF" "not a 64-bit little-endian RISC-V ELF" run --kernel "$tmp/x86.elf"
expect_error "bad memory size" "--mem: 'lots' is not a size" run --kernel "$tmp/text" --mem lots
expect_error "too little memory" "--mem must be a multiple of 2M between 4M" run --kernel "$tmp/text" --mem 1M
expect_error "bad cpu count" "--cpus: '0' is not a number from 1 to" run --kernel "$tmp/text" --cpus 0
expect_error "unknown flag" "unrecognized option|usage" run --kernel "$tmp/text" --frobnicate
expect_error "stray argument" "unexpected argument 'extra'" run --kernel "$tmp/text" extra
truncate -s 1M "$tmp/d.img"
expect_error "missing disk image" "cannot open disk '$tmp/nope.img': No such file or directory" \
	run --kernel "$tmp/text" --disk "$tmp/nope.img"
expect_error "disk image is a directory" "cannot open disk '$tmp': Is a directory" \
	run --kernel "$tmp/text" --disk "$tmp"
expect_error "bad disk option" "--disk: unknown option 'rw2'" run --kernel "$tmp/text" --disk "$tmp/d.img,rw2"
expect_error "disk without a path" "--disk: no image path" run --kernel "$tmp/text" --disk ,ro
nine=()
for i in 1 2 3 4 5 6 7 8 9; do nine+=(--disk "$tmp/d.img,ro"); done
expect_error "nine disks" "too many virtio devices \(at most 8" run --kernel "$tmp/text" "${nine[@]}"
expect_error "eight disks and rng" "too many virtio devices" run --kernel "$tmp/text" "${nine[@]:2}" --rng
expect_error "unknown network" "--net: unknown network 'bridge'" run --kernel "$tmp/text" --net bridge
expect_error "bad MAC" "--net: bad MAC address '52:54:00:12:34'" run --kernel "$tmp/text" \
	--net switch=lan,mac=52:54:00:12:34
expect_error "multicast MAC" "--net: bad MAC address '01:00:5e:00:00:01'" run --kernel "$tmp/text" \
	--net switch=lan,mac=01:00:5e:00:00:01
expect_error "bad hostfwd port" "--net: bad hostfwd" run --kernel "$tmp/text" \
	--net user,hostfwd=tcp::70000-:22
expect_error "hostfwd on a switch" "--net: unknown option 'hostfwd=tcp::2222-:22'" \
	run --kernel "$tmp/text" --net switch=lan,hostfwd=tcp::2222-:22
expect_error "bad switch name" "switch name '../up'" run --kernel "$tmp/text" --net switch=../up
nets=()
for i in 1 2 3 4 5 6 7 8 9; do nets+=(--net switch=lan); done
expect_error "nine nets" "too many virtio devices" run --kernel "$tmp/text" "${nets[@]}"
# Another process holds the image: a second writer would corrupt it.
flock -x "$tmp/d.img" sleep 10 &
locker=$!
sleep 0.2
expect_error "disk image in use" "cannot open disk '$tmp/d.img': in use by another VM or process" \
	run --kernel "$tmp/text" --disk "$tmp/d.img"
kill $locker 2>/dev/null
wait $locker 2>/dev/null
if [ -n "${2:-}" ]; then
	expect_error "kernel too big for memory" "not enough guest memory|does not fit" run --kernel "$2" --mem 4M
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
