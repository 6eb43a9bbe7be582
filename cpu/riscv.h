/* SPDX-License-Identifier: MIT */
/*
 * Architectural constants of RISC-V, named after the privileged and
 * unprivileged specifications (Ratified 20211203 privileged spec, H extension
 * chapter 8).
 */
#ifndef RVISOR_CPU_RISCV_H
#define RVISOR_CPU_RISCV_H

#include <stdint.h>

/* Exception causes (privileged spec, table 4.2 and 8.7). */
enum {
	CAUSE_MISALIGNED_FETCH = 0,
	CAUSE_FETCH_ACCESS = 1,
	CAUSE_ILLEGAL_INSTRUCTION = 2,
	CAUSE_BREAKPOINT = 3,
	CAUSE_MISALIGNED_LOAD = 4,
	CAUSE_LOAD_ACCESS = 5,
	CAUSE_MISALIGNED_STORE = 6,
	CAUSE_STORE_ACCESS = 7,
	CAUSE_USER_ECALL = 8,
	CAUSE_SUPERVISOR_ECALL = 9, /* from HS; from VS it is 10 */
	CAUSE_VIRTUAL_SUPERVISOR_ECALL = 10,
	CAUSE_MACHINE_ECALL = 11,
	CAUSE_FETCH_PAGE_FAULT = 12,
	CAUSE_LOAD_PAGE_FAULT = 13,
	CAUSE_STORE_PAGE_FAULT = 15,
	CAUSE_FETCH_GUEST_PAGE_FAULT = 20,
	CAUSE_LOAD_GUEST_PAGE_FAULT = 21,
	CAUSE_VIRTUAL_INSTRUCTION = 22,
	CAUSE_STORE_GUEST_PAGE_FAULT = 23,
};

#define CAUSE_INTERRUPT (1ull << 63)

/* Interrupt numbers (bits of sip/sie/hip/hie/hvip). */
enum {
	IRQ_S_SOFT = 1,
	IRQ_VS_SOFT = 2,
	IRQ_S_TIMER = 5,
	IRQ_VS_TIMER = 6,
	IRQ_S_EXT = 9,
	IRQ_VS_EXT = 10,
	IRQ_S_GEXT = 12,
};

#define MIP_VSSIP (1ull << IRQ_VS_SOFT)
#define MIP_VSTIP (1ull << IRQ_VS_TIMER)
#define MIP_VSEIP (1ull << IRQ_VS_EXT)
#define VS_IRQS   (MIP_VSSIP | MIP_VSTIP | MIP_VSEIP)

/* sstatus / vsstatus fields. */
#define SSTATUS_SIE  (1ull << 1)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_UBE  (1ull << 6)
#define SSTATUS_SPP  (1ull << 8)
#define SSTATUS_VS   (3ull << 9)
#define SSTATUS_FS   (3ull << 13)
#define SSTATUS_XS   (3ull << 15)
#define SSTATUS_SUM  (1ull << 18)
#define SSTATUS_MXR  (1ull << 19)
#define SSTATUS_UXL  (3ull << 32)
#define SSTATUS_SD   (1ull << 63)

#define FS_OFF     0ull
#define FS_INITIAL (1ull << 13)
#define FS_CLEAN   (2ull << 13)
#define FS_DIRTY   (3ull << 13)

#define UXL_64 (2ull << 32)

/* hstatus fields (section 8.2.1). */
#define HSTATUS_VSBE  (1ull << 5)
#define HSTATUS_GVA   (1ull << 6)
#define HSTATUS_SPV   (1ull << 7)
#define HSTATUS_SPVP  (1ull << 8)
#define HSTATUS_HU    (1ull << 9)
#define HSTATUS_VGEIN (0x3full << 12)
#define HSTATUS_VTVM  (1ull << 20)
#define HSTATUS_VTW   (1ull << 21)
#define HSTATUS_VTSR  (1ull << 22)
#define HSTATUS_VSXL  (3ull << 32)

/* henvcfg fields. */
#define ENVCFG_FIOM  (1ull << 0)
#define ENVCFG_CBIE  (3ull << 4)
#define ENVCFG_CBCFE (1ull << 6)
#define ENVCFG_CBZE  (1ull << 7)
#define ENVCFG_PBMTE (1ull << 62)
#define ENVCFG_STCE  (1ull << 63)

/* satp / vsatp / hgatp. */
#define SATP_MODE_SHIFT  60
#define SATP_MODE_BARE   0ull
#define SATP_MODE_SV39   8ull
#define SATP_MODE_SV48   9ull
#define SATP_MODE_SV57   10ull
#define SATP_ASID_SHIFT  44
#define SATP_ASID_MASK   0xffffull
#define SATP_PPN_MASK    ((1ull << 44) - 1)
#define HGATP_VMID_SHIFT 44
#define HGATP_VMID_MASK  0x3fffull

/* CSR numbers (privileged spec, tables 2.2-2.6). */
enum {
	CSR_FFLAGS = 0x001,
	CSR_FRM = 0x002,
	CSR_FCSR = 0x003,
	CSR_CYCLE = 0xc00,
	CSR_TIME = 0xc01,
	CSR_INSTRET = 0xc02,
	CSR_HPMCOUNTER3 = 0xc03,
	CSR_HPMCOUNTER31 = 0xc1f,

	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SCOUNTEREN = 0x106,
	CSR_SENVCFG = 0x10a,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_STIMECMP = 0x14d,
	CSR_SATP = 0x180,

	CSR_HSTATUS = 0x600,
	CSR_HEDELEG = 0x602,
	CSR_HIDELEG = 0x603,
	CSR_HIE = 0x604,
	CSR_HTIMEDELTA = 0x605,
	CSR_HCOUNTEREN = 0x606,
	CSR_HGEIE = 0x607,
	CSR_HENVCFG = 0x60a,
	CSR_HTVAL = 0x643,
	CSR_HIP = 0x644,
	CSR_HVIP = 0x645,
	CSR_HTINST = 0x64a,
	CSR_HGATP = 0x680,
	CSR_HGEIP = 0xe12,

	CSR_VSSTATUS = 0x200,
	CSR_VSIE = 0x204,
	CSR_VSTVEC = 0x205,
	CSR_VSSCRATCH = 0x240,
	CSR_VSEPC = 0x241,
	CSR_VSCAUSE = 0x242,
	CSR_VSTVAL = 0x243,
	CSR_VSIP = 0x244,
	CSR_VSTIMECMP = 0x24d,
	CSR_VSATP = 0x280,
};

/* Pseudoinstructions written to htinst for implicit VS-stage PTE accesses (8.6.3). */
#define HTINST_PTE_READ64  0x00003000u
#define HTINST_PTE_WRITE64 0x00003020u

/* The timebase every VM sees (device tree timebase-frequency). */
#define RVISOR_TIMEBASE_HZ 10000000ull

#endif
