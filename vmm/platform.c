// SPDX-License-Identifier: MIT
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "dev/pvpanic.h"
#include "vmm/platform.h"

static unsigned uart_sink(void *opaque, const uint8_t *buf, unsigned n)
{
	return uart_receive(opaque, buf, n);
}

/* A virtio-blk disk in the next virtio-mmio slot; its serial is the image's file name. */
static int add_disk(struct vm *vm, struct platform *p, const struct vm_disk_config *dc, char *err,
                    size_t errlen)
{
	char serial[VIRTIO_BLK_ID_BYTES + 1], *copy;
	struct virtio_blk *b;
	struct disk *disk;
	int rc;

	rc = disk_raw_open(dc->path, dc->read_only, &disk);
	if (rc) {
		snprintf(err, errlen, "cannot open disk '%s': %s%s", dc->path,
		         rc == -EBUSY ? "in use by another VM or process" : strerror(-rc),
		         rc == -EROFS || rc == -EACCES ? " (use --disk PATH,ro)" : "");
		return rc;
	}
	copy = strdup(dc->path);
	b = calloc(1, sizeof(*b));
	if (!copy || !b) {
		free(copy);
		free(b);
		disk_close(disk);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(serial, sizeof(serial), "%s", basename(copy));
	free(copy);
	p->blk[p->nblk++] = b;
	rc = virtio_blk_init(b, vm, &p->plic, p->next_slot++, disk, serial);
	if (rc)
		snprintf(err, errlen, "cannot create the virtio-blk device for '%s': %s", dc->path,
		         strerror(-rc));
	return rc;
}

/* A virtio-net device over the backend its --net option asks for, in the next slot. */
static int add_net(struct vm *vm, struct platform *p, const struct net_config *nc, char *err,
                   size_t errlen)
{
	char why[256];
	struct net_backend *nb;
	struct virtio_net *n;
	int rc;

	rc = net_backend_open(nc, &nb, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "--net: %s", why);
		return rc;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		net_backend_close(nb);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->net[p->nnet++] = n;
	rc = virtio_net_init(n, vm, &p->plic, p->next_slot++, nb, nc->mac_set ? nc->mac : NULL);
	if (rc)
		snprintf(err, errlen, "cannot create the virtio-net device (%s): %s", nb->desc,
		         strerror(-rc));
	return rc;
}

int platform_create(struct vm *vm, int in_fd, int out_fd, char *err, size_t errlen)
{
	struct platform *p = calloc(1, sizeof(*p));
	unsigned i;
	int rc;

	if (!p)
		return -ENOMEM;
	vm->platform = p;
	snprintf(err, errlen, "cannot create the platform devices");
	rc = console_init(&p->console, vm, in_fd, out_fd);
	if (rc)
		return rc;
	vm->console = &p->console;
	rc = plic_init(&p->plic, vm);
	if (!rc)
		rc = uart_init(&p->uart, vm, &p->plic, &p->console);
	if (!rc)
		rc = pvpanic_init(vm);
	if (rc)
		return rc;
	if (vm_config_nvirtio(&vm->cfg) > VM_MAX_VIRTIO) {
		snprintf(err, errlen, "too many virtio devices (at most %d)", VM_MAX_VIRTIO);
		return -ENOSPC;
	}
	for (i = 0; i < vm->cfg.ndisks && !rc; i++)
		rc = add_disk(vm, p, &vm->cfg.disks[i], err, errlen);
	for (i = 0; i < vm->cfg.nnets && !rc; i++)
		rc = add_net(vm, p, &vm->cfg.nets[i], err, errlen);
	if (!rc && vm->cfg.rng) {
		p->rng = calloc(1, sizeof(*p->rng));
		rc = p->rng ? virtio_rng_init(p->rng, vm, &p->plic, p->next_slot++) : -ENOMEM;
		if (rc)
			snprintf(err, errlen, "cannot create the virtio-rng device: %s",
			         strerror(-rc));
	}
	if (!rc)
		rc = console_start(&p->console, uart_sink, &p->uart);
	return rc;
}

void platform_stop(struct vm *vm)
{
	struct platform *p = vm->platform;
	unsigned i;

	if (!p)
		return;
	console_stop(&p->console);
	for (i = 0; i < p->nblk; i++)
		iothread_stop(&p->blk[i]->io);
	for (i = 0; i < p->nnet; i++)
		virtio_net_stop(p->net[i]);
	if (p->rng)
		iothread_stop(&p->rng->io);
}

void platform_destroy(struct vm *vm)
{
	struct platform *p = vm->platform;
	unsigned i;

	if (!p)
		return;
	platform_stop(vm);
	/* Device I/O threads end before the interrupt controller they signal. */
	for (i = 0; i < p->nblk; i++) {
		virtio_blk_destroy(p->blk[i]);
		free(p->blk[i]);
	}
	for (i = 0; i < p->nnet; i++) {
		virtio_net_destroy(p->net[i]);
		free(p->net[i]);
	}
	if (p->rng) {
		virtio_rng_destroy(p->rng);
		free(p->rng);
	}
	plic_destroy(&p->plic);
	vm->console = NULL;
	free(p);
	vm->platform = NULL;
}

void platform_print_stats(const struct vm *vm, FILE *f)
{
	const struct platform *p = vm->platform;
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->nblk; i++)
		virtio_blk_print_stats(p->blk[i], f);
	for (i = 0; i < p->nnet; i++)
		virtio_net_print_stats(p->net[i], f);
	if (p->rng)
		virtio_rng_print_stats(p->rng, f);
}
