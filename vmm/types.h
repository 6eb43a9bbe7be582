/* SPDX-License-Identifier: MIT */
/* Address kinds as distinct types, so a raw integer never crosses a module boundary. */
#ifndef RVISOR_VMM_TYPES_H
#define RVISOR_VMM_TYPES_H

#include <stdint.h>

typedef struct {
	uint64_t v;
} gpa_t; /* guest physical address */

typedef struct {
	uint64_t v;
} gva_t; /* guest virtual address */

static inline gpa_t gpa(uint64_t v)
{
	return (gpa_t){ v };
}

#endif
