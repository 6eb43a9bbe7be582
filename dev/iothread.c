// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "dev/iothread.h"

static void *iothread_main(void *arg)
{
	struct iothread *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->kicked && !t->stop)
			pthread_cond_wait(&t->wake, &t->lock);
		if (t->stop)
			break;
		t->kicked = false;
		t->runs++;
		pthread_mutex_unlock(&t->lock);
		t->work(t->opaque);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int iothread_start(struct iothread *t, const char *name, void (*work)(void *opaque), void *opaque)
{
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	t->work = work;
	t->opaque = opaque;
	t->kicked = t->stop = false;
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* Signals are for the main thread (the console restores the terminal there). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->thread, NULL, iothread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(t->thread, t->name);
	t->started = true;
	return 0;
}

void iothread_kick(struct iothread *t)
{
	pthread_mutex_lock(&t->lock);
	t->kicks++;
	if (!t->kicked) {
		t->kicked = true;
		pthread_cond_signal(&t->wake);
	}
	pthread_mutex_unlock(&t->lock);
}

void iothread_stop(struct iothread *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->started = false;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
}
