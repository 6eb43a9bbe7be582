/* SPDX-License-Identifier: MIT */
/*
 * A device's I/O thread: the vCPU that notifies the device only kicks it
 * and goes back to the guest; the thread runs the device's work function
 * (host I/O, which may block) until it has nothing left to do. Kicks that
 * arrive while it works make it run once more, so none is lost.
 */
#ifndef RVISOR_DEV_IOTHREAD_H
#define RVISOR_DEV_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct iothread {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool kicked, stop, started;
	void (*work)(void *opaque);
	void *opaque;
	char name[16];
	uint64_t kicks; /* kick calls */
	uint64_t runs;  /* times work() ran: kicks that found the thread busy coalesce */
};

/* Start the thread (name: at most 15 characters, for ps/top). 0 or -errno. */
int iothread_start(struct iothread *t, const char *name, void (*work)(void *opaque), void *opaque);
/* Make work() run soon (any thread, cheap). */
void iothread_kick(struct iothread *t);
/* Let a running work() finish, then end the thread. */
void iothread_stop(struct iothread *t);

#endif
