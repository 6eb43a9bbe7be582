// SPDX-License-Identifier: MIT
/* Guest memory and the G-stage table (privileged spec 8.5: Sv39x4). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/dma.h"
#include "vmm/vm.h"

#define SZ_2M          (2ull << 20)
#define GSTAGE_POOL_SZ (16384 + 64 * 4096)

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)

static uint64_t *gstage_alloc(struct vm *vm, size_t size)
{
	uint8_t *p;

	if (vm->gstage_pool_used + size > vm->gstage_pool_size)
		return NULL;
	p = (uint8_t *)vm->gstage_pool + vm->gstage_pool_used;
	vm->gstage_pool_used += size;
	return (uint64_t *)p;
}

static uint64_t pte_to(const void *host)
{
	return ((uint64_t)(uintptr_t)host >> 12) << 10;
}

int gstage_map(struct vm *vm, gpa_t base, void *host, uint64_t size)
{
	uint64_t off;

	if ((base.v | size | (uintptr_t)host) & (SZ_2M - 1))
		return -EINVAL;
	if (base.v + size > (1ull << 41))
		return -ERANGE;
	for (off = 0; off < size; off += SZ_2M) {
		uint64_t g = base.v + off;
		uint64_t *root_pte = &vm->gstage_root[(g >> 30) & 0x7ff];
		uint64_t *l1;

		if (!(*root_pte & PTE_V)) {
			l1 = gstage_alloc(vm, 4096);
			if (!l1)
				return -ENOMEM;
			*root_pte = pte_to(l1) | PTE_V;
		}
		l1 = (uint64_t *)(uintptr_t)((*root_pte >> 10) << 12);
		/* 2 MiB leaf; G-stage leaves must be U (8.5.1). A/D preset: no write-back needed.
		 */
		l1[(g >> 21) & 0x1ff] = pte_to((uint8_t *)host + off) | PTE_V | PTE_R | PTE_W |
		                        PTE_X | PTE_U | PTE_A | PTE_D;
	}
	return 0;
}

void *vm_ram_ptr(struct vm *vm, gpa_t addr, uint64_t len)
{
	uint64_t off = addr.v - VM_RAM_BASE;

	if (addr.v < VM_RAM_BASE || off > vm->ram_size || len > vm->ram_size - off)
		return NULL;
	return vm->ram + off;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	size_t map_size;
	uint8_t *p;
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->end = VM_RUNNING;
	vm->ram_size = cfg->ram_size;
	vm->ncpus = cfg->ncpus;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->ended, NULL);

	/* Reserve lazily (overcommit): pages are backed when the guest first touches them. */
	map_size = vm->ram_size + SZ_2M;
	p = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	vm->ram_map = p;
	vm->ram_map_size = map_size;
	vm->ram = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));

	vm->gstage_pool_size = GSTAGE_POOL_SZ;
	vm->gstage_pool = aligned_alloc(16384, GSTAGE_POOL_SZ);
	if (!vm->gstage_pool)
		return -ENOMEM;
	memset(vm->gstage_pool, 0, GSTAGE_POOL_SZ);
	vm->gstage_root = gstage_alloc(vm, 16384);
	rc = gstage_map(vm, gpa(VM_RAM_BASE), vm->ram, vm->ram_size);
	if (rc)
		return rc;
	vm->hgatp = SATP_MODE_SV39 << SATP_MODE_SHIFT | (uint64_t)(uintptr_t)vm->gstage_root >> 12;

	/* The device tree sits in the top 2 MiB of RAM, out of the way of kernels loaded low. */
	vm->fdt_addr = gpa(VM_RAM_BASE + vm->ram_size - SZ_2M);
	vm->cpus = calloc(vm->ncpus, sizeof(*vm->cpus));
	if (!vm->cpus)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->cpus[i].vm = vm; /* devices may raise interrupts before vm_start() */
	return 0;
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	if (vm->started) { /* still on the scheduler: end it and take it off first */
		vm_request_end(vm, VM_END_VMM_ERROR, 0);
		vm_wait(vm);
	}
	if (vm->cpus) {
		for (i = 0; i < vm->ncpus; i++)
			pthread_mutex_destroy(&vm->cpus[i].lock);
	}
	free(vm->cpus);
	free(vm->gstage_pool);
	free(vm->fdt);
	if (vm->ram_map)
		munmap(vm->ram_map, vm->ram_map_size);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->ended);
}

int vm_add_fdt_node(struct vm *vm, fdt_node_fn fn, void *opaque)
{
	if (vm->nfdt_nodes == VM_MAX_FDT_NODES)
		return -ENOSPC;
	vm->fdt_nodes[vm->nfdt_nodes].fn = fn;
	vm->fdt_nodes[vm->nfdt_nodes].opaque = opaque;
	vm->nfdt_nodes++;
	return 0;
}

static void *ram_dma_map(void *opaque, gpa_t addr, uint64_t len, enum dma_dir dir)
{
	(void)dir;
	return vm_ram_ptr(opaque, addr, len);
}

static const struct dma_ops ram_dma_ops = { .map = ram_dma_map };

void vm_dma_space(struct vm *vm, struct dma_space *out)
{
	out->ops = &ram_dma_ops;
	out->opaque = vm;
}
