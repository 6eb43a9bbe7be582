#!/usr/bin/env bash
# Runs the bare-metal guest tests under QEMU (the oracle) or rvisor.
#
#   tests/guest/run.sh --runner qemu|rvisor [--rvisor PATH] [--timeout S] [ELF...]
#
# Default ELFs: build/guest/*.elf.  Each test runs with 2 harts.  A test passes
# when its console shows "PASS <name>" and no "FAIL <name>" line; under rvisor
# the exit status (= SBI system_reset reason) must also be 0.  The last line
# printed is "N passed, M failed"; the exit status is non-zero if any failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

runner=""
rvisor="$root/build/rvisor"
tmo=30
tail_lines=25
elfs=()

usage() {
	sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--runner) runner=${2:-}; shift 2 || usage ;;
	--runner=*) runner=${1#*=}; shift ;;
	--rvisor) rvisor=${2:-}; shift 2 || usage ;;
	--rvisor=*) rvisor=${1#*=}; shift ;;
	--timeout) tmo=${2:-}; shift 2 || usage ;;
	--timeout=*) tmo=${1#*=}; shift ;;
	-h | --help) usage ;;
	--) shift; elfs+=("$@"); break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) elfs+=("$1"); shift ;;
	esac
done

case "$runner" in
qemu | rvisor) ;;
*) echo "run.sh: --runner qemu|rvisor is required" >&2; usage ;;
esac
case "$tmo" in
'' | *[!0-9]*) echo "run.sh: --timeout takes whole seconds" >&2; exit 2 ;;
esac

if [ ${#elfs[@]} -eq 0 ]; then
	shopt -s nullglob
	elfs=("$root"/build/guest/*.elf)
	shopt -u nullglob
	if [ ${#elfs[@]} -eq 0 ]; then
		echo "run.sh: no tests in $root/build/guest (run: make -C tests/guest)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

if [ "$runner" = qemu ]; then
	command -v qemu-system-riscv64 >/dev/null || { echo "run.sh: qemu-system-riscv64 not found" >&2; exit 2; }
elif [ ! -x "$rvisor" ]; then
	echo "run.sh: rvisor binary '$rvisor' not found or not executable" >&2
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/guest-tests.XXXXXX")
trap 'rm -rf "$logdir"' EXIT
# rvisor's virtual switches (--net switch=NAME) live under it: gone with the logs
export XDG_RUNTIME_DIR="$logdir"

# Devices a test needs besides the platform's own, by test name. Each word is
# a fresh 1 MiB raw image, disk<N>.img: "disk" writable and zeroed, "disk-ro"
# read-only and filled with "rvisor\n" lines. rvisor gets --disk; QEMU a
# virtio-blk-device on a modern (version 2) virtio-mmio transport, with the
# image's name as its serial, as rvisor gives it.
test_devices() {
	case $1 in
	virtio_blk) echo disk disk-ro ;;
	virtio_hostile) echo disk ;;
	virtio_net_hostile) echo net net ;;
	virtio_console_hostile) echo console ;;
	virtio_rng_hostile) echo rng ;;
	esac
}

# Appends to cmd the arguments for the devices of test $1 (images in dir $2).
add_devices() {
	local n=0 dev img
	for dev in $(test_devices "$1"); do
		if [ "$dev" = net ]; then
			# two NICs on one network: rvisor's switch (private to this run), QEMU's hub
			if [ "$runner" = qemu ]; then
				[ $n -eq 0 ] && cmd+=(-global virtio-mmio.force-legacy=false)
				cmd+=(-netdev "hubport,id=n$n,hubid=0" -device "virtio-net-device,netdev=n$n")
			else
				cmd+=(--net "switch=guest-tests-$$")
			fi
			n=$((n + 1))
			continue
		fi
		if [ "$dev" = rng ]; then # a virtio-rng, entropy from the host
			if [ "$runner" = qemu ]; then
				cmd+=(-global virtio-mmio.force-legacy=false -device virtio-rng-device)
			else
				cmd+=(--rng)
			fi
			continue
		fi
		if [ "$dev" = console ]; then # a virtio-console, output to the log
			if [ "$runner" = qemu ]; then
				cmd+=(-global virtio-mmio.force-legacy=false -chardev null,id=vc0
					-device virtio-serial-device -device virtconsole,chardev=vc0)
			else
				cmd+=(--console)
			fi
			continue
		fi
		img=$2/disk$n.img
		if [ "$dev" = disk-ro ]; then
			yes rvisor | head -c 1048576 >"$img"
		else
			truncate -s 1M "$img"
		fi
		if [ "$runner" = qemu ]; then
			[ $n -eq 0 ] && cmd+=(-global virtio-mmio.force-legacy=false)
			cmd+=(-drive "file=$img,if=none,format=raw,id=d$n$([ "$dev" = disk-ro ] && echo ,readonly=on)"
				-device "virtio-blk-device,drive=d$n,serial=disk$n.img")
		else
			cmd+=(--disk "$img$([ "$dev" = disk-ro ] && echo ,ro)")
		fi
		n=$((n + 1))
	done
}

passed=0
failed=0
for elf in "${elfs[@]}"; do
	name=$(basename "$elf" .elf)
	log="$logdir/$name.log"
	if [ ! -f "$elf" ]; then
		echo "FAIL $name: no such file $elf"
		failed=$((failed + 1))
		continue
	fi
	if [ "$runner" = qemu ]; then
		cmd=(qemu-system-riscv64 -M virt -bios default -nographic -smp 2 -m 256M -kernel "$elf")
	else
		cmd=("$rvisor" run --kernel "$elf" --cpus 2)
	fi
	mkdir -p "$logdir/$name.dev"
	add_devices "$name" "$logdir/$name.dev"
	start=$(date +%s%N)
	timeout -k 5 "$tmo" "${cmd[@]}" </dev/null >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	tr -d '\r' <"$log" >"$log.clean"

	reason=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		reason="timed out after ${tmo}s"
	elif grep -q "^FAIL $name\(:\|\$\)" "$log.clean"; then
		reason=$(grep -m1 "^FAIL $name" "$log.clean" | sed "s/^FAIL $name:\{0,1\} *//")
		[ -n "$reason" ] || reason="test reported FAIL"
	elif ! grep -qx "PASS $name" "$log.clean"; then
		reason="no 'PASS $name' line (exit status $rc)"
	elif [ "$(grep -c "^\(PASS\|FAIL\) $name" "$log.clean")" -ne 1 ]; then
		reason="more than one PASS/FAIL line"
	elif [ "$runner" = rvisor ] && [ $rc -ne 0 ]; then
		reason="PASS printed but exit status $rc (expected 0)"
	fi

	if [ -z "$reason" ]; then
		printf 'PASS %s (%d.%03ds)\n' "$name" $((ms / 1000)) $((ms % 1000))
		passed=$((passed + 1))
	else
		echo "FAIL $name: $reason"
		echo "---- last $tail_lines lines of $name console output ----"
		tail -n "$tail_lines" "$log.clean" | sed 's/^/  | /'
		echo "----"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
