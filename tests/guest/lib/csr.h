/* CSR access helpers and architectural constants (RISC-V privileged spec). */
#ifndef GUEST_CSR_H
#define GUEST_CSR_H

#include <stdint.h>

#define CSR_STR_(x) #x
#define CSR_STR(x)  CSR_STR_(x)

#define csr_read(csr)                                                             \
	({                                                                        \
		unsigned long __v;                                                \
		__asm__ volatile("csrr %0, " CSR_STR(csr) : "=r"(__v)::"memory"); \
		__v;                                                              \
	})
#define csr_write(csr, val) \
	({ __asm__ volatile("csrw " CSR_STR(csr) ", %0" ::"rK"((unsigned long)(val)) : "memory"); })
#define csr_swap(csr, val)                                        \
	({                                                        \
		unsigned long __v;                                \
		__asm__ volatile("csrrw %0, " CSR_STR(csr) ", %1" \
		                 : "=r"(__v)                      \
		                 : "rK"((unsigned long)(val))     \
		                 : "memory");                     \
		__v;                                              \
	})
#define csr_set(csr, val) \
	({ __asm__ volatile("csrs " CSR_STR(csr) ", %0" ::"rK"((unsigned long)(val)) : "memory"); })
#define csr_clear(csr, val) \
	({ __asm__ volatile("csrc " CSR_STR(csr) ", %0" ::"rK"((unsigned long)(val)) : "memory"); })

/* CSR numbers the assembler may not know by name. */
#define CSR_STIMECMP 0x14d

/* sstatus */
#define SSTATUS_SIE      (1UL << 1)
#define SSTATUS_SPIE     (1UL << 5)
#define SSTATUS_UBE      (1UL << 6)
#define SSTATUS_SPP      (1UL << 8)
#define SSTATUS_VS       (3UL << 9)
#define SSTATUS_FS       (3UL << 13)
#define SSTATUS_FS_OFF   (0UL << 13)
#define SSTATUS_FS_INIT  (1UL << 13)
#define SSTATUS_FS_CLEAN (2UL << 13)
#define SSTATUS_FS_DIRTY (3UL << 13)
#define SSTATUS_XS       (3UL << 15)
#define SSTATUS_SUM      (1UL << 18)
#define SSTATUS_MXR      (1UL << 19)
#define SSTATUS_UXL      (3UL << 32)
#define SSTATUS_SD       (1UL << 63)

/* sie / sip */
#define IRQ_S_SOFT  1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT   9
#define SIP_SSIP    (1UL << IRQ_S_SOFT)
#define SIP_STIP    (1UL << IRQ_S_TIMER)
#define SIP_SEIP    (1UL << IRQ_S_EXT)

/* scause */
#define SCAUSE_INTR            (1UL << 63)
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL_INSN     2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_USER_ECALL       8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15

/* satp */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE  0UL
#define SATP_MODE_SV39  8UL
#define SATP_MODE_SV48  9UL
#define SATP_MODE_SV57  10UL

/* fflags */
#define FFLAG_NX 0x01
#define FFLAG_UF 0x02
#define FFLAG_OF 0x04
#define FFLAG_DZ 0x08
#define FFLAG_NV 0x10

static inline unsigned long read_time(void)
{
	unsigned long t;
	__asm__ volatile("rdtime %0" : "=r"(t)::"memory");
	return t;
}

#endif
