/* SPDX-License-Identifier: MIT */
/*
 * The guest console backend: the host terminal (raw mode, escape Ctrl-A x
 * to quit, Ctrl-A Ctrl-A for a literal Ctrl-A) or plain pipes. Input feeds
 * a sink (the UART); output comes from the UART and the SBI console calls.
 */
#ifndef RVISOR_VMM_CONSOLE_H
#define RVISOR_VMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

struct vm;

struct console {
	int in_fd, out_fd;
	bool raw; /* the terminal was put in raw mode and must be restored */
	struct termios saved;
	int stop_pipe[2];
	pthread_t thread;
	bool thread_running;
	bool escape; /* Ctrl-A seen */
	struct vm *vm;
	/* where input goes; returns bytes taken, the rest is retried later */
	unsigned (*sink)(void *opaque, const uint8_t *buf, unsigned n);
	void *sink_opaque;
	pthread_mutex_t out_lock;
};

int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd);
/* Start forwarding input to the sink. */
int console_start(struct console *c, unsigned (*sink)(void *, const uint8_t *, unsigned),
                  void *opaque);
void console_output(struct console *c, const void *buf, size_t len);
void console_stop(struct console *c);

/* Restore the terminal of every console (atexit and fatal-signal paths). */
void console_restore_all(void);

#endif
