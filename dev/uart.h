/* SPDX-License-Identifier: MIT */
/* NS16550A UART, full device emulation driven by Linux's stock 8250 driver. */
#ifndef RVISOR_DEV_UART_H
#define RVISOR_DEV_UART_H

#include <pthread.h>
#include <stdint.h>

#include "dev/plic.h"
#include "vmm/console.h"

#define UART_BASE 0x10000000ull
#define UART_SIZE 0x100ull
#define UART_IRQ  10
#define UART_FIFO 16

struct uart {
	pthread_mutex_t lock;
	struct plic *plic;
	struct console *con;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t msr_last;
	int thre_pending; /* THR-empty interrupt latched (cleared by IIR read or THR write) */
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
};

int uart_init(struct uart *u, struct vm *vm, struct plic *plic, struct console *con);
/* Bytes from the console backend (any thread); returns how many were taken. */
unsigned uart_receive(struct uart *u, const uint8_t *buf, unsigned n);
/* Room in the receive FIFO. */
unsigned uart_rx_room(struct uart *u);

#endif
