// SPDX-License-Identifier: MIT
/*
 * NS16550A (National Semiconductor PC16550D datasheet register set): receive
 * FIFO fed by the console, transmit straight to the console, interrupts
 * for received data and THR empty, loopback mode, divisor latch.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "dev/uart.h"
#include "vmm/fdt.h"

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI    0x01
#define IER_THRI   0x02
#define LCR_DLAB   0x80
#define MCR_LOOP   0x10
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define IIR_NONE   0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0
#define FCR_FIFO   0x01
#define FCR_CLR_RX 0x02

static uint8_t iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_FIFO) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

static void update_irq(struct uart *u)
{
	/* OUT2 gates the interrupt line on PC-style boards; the 8250 driver sets it. */
	plic_set_irq(u->plic, UART_IRQ, (iir(u) & 0x0f) != IIR_NONE);
}

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count == UART_FIFO) {
		u->rx_dropped++;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = c;
	u->rx_count++;
	u->rx_bytes++;
}

unsigned uart_rx_room(struct uart *u)
{
	unsigned room;

	pthread_mutex_lock(&u->lock);
	room = UART_FIFO - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

unsigned uart_receive(struct uart *u, const uint8_t *buf, unsigned n)
{
	unsigned i;

	pthread_mutex_lock(&u->lock);
	if (u->mcr & MCR_LOOP)
		n = 0; /* the line is disconnected in loopback mode */
	for (i = 0; i < n && u->rx_count < UART_FIFO; i++)
		rx_push(u, buf[i]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return i;
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
	struct uart *u = opaque;
	uint8_t v = 0;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO;
			u->rx_count--;
		}
		break;
	case REG_IER: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
	case REG_IIR_FCR:
		v = iir(u);
		/* Reading IIR while it reports THR empty acknowledges that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thre_pending = 0;
		break;
	case REG_LCR: v = u->lcr; break;
	case REG_MCR: v = u->mcr; break;
	case REG_LSR: v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0); break;
	case REG_MSR:
		if (u->mcr & MCR_LOOP) {
			/* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			uint8_t m = u->mcr;
			v = (uint8_t)((m & 1) << 5 | (m & 2) << 3 | (m & 4) << 4 | (m & 8) << 4);
		} else {
			v = 0xb0; /* DCD, DSR, CTS: a connected terminal */
		}
		v |= ((v ^ u->msr_last) >> 4) & 0x0b; /* delta bits */
		u->msr_last = v & 0xf0;
		break;
	case REG_SCR: v = u->scr; break;
	default: break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void uart_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = opaque;
	uint8_t v = (uint8_t)val;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		u->tx_bytes++;
		if (u->mcr & MCR_LOOP)
			rx_push(u, v);
		else
			console_output(u->con, &v, 1);
		/* The byte left at once: THR is empty again. */
		u->thre_pending = 1;
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* Enabling the THR interrupt while THR is empty raises it (datasheet). */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = 1;
			u->ier = v & 0x0f;
		}
		break;
	case REG_IIR_FCR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLR_RX)
			u->rx_count = 0;
		break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_SCR: u->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static const struct mmio_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
	.sizes = 1,
};

static int uart_fdt(void *fdt, void *opaque)
{
	char name[40];
	int rc = 0;

	(void)opaque;
	snprintf(name, sizeof(name), "serial@%llx", (unsigned long long)UART_BASE);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "compatible", "ns16550a");
	rc |= fdt_property_reg(fdt, UART_BASE, UART_SIZE);
	rc |= fdt_property_u32(fdt, "clock-frequency", 3686400);
	rc |= fdt_property_u32(fdt, "interrupts", UART_IRQ);
	rc |= fdt_property_u32(fdt, "interrupt-parent", PLIC_PHANDLE);
	rc |= fdt_end_node(fdt);
	return rc;
}

int uart_init(struct uart *u, struct vm *vm, struct plic *plic, struct console *con)
{
	int rc;

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->plic = plic;
	u->con = con;
	rc = mmio_register(&vm->bus, gpa(UART_BASE), UART_SIZE, &uart_ops, u, "uart");
	if (rc)
		return rc;
	vm->stdout_path = "/soc/serial@10000000";
	return vm_add_fdt_node(vm, uart_fdt, u);
}
