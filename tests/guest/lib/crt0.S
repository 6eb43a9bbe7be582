/*
 * Guest runtime entry points: boot hart entry (_start), secondary hart entry
 * (for SBI HSM hart_start), the S-mode trap vector, and small helpers that
 * must be written in assembly (setjmp/longjmp, entering U-mode).
 */
#define MAX_HARTS   4
#define STACK_SHIFT 14	/* 16 KiB per hart */
#define FRAME_SIZE  288	/* struct trap_frame: 36 dwords */

	.section .text.init, "ax", @progbits
	.option norvc
	.globl	_start
_start:
	/* a0 = hartid, a1 = dtb; normally only the boot hart comes here. */
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	csrw	sie, zero
	csrci	sstatus, 2
	/*
	 * Only one hart may boot.  A hart that arrives here after the boot hart
	 * (firmware sent it to the kernel entry instead of a hart_start
	 * start_addr) must not re-run the boot; it continues as a secondary.
	 */
	la	t0, boot_claimed
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, stray_hart
	csrw	sscratch, zero
	la	t0, trap_entry
	csrw	stvec, t0
	li	t0, MAX_HARTS
	bgeu	a0, t0, bad_hartid
	mv	s0, a0
	mv	s1, a1
	la	sp, __stacks_end
	slli	t0, s0, STACK_SHIFT
	sub	sp, sp, t0
	/* zero .bss (8-byte aligned by the linker script) */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	mv	a0, s0
	call	rt_tls_init
	mv	tp, a0
	/* FPU on (Initial), fcsr cleared */
	li	t0, 3 << 13
	csrc	sstatus, t0
	li	t0, 1 << 13
	csrs	sstatus, t0
	csrw	fcsr, zero
	mv	a0, s0
	mv	a1, s1
	call	rt_boot
3:	wfi
	j	3b

stray_hart:
	li	t0, MAX_HARTS
	bgeu	a0, t0, bad_hartid
	la	t1, hart_stray
	slli	t2, a0, 3
	add	t1, t1, t2
	li	t2, 1
	sd	t2, 0(t1)
	fence	rw, rw
	j	_secondary_entry

bad_hartid:
	/* Cannot use a stack: say "!hartid" with raw legacy putchar and park. */
	li	a7, 1
	li	a0, '!'
	ecall
4:	wfi
	j	4b

	/* Secondary harts started by SBI HSM: a0 = hartid, a1 = opaque. */
	.text
	.balign 4
	.globl	_secondary_entry
_secondary_entry:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	li	t0, MAX_HARTS
	bgeu	a0, t0, bad_hartid
	/* record the entry state before touching anything else */
	la	t1, hart_entry_info
	li	t2, 40
	mul	t2, t2, a0
	add	t1, t1, t2
	sd	a0, 0(t1)
	sd	a1, 8(t1)
	csrr	t2, sstatus
	sd	t2, 16(t1)
	csrr	t2, satp
	sd	t2, 24(t1)
	csrr	t2, sie
	sd	t2, 32(t1)
	fence	rw, rw
	csrw	sie, zero
	csrci	sstatus, 2
	csrw	sscratch, zero
	la	t0, trap_entry
	csrw	stvec, t0
	mv	s0, a0
	mv	s1, a1
	la	sp, __stacks_end
	slli	t0, s0, STACK_SHIFT
	sub	sp, sp, t0
	mv	a0, s0
	call	rt_tls_init
	mv	tp, a0
	li	t0, 3 << 13
	csrc	sstatus, t0
	li	t0, 1 << 13
	csrs	sstatus, t0
	csrw	fcsr, zero
	mv	a0, s0
	mv	a1, s1
	call	rt_secondary
5:	wfi
	j	5b

	.data
	.balign 8
boot_claimed:
	.dword	0

	.text
/*
 * Trap vector (direct mode, 4-byte aligned).  sscratch is 0 while the hart runs
 * in S-mode and holds the kernel stack pointer while it runs in U-mode.
 */
	.balign 64
	.globl	trap_entry
trap_entry:
	csrrw	sp, sscratch, sp
	bnez	sp, 1f
	csrrw	sp, sscratch, sp	/* from S-mode: back to the old sp */
1:	addi	sp, sp, -FRAME_SIZE
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrrw	t0, sscratch, zero	/* user sp, or 0 when trapped from S */
	bnez	t0, 2f
	addi	t0, sp, FRAME_SIZE
2:	sd	t0, 2*8(sp)
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, sstatus
	sd	t0, 33*8(sp)
	csrr	t0, scause
	sd	t0, 34*8(sp)
	csrr	t0, stval
	sd	t0, 35*8(sp)
	/* gp/tp are the kernel's: U-mode code in this suite never changes them */
	mv	a0, sp
	call	trap_dispatch
	.globl	trap_return
trap_return:
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	andi	t0, t0, 0x100		/* SPP */
	bnez	t0, 3f
	addi	t0, sp, FRAME_SIZE	/* returning to U: kernel sp into sscratch */
	csrw	sscratch, t0
3:	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	x2, 2*8(sp)
	sret

/*
 * int rt_setjmp(struct rt_jmpbuf *b) / void rt_longjmp(struct rt_jmpbuf *b, int v)
 * Integer registers only, so they work with sstatus.FS = Off.
 */
	.globl	rt_setjmp
rt_setjmp:
	sd	ra, 0*8(a0)
	sd	sp, 1*8(a0)
	sd	s0, 2*8(a0)
	sd	s1, 3*8(a0)
	sd	s2, 4*8(a0)
	sd	s3, 5*8(a0)
	sd	s4, 6*8(a0)
	sd	s5, 7*8(a0)
	sd	s6, 8*8(a0)
	sd	s7, 9*8(a0)
	sd	s8, 10*8(a0)
	sd	s9, 11*8(a0)
	sd	s10, 12*8(a0)
	sd	s11, 13*8(a0)
	sd	gp, 14*8(a0)
	sd	tp, 15*8(a0)
	li	a0, 0
	ret

	.globl	rt_longjmp
rt_longjmp:
	ld	ra, 0*8(a0)
	ld	sp, 1*8(a0)
	ld	s0, 2*8(a0)
	ld	s1, 3*8(a0)
	ld	s2, 4*8(a0)
	ld	s3, 5*8(a0)
	ld	s4, 6*8(a0)
	ld	s5, 7*8(a0)
	ld	s6, 8*8(a0)
	ld	s7, 9*8(a0)
	ld	s8, 10*8(a0)
	ld	s9, 11*8(a0)
	ld	s10, 12*8(a0)
	ld	s11, 13*8(a0)
	ld	gp, 14*8(a0)
	ld	tp, 15*8(a0)
	mv	a0, a1
	ret

/* void rt_enter_user(fn, arg, user_sp): sret to fn(arg) in U-mode. */
	.globl	rt_enter_user
rt_enter_user:
	csrw	sepc, a0
	li	t0, 0x120		/* SPP | SPIE */
	csrc	sstatus, t0
	csrw	sscratch, sp
	mv	a0, a1
	la	ra, rt_user_exit
	mv	sp, a2
	sret

	.balign 4
	.globl	rt_user_exit
rt_user_exit:
	ecall
	j	rt_user_exit
