/* SPDX-License-Identifier: MIT */
/*
 * A device reading or writing a guest buffer races with the guest by
 * design: the guest orders its own accesses against the device's with the
 * ring indices and its FENCE instructions, and ThreadSanitizer models
 * neither guest fences nor the guest's relaxed accesses as synchronisation
 * (see cpu/internal.h). So a device brackets the copies into and out of
 * guest buffers (memcpy, preadv/pwritev, getrandom) with
 * dma_race_begin/end, which tell ThreadSanitizer to ignore the accesses in
 * between. Ring indices and descriptors are read and written with atomics
 * instead (dev/virtqueue.c): those orderings are the host's to get right.
 * Without ThreadSanitizer both are no-ops.
 */
#ifndef RVISOR_VMM_DMA_RACE_H
#define RVISOR_VMM_DMA_RACE_H

#if defined(__SANITIZE_THREAD__)
#define RVISOR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RVISOR_TSAN 1
#endif
#endif

#ifdef RVISOR_TSAN
/* ThreadSanitizer's dynamic annotations (its runtime defines them). */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);

static inline void dma_race_begin(void)
{
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
}

static inline void dma_race_end(void)
{
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
}
#else
static inline void dma_race_begin(void)
{
}

static inline void dma_race_end(void)
{
}
#endif

#endif
