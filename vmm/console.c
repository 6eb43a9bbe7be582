// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/vm.h"

#define CTRL_A 0x01

/*
 * The one piece of process-wide state: the terminal settings to restore if
 * the process dies by a signal. A process has one controlling terminal, so
 * one saved copy serves every VM.
 */
static struct termios saved_tty;
static volatile sig_atomic_t tty_saved;

void console_restore_all(void)
{
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
}

static void on_fatal_signal(int sig)
{
	console_restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->vm = vm;
	pthread_mutex_init(&c->out_lock, NULL);
	if (pipe(c->stop_pipe) < 0)
		return -errno;
	if (in_fd >= 0 && isatty(in_fd) && tcgetattr(in_fd, &c->saved) == 0) {
		struct termios t = c->saved;

		if (in_fd == STDIN_FILENO && !tty_saved) {
			saved_tty = c->saved;
			tty_saved = 1;
			atexit(console_restore_all);
			signal(SIGTERM, on_fatal_signal);
			signal(SIGHUP, on_fatal_signal);
			signal(SIGQUIT, on_fatal_signal);
			signal(SIGSEGV, on_fatal_signal);
			signal(SIGABRT, on_fatal_signal);
		}
		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR; /* keep host-side newline translation for output */
		if (tcsetattr(in_fd, TCSAFLUSH, &t) == 0)
			c->raw = true;
	}
	return 0;
}

void console_output(struct console *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_mutex_lock(&c->out_lock);
	while (len) {
		ssize_t n = write(c->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&c->out_lock);
}

/* Deliver input, holding back what the device cannot take yet (its FIFO is full). */
static void deliver(struct console *c, const uint8_t *buf, unsigned n)
{
	while (n) {
		unsigned took = c->sink(c->sink_opaque, buf, n);

		buf += took;
		n -= took;
		if (n && !took) {
			struct pollfd p = { .fd = c->stop_pipe[0], .events = POLLIN };
			if (poll(&p, 1, 1) > 0 || atomic_load(&c->vm->end) != VM_RUNNING)
				return;
		}
	}
}

static void *console_thread(void *arg)
{
	struct console *c = arg;
	uint8_t buf[64], out[64];

	for (;;) {
		struct pollfd p[2] = { { .fd = c->in_fd, .events = POLLIN },
			               { .fd = c->stop_pipe[0], .events = POLLIN } };
		unsigned i, n_out = 0;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* end of input: the guest keeps running without it */
		for (i = 0; i < (unsigned)n; i++) {
			uint8_t ch = buf[i];

			if (c->raw && c->escape) {
				c->escape = false;
				if (ch == 'x' || ch == 'X') {
					console_output(c, "\r\nrvisor: terminated (Ctrl-A x)\r\n",
					               32);
					vm_request_end(c->vm, VM_END_POWEROFF, 0);
					return NULL;
				}
				if (ch != CTRL_A)
					continue;
			} else if (c->raw && ch == CTRL_A) {
				c->escape = true;
				continue;
			}
			out[n_out++] = ch;
		}
		deliver(c, out, n_out);
	}
	return NULL;
}

int console_start(struct console *c, unsigned (*sink)(void *, const uint8_t *, unsigned),
                  void *opaque)
{
	c->sink = sink;
	c->sink_opaque = opaque;
	if (c->in_fd < 0)
		return 0;
	if (pthread_create(&c->thread, NULL, console_thread, c) != 0)
		return -EAGAIN;
	c->thread_running = true;
	return 0;
}

void console_stop(struct console *c)
{
	if (c->thread_running) {
		if (write(c->stop_pipe[1], "x", 1) < 0) {
			/* the thread also ends at end of input; nothing else to do */
		}
		pthread_join(c->thread, NULL);
		c->thread_running = false;
	}
	if (c->raw) {
		tcsetattr(c->in_fd, TCSAFLUSH, &c->saved);
		c->raw = false;
	}
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	pthread_mutex_destroy(&c->out_lock);
}
