/* SBI calling convention helpers (SBI spec v2.0, chapter 3). */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

struct sbiret {
	long error;
	long value;
};

#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED   -7
#define SBI_ERR_ALREADY_STOPPED   -8

#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR   0x01
#define SBI_EXT_LEGACY_SHUTDOWN  0x08
#define SBI_EXT_BASE             0x10
#define SBI_EXT_TIME             0x54494D45
#define SBI_EXT_IPI              0x735049
#define SBI_EXT_RFENCE           0x52464E43
#define SBI_EXT_HSM              0x48534D
#define SBI_EXT_SRST             0x53525354
#define SBI_EXT_DBCN             0x4442434E

enum sbi_base_fid {
	SBI_BASE_GET_SPEC_VERSION = 0,
	SBI_BASE_GET_IMPL_ID,
	SBI_BASE_GET_IMPL_VERSION,
	SBI_BASE_PROBE_EXT,
	SBI_BASE_GET_MVENDORID,
	SBI_BASE_GET_MARCHID,
	SBI_BASE_GET_MIMPID,
};

#define SBI_HSM_HART_START      0
#define SBI_HSM_HART_STOP       1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_HART_SUSPEND    3

#define SBI_HSM_STARTED       0
#define SBI_HSM_STOPPED       1
#define SBI_HSM_START_PENDING 2
#define SBI_HSM_STOP_PENDING  3
#define SBI_HSM_SUSPENDED     4

#define SBI_SRST_SHUTDOWN       0
#define SBI_SRST_REASON_NONE    0
#define SBI_SRST_REASON_FAILURE 1

#define SBI_DBCN_WRITE      0
#define SBI_DBCN_READ       1
#define SBI_DBCN_WRITE_BYTE 2

static inline struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long arg0,
                                      unsigned long arg1, unsigned long arg2, unsigned long arg3,
                                      unsigned long arg4, unsigned long arg5)
{
	register unsigned long a0 __asm__("a0") = arg0;
	register unsigned long a1 __asm__("a1") = arg1;
	register unsigned long a2 __asm__("a2") = arg2;
	register unsigned long a3 __asm__("a3") = arg3;
	register unsigned long a4 __asm__("a4") = arg4;
	register unsigned long a5 __asm__("a5") = arg5;
	register unsigned long a6 __asm__("a6") = fid;
	register unsigned long a7 __asm__("a7") = ext;
	__asm__ volatile("ecall"
	                 : "+r"(a0), "+r"(a1)
	                 : "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)
	                 : "memory");
	return (struct sbiret){ (long)a0, (long)a1 };
}

/* Legacy (v0.1) calls return a single value in a0. */
static inline long sbi_legacy_ecall(unsigned long ext, unsigned long arg0)
{
	return sbi_ecall(ext, 0, arg0, 0, 0, 0, 0, 0).error;
}

static inline long sbi_console_putchar(int ch)
{
	return sbi_legacy_ecall(SBI_EXT_LEGACY_PUTCHAR, (unsigned char)ch);
}

static inline struct sbiret sbi_probe_extension(unsigned long eid)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, eid, 0, 0, 0, 0, 0);
}

static inline struct sbiret sbi_set_timer(unsigned long stime)
{
	return sbi_ecall(SBI_EXT_TIME, 0, stime, 0, 0, 0, 0, 0);
}

static inline struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0, 0, 0);
}

static inline struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr,
                                           unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start_addr, opaque, 0, 0, 0);
}

static inline struct sbiret sbi_hart_stop(void)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0, 0, 0, 0);
}

static inline struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid, 0, 0, 0, 0, 0);
}

static inline struct sbiret sbi_system_reset(unsigned long type, unsigned long reason)
{
	return sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0, 0, 0, 0);
}

#endif
