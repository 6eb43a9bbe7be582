/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3), one port, no MULTIPORT: the guest's
 * /dev/hvc0 on the host terminal. Guest output (transmitq) is written to
 * the terminal from the device's I/O thread; terminal input (receiveq)
 * arrives from the console input thread (vmm/console.c), which routes it
 * here instead of the UART when the VM has --console. With a terminal the
 * device offers VIRTIO_CONSOLE_F_SIZE and reports window size changes
 * (SIGWINCH) with a configuration change interrupt.
 */
#ifndef RVISOR_DEV_VIRTIO_CONSOLE_H
#define RVISOR_DEV_VIRTIO_CONSOLE_H

#include <stdatomic.h>
#include <stdio.h>

#include "dev/iothread.h"
#include "dev/virtio_mmio.h"

#define VIRTIO_ID_CONSOLE       3
#define VIRTIO_CONSOLE_F_SIZE   0
#define VIRTIO_CONSOLE_RX_QUEUE 0
#define VIRTIO_CONSOLE_TX_QUEUE 1

#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_MAX_BUFS   64

struct console;

struct virtio_console_stats {
	uint64_t tx_chains, tx_bytes; /* I/O thread */
	uint64_t rx_chains, rx_bytes; /* console input thread */
	uint64_t rx_dropped;          /* input while no driver was there to take it */
	_Atomic uint64_t resizes;
};

struct virtio_console {
	struct virtio_mmio mmio;
	struct iothread io;
	struct console *con;
	int tty_fd;                  /* the terminal whose size is reported; -1: none (no F_SIZE) */
	_Atomic uint32_t size;       /* cols | rows << 16 */
	_Atomic bool size_announced; /* since the last reset (see virtio_console_receive) */
	int winch_pipe[2];           /* SIGWINCH -> size thread */
	int stop_pipe[2];
	pthread_t size_thread;
	bool size_thread_running;
	struct iovec tx_iov[VIRTIO_CONSOLE_MAX_BUFS]; /* I/O thread only */
	struct iovec rx_iov[VIRTIO_CONSOLE_MAX_BUFS]; /* input thread only */
	struct virtio_console_stats stats;
};

/*
 * Attach at a virtio-mmio slot; output goes to con. tty_fd: the terminal
 * to report the size of, or -1. 0 or -errno.
 */
int virtio_console_init(struct virtio_console *v, struct vm *vm, struct plic *plic, unsigned slot,
                        struct console *con, int tty_fd);
/* The console input sink (vmm/console.h): bytes for the guest; returns how many it took. */
unsigned virtio_console_receive(void *opaque, const uint8_t *buf, unsigned n);
/* Stop the threads (after the vCPUs). */
void virtio_console_stop(struct virtio_console *v);
void virtio_console_destroy(struct virtio_console *v);
void virtio_console_print_stats(const struct virtio_console *v, FILE *f);

#endif
