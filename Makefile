# rvisor build. Plain GNU make: the tree is small, the rules are few, and
# every target a user or CI needs is listed in one file (see README).

BUILD ?= build
CC ?= gcc
SAN ?=

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -fno-strict-aliasing -pthread -I. -MMD -MP
LDLIBS := -lfdt -lm -pthread
# rvisor host / vm / top: the management API (server and client) and the live view
LDLIBS += $(shell pkg-config --libs libmicrohttpd jansson libcurl ncurses)
# libslirp (user networking). Debian's slirp.pc requires glib-2.0's .pc, which
# libslirp-dev does not pull in; the library itself needs no glib headers.
LDLIBS += $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp)

ifeq ($(SAN),address)
BUILD := build/asan
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),thread)
BUILD := build/tsan
# TSan cannot model stand-alone fences (the guest FENCE instruction); it still sees the atomics.
CFLAGS += -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
LDFLAGS += -fsanitize=thread
endif

ENGINE_SRCS := $(wildcard cpu/*.c mmu/*.c)
VMM_SRCS := $(filter-out vmm/main.c,$(wildcard vmm/*.c dev/*.c backend/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/%.o)
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

RVISOR := $(BUILD)/rvisor
GUEST_DIR := build/guest

.PHONY: all deps linux-deps test unit guest-tests guest-test-qemu oracle format format-check \
	sanitize tsan fuzz bench bench-boot run e2e clean

all: $(RVISOR) $(UNIT_BINS)

deps:
	@scripts/install-deps.sh

linux-deps:
	@RVISOR_LINUX_DEPS=1 scripts/install-deps.sh

# The default Linux guest (kernel + BusyBox initramfs), built from source and
# cached outside the tree; GUEST_ENV holds KERNEL= and INITRD= lines.
GUEST_ENV := build/guest-linux.env
$(GUEST_ENV): linux-deps guest/linux/rvisor.config scripts/build-linux.sh \
		scripts/build-busybox.sh scripts/build-initramfs.sh $(shell find guest/initramfs)
	@mkdir -p build
	scripts/build-guest.sh > $@.tmp && mv $@.tmp $@

RUN_CPUS ?= 2
RUN_MEM ?= 256M
# user-mode networking (DHCP by the guest's init) and a virtio-rng; RUN_NET= for none
RUN_NET ?= user
# The README's main command: boot the default guest to an interactive shell
# (Ctrl-A x quits).
run: $(RVISOR) $(GUEST_ENV)
	. ./$(GUEST_ENV) && $(RVISOR) run --kernel "$$KERNEL" --initrd "$$INITRD" \
		--cpus $(RUN_CPUS) --mem $(RUN_MEM) --rng $(if $(RUN_NET),--net $(RUN_NET)) \
		--append "console=ttyS0$(if $(RUN_NET), rvisor.dhcp=1)"

# Linux end-to-end tests: boot with 1 and 4 vCPUs and check inside the guest.
# Their initramfs is the default one plus the test's own guest programs.
E2E_ENV := build/e2e-linux.env
build/e2e/counters: tests/e2e/progs/counters.c | linux-deps
	@mkdir -p $(dir $@)
	riscv64-linux-gnu-gcc -O2 -static -Wall -Wextra -Werror -o $@ $<

$(E2E_ENV): $(GUEST_ENV) build/e2e/counters scripts/build-initramfs.sh
	. ./$(GUEST_ENV) && initrd=$$(scripts/build-initramfs.sh \
		--add build/e2e/counters:/usr/bin/counters | tail -n 1) && \
		printf 'KERNEL=%s\nINITRD=%s\n' "$$KERNEL" "$$initrd" > $@

# MiB the network test moves between two VMs (ASan runs ~5x, TSan ~40x slower).
NET_E2E_MB ?= $(if $(filter thread,$(SAN)),4,$(if $(SAN),16,100))
# VMs in the API test: 8, or 2 under TSan (8 Linux boots under TSan outlast its timeouts)
API_TEST_VMS ?= $(if $(filter thread,$(SAN)),2,8)
e2e: $(RVISOR) $(E2E_ENV)
	. ./$(E2E_ENV) && tests/e2e/linux_boot.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/virtio.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && NET_E2E_MB=$(NET_E2E_MB) tests/e2e/net.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/overlay.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/console.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/cli.sh $(RVISOR) "$$KERNEL"
	. ./$(E2E_ENV) && API_TEST_VMS=$(API_TEST_VMS) tests/e2e/api.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/net_user.py $(RVISOR) "$$KERNEL" "$$INITRD"
	. ./$(E2E_ENV) && tests/e2e/net_tap.py $(RVISOR) "$$KERNEL" "$$INITRD"

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libengine.a: $(ENGINE_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/libvmm.a: $(VMM_OBJS)
	$(AR) rcs $@ $^

$(RVISOR): $(BUILD)/vmm/main.o $(BUILD)/libvmm.a $(BUILD)/libengine.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libvmm.a $(BUILD)/libengine.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Bare-metal guest programs (riscv64-unknown-elf-gcc + picolibc).
guest: deps
	$(MAKE) -C tests/guest O=$(abspath $(GUEST_DIR))

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

guest-tests: $(RVISOR) guest
	tests/guest/run.sh --runner rvisor --rvisor $(RVISOR)

# The same guest ELFs under QEMU + OpenSBI: proves the tests themselves right.
guest-test-qemu: guest
	tests/guest/run.sh --runner qemu

# Both, side by side: a test that passes under QEMU and fails here points at rvisor.
oracle: $(RVISOR) guest
	tests/oracle.sh $(RVISOR)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@bad=$$(for f in $$(git ls-files '*.c' '*.h'); do \
		clang-format --dry-run --Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "not clang-formatted (run 'make format'):"; echo "$$bad"; exit 1; fi; \
	echo "format-check: ok"

# The README's test command: everything, from a fresh Debian 12 machine.
test: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) guest-tests
	$(MAKE) guest-test-qemu
	$(MAKE) e2e
	$(MAKE) fuzz FUZZ_TIME=20
	$(MAKE) sanitize

# ASan+UBSan build running the unit tests, the guest suite and the Linux boots.
sanitize: deps
	$(MAKE) SAN=address all
	$(MAKE) SAN=address unit
	$(MAKE) SAN=address guest-tests
	$(MAKE) SAN=address e2e

# ThreadSanitizer: the multi-hart guest tests and SMP Linux boots.
tsan: deps
	$(MAKE) SAN=thread all
	$(MAKE) SAN=thread guest-tests
	$(MAKE) SAN=thread e2e

# libFuzzer (clang), FUZZ_TIME seconds each: the virtqueue parser against
# arbitrary guest memory, and the engine against arbitrary guest code. The
# corpora grow in build/fuzz/ across runs; `make test` runs a short round.
FUZZ_TIME ?= 30
FUZZ_CFLAGS := -std=gnu11 -O1 -g -I. -Wall -Wextra -Werror -pthread \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build/fuzz/fuzz_virtqueue: tests/fuzz/fuzz_virtqueue.c dev/virtqueue.c dev/iov.c dev/virtqueue.h \
		dev/iov.h vmm/dma.h vmm/types.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

build/fuzz/fuzz_engine: tests/fuzz/fuzz_engine.c $(ENGINE_SRCS) $(wildcard cpu/*.h mmu/*.h) \
		vmm/vm.c vmm/run.c vmm/sched.c vmm/sbi.c vmm/bus.c vmm/fdt.c vmm/console.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(filter %.c,$^) -lfdt -lm -o $@

fuzz: deps build/fuzz/fuzz_virtqueue build/fuzz/fuzz_engine
	@mkdir -p build/fuzz/corpus-virtqueue build/fuzz/corpus-engine
	build/fuzz/fuzz_virtqueue -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		build/fuzz/corpus-virtqueue
	build/fuzz/fuzz_engine -max_total_time=$(FUZZ_TIME) -rss_limit_mb=4096 -print_final_stats=1 \
		build/fuzz/corpus-engine

bench: $(RVISOR)
	bench/mips.sh $(RVISOR)

bench-boot: $(RVISOR) $(GUEST_ENV)
	. ./$(GUEST_ENV) && bench/boot.py $(RVISOR) "$$KERNEL" "$$INITRD" 5 1

# Many VMs in one `rvisor host` next to one QEMU per VM: boot rate, memory
# per idle VM, aggregate MIPS with 1, 2, 4, ... guests (MULTI_VMS Linux VMs,
# MULTI_ROUNDS interleaved rounds).
MULTI_VMS ?= 8
MULTI_ROUNDS ?= 3
.PHONY: bench-multi
bench-multi: $(RVISOR) $(GUEST_ENV)
	$(MAKE) -s -C bench O="$$(pwd)/build/bench" >/dev/null
	. ./$(GUEST_ENV) && bench/multivm.py $(RVISOR) "$$KERNEL" "$$INITRD" build/bench/bench.elf \
		--vms $(MULTI_VMS) --rounds $(MULTI_ROUNDS)

# The benchmark suite (bench/README.md): rvisor next to QEMU and native on the
# same Linux guest and in-guest workloads, ROUNDS interleaved rounds; prints
# the table and writes build/bench/report.md and report.png.
ROUNDS ?= 3
.PHONY: bench-suite
bench-suite: $(RVISOR)
	bench/run.py --rounds $(ROUNDS) --rvisor $(RVISOR)

# VM-to-VM TCP throughput over the virtual switch, rvisor next to QEMU (bench/net.py).
.PHONY: bench-net
bench-net: $(RVISOR) $(GUEST_ENV)
	. ./$(GUEST_ENV) && bench/net.py $(RVISOR) "$$KERNEL" "$$INITRD" --rounds $(ROUNDS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
