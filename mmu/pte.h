/* SPDX-License-Identifier: MIT */
/*
 * Page-table entry format and translation-mode encodings shared by both
 * stages (privileged spec: Sv39/Sv48 PTEs, 4.4/4.5; hgatp, 8.2.10). The
 * G-stage uses the same PTE format as the VS-stage (8.5.1).
 *
 * Each macro is guarded so that a file which already spells it the same way
 * (vmm/vm.c does for the PTE bits) keeps compiling whatever the include order.
 */
#ifndef RVISOR_MMU_PTE_H
#define RVISOR_MMU_PTE_H

#include <stdint.h>

#ifndef PTE_V
#define PTE_V (1ull << 0)
#endif
#ifndef PTE_R
#define PTE_R (1ull << 1)
#endif
#ifndef PTE_W
#define PTE_W (1ull << 2)
#endif
#ifndef PTE_X
#define PTE_X (1ull << 3)
#endif
#ifndef PTE_U
#define PTE_U (1ull << 4)
#endif
#ifndef PTE_G
#define PTE_G (1ull << 5)
#endif
#ifndef PTE_A
#define PTE_A (1ull << 6)
#endif
#ifndef PTE_D
#define PTE_D (1ull << 7)
#endif
#ifndef PTE_RSW
#define PTE_RSW (3ull << 8) /* reserved for supervisor software: ignored */
#endif
#ifndef PTE_PPN_SHIFT
#define PTE_PPN_SHIFT 10
#endif
#ifndef PTE_PPN_MASK
#define PTE_PPN_MASK ((1ull << 44) - 1) /* PPN in bits 53:10 */
#endif
/* Bits 63 (N, Svnapot), 62:61 (PBMT, Svpbmt) and 60:54: none implemented here. */
#ifndef PTE_RESERVED
#define PTE_RESERVED (0x3ffull << 54)
#endif

#define PT_PAGE_SHIFT 12
#define PT_INDEX_BITS 9 /* 512 eight-byte PTEs per 4 KiB table */

/* hgatp (8.2.10): MODE in 63:60, VMID in 57:44, PPN in 43:0. */
#ifndef HGATP_MODE_SHIFT
#define HGATP_MODE_SHIFT 60
#endif
#ifndef HGATP_MODE_BARE
#define HGATP_MODE_BARE 0ull
#endif
#ifndef HGATP_MODE_SV39X4
#define HGATP_MODE_SV39X4 8ull
#endif
#ifndef HGATP_MODE_SV48X4
#define HGATP_MODE_SV48X4 9ull
#endif
#ifndef HGATP_PPN_MASK
#define HGATP_PPN_MASK ((1ull << 44) - 1)
#endif

#endif
