// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "dev/pvpanic.h"
#include "vmm/platform.h"

static unsigned uart_sink(void *opaque, const uint8_t *buf, unsigned n)
{
	return uart_receive(opaque, buf, n);
}

int platform_create(struct vm *vm, int in_fd, int out_fd)
{
	struct platform *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	vm->platform = p;
	rc = console_init(&p->console, vm, in_fd, out_fd);
	if (rc)
		return rc;
	vm->console = &p->console;
	rc = plic_init(&p->plic, vm);
	if (!rc)
		rc = uart_init(&p->uart, vm, &p->plic, &p->console);
	if (!rc)
		rc = pvpanic_init(vm);
	if (!rc)
		rc = console_start(&p->console, uart_sink, &p->uart);
	return rc;
}

void platform_destroy(struct vm *vm)
{
	struct platform *p = vm->platform;

	if (!p)
		return;
	console_stop(&p->console);
	plic_destroy(&p->plic);
	vm->console = NULL;
	free(p);
	vm->platform = NULL;
}
