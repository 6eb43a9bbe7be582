// SPDX-License-Identifier: MIT
/*
 * PLIC (RISC-V PLIC spec 1.0.0). Memory map: priorities at 0x0, pending
 * bits at 0x1000, per-context enables at 0x2000 + 0x80*ctx, per-context
 * threshold and claim/complete at 0x200000 + 0x1000*ctx.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "dev/plic.h"
#include "vmm/fdt.h"

#define PRIO_MAX 7u

/* Highest-priority pending, enabled source above the context's threshold, or 0. */
static unsigned best_source(const struct plic *p, unsigned ctx)
{
	uint64_t cand = p->pending & p->enable[ctx] & ~p->in_flight;
	unsigned best = 0, bestprio = p->threshold[ctx];
	unsigned s;

	for (s = 1; s < PLIC_NSOURCES; s++)
		if ((cand >> s & 1) && p->priority[s] > bestprio) {
			best = s;
			bestprio = p->priority[s];
		}
	return best;
}

/* Recompute every context's external interrupt line; called with the lock held. */
static void update(struct plic *p)
{
	unsigned c;

	for (c = 0; c < p->ncontexts; c++) {
		bool eip = best_source(p, c) != 0;

		if (eip != p->eip[c]) {
			p->eip[c] = eip;
			vm_vcpu_irq(p->vm, c, MIP_VSEIP, eip);
		}
	}
}

void plic_set_irq(struct plic *p, unsigned source, bool level)
{
	if (source == 0 || source >= PLIC_NSOURCES)
		return;
	pthread_mutex_lock(&p->lock);
	if (level) {
		p->level |= 1ull << source;
		p->pending |= 1ull << source;
	} else {
		p->level &= ~(1ull << source);
		p->pending &= ~(1ull << source);
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
	struct plic *p = opaque;
	uint64_t val = 0;
	unsigned ctx, s;

	pthread_mutex_lock(&p->lock);
	if (off < 0x1000) {
		s = (unsigned)(off / 4);
		val = s < PLIC_NSOURCES ? p->priority[s] : 0;
	} else if (off < 0x2000) {
		s = (unsigned)(off - 0x1000) * 8;
		val = s < PLIC_NSOURCES ? (uint32_t)(p->pending >> s) : 0;
	} else if (off < 0x200000) {
		ctx = (unsigned)((off - 0x2000) / 0x80);
		s = (unsigned)((off - 0x2000) % 0x80) * 8;
		if (ctx < p->ncontexts && s < PLIC_NSOURCES)
			val = (uint32_t)(p->enable[ctx] >> s);
	} else {
		ctx = (unsigned)((off - 0x200000) / 0x1000);
		if (ctx < p->ncontexts) {
			if ((off & 0xfff) == 0) {
				val = p->threshold[ctx];
			} else if ((off & 0xfff) == 4) {
				/* claim */
				s = best_source(p, ctx);
				if (s) {
					p->pending &= ~(1ull << s);
					p->in_flight |= 1ull << s;
				}
				val = s;
				update(p);
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
	return val;
}

static void plic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct plic *p = opaque;
	unsigned ctx, s;

	pthread_mutex_lock(&p->lock);
	if (off < 0x1000) {
		s = (unsigned)(off / 4);
		if (s > 0 && s < PLIC_NSOURCES)
			p->priority[s] = (uint32_t)val & PRIO_MAX;
	} else if (off >= 0x2000 && off < 0x200000) {
		ctx = (unsigned)((off - 0x2000) / 0x80);
		s = (unsigned)((off - 0x2000) % 0x80) * 8;
		if (ctx < p->ncontexts && s < PLIC_NSOURCES) {
			uint64_t mask = 0xffffffffull << s;

			p->enable[ctx] =
			    (p->enable[ctx] & ~mask) | (((uint64_t)(uint32_t)val << s) & mask);
			p->enable[ctx] &= ~1ull; /* source 0 does not exist */
		}
	} else if (off >= 0x200000) {
		ctx = (unsigned)((off - 0x200000) / 0x1000);
		if (ctx < p->ncontexts) {
			if ((off & 0xfff) == 0) {
				p->threshold[ctx] = (uint32_t)val & PRIO_MAX;
			} else if ((off & 0xfff) == 4 && val > 0 && val < PLIC_NSOURCES) {
				/* complete: a still-asserted level source requests again */
				p->in_flight &= ~(1ull << val);
				if (p->level >> val & 1)
					p->pending |= 1ull << val;
			}
		}
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
}

static const struct mmio_ops plic_ops = {
	.read = plic_read,
	.write = plic_write,
	.sizes = 4,
};

static int plic_fdt(void *fdt, void *opaque)
{
	struct plic *p = opaque;
	uint32_t cells[2 * VM_MAX_VCPUS];
	char name[40];
	unsigned c;
	int rc = 0;

	for (c = 0; c < p->ncontexts; c++) {
		cells[2 * c] = cpu_to_fdt32(fdt_intc_phandle(c));
		cells[2 * c + 1] = cpu_to_fdt32(IRQ_S_EXT);
	}
	snprintf(name, sizeof(name), "plic@%llx", (unsigned long long)PLIC_BASE);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "compatible", "sifive,plic-1.0.0");
	rc |= fdt_property_u32(fdt, "#address-cells", 0);
	rc |= fdt_property_u32(fdt, "#interrupt-cells", 1);
	rc |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	rc |= fdt_property_reg(fdt, PLIC_BASE, PLIC_SIZE);
	rc |= fdt_property(fdt, "interrupts-extended", cells, (int)(8 * p->ncontexts));
	rc |= fdt_property_u32(fdt, "riscv,ndev", PLIC_NSOURCES - 1);
	rc |= fdt_property_u32(fdt, "phandle", PLIC_PHANDLE);
	rc |= fdt_end_node(fdt);
	return rc;
}

int plic_init(struct plic *p, struct vm *vm)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->vm = vm;
	p->ncontexts = vm->ncpus;
	pthread_mutex_init(&p->lock, NULL);
	rc = mmio_register(&vm->bus, gpa(PLIC_BASE), PLIC_SIZE, &plic_ops, p, "plic");
	if (rc)
		return rc;
	return vm_add_fdt_node(vm, plic_fdt, p);
}

void plic_destroy(struct plic *p)
{
	pthread_mutex_destroy(&p->lock);
}
