/* Assembly helpers for the traps test. */
	.text
	.option norvc

/* A function whose entry is 2 mod 4: reachable with C, returns 0x600d. */
	.balign 4
	.globl	odd_target_pad
odd_target_pad:
	.option push
	.option rvc
	c.nop
	.option pop
	.globl	odd_target
odd_target:
	li	a0, 0x600d
	ret

/* U-mode snippets (run with trap_try_user) */
	.balign 4
	.globl	u_ecall
u_ecall:
	li	a0, 0x1234
	.globl	u_ecall_insn
u_ecall_insn:
	ecall
1:	j	1b

	.globl	u_ebreak
u_ebreak:
	.globl	u_ebreak_insn
u_ebreak_insn:
	ebreak
1:	j	1b

	.globl	u_csr
u_csr:
	.globl	u_csr_insn
u_csr_insn:
	csrr	a0, sstatus
1:	j	1b

	.globl	u_sret
u_sret:
	.globl	u_sret_insn
u_sret_insn:
	sret
1:	j	1b

	.globl	u_sfence
u_sfence:
	.globl	u_sfence_insn
u_sfence_insn:
	sfence.vma
1:	j	1b

/* U-mode function that returns normally (lands on rt_user_exit's ecall) */
	.globl	u_return
u_return:
	li	a0, 0x777
	ret

/*
 * Vectored-mode table: entry N counts into vec_hits[N] and continues at the
 * common trap_entry.  Only used for traps taken from S-mode (sp is valid).
 */
	.macro	VEC_STUB n
vec_stub_\n:
	addi	sp, sp, -16
	sd	t0, 0(sp)
	sd	t1, 8(sp)
	la	t0, vec_hits
	addi	t0, t0, \n * 8
	li	t1, 1
	amoadd.d zero, t1, (t0)
	ld	t0, 0(sp)
	ld	t1, 8(sp)
	addi	sp, sp, 16
	j	trap_entry
	.endm

	.balign 256
	.globl	vec_table
vec_table:
	j	vec_stub_0
	j	vec_stub_1
	j	vec_stub_2
	j	vec_stub_3
	j	vec_stub_4
	j	vec_stub_5
	j	vec_stub_6
	j	vec_stub_7
	j	vec_stub_8
	j	vec_stub_9
	j	vec_stub_10
	j	vec_stub_11
	j	vec_stub_12
	j	vec_stub_13
	j	vec_stub_14
	j	vec_stub_15
	VEC_STUB 0
	VEC_STUB 1
	VEC_STUB 2
	VEC_STUB 3
	VEC_STUB 4
	VEC_STUB 5
	VEC_STUB 6
	VEC_STUB 7
	VEC_STUB 8
	VEC_STUB 9
	VEC_STUB 10
	VEC_STUB 11
	VEC_STUB 12
	VEC_STUB 13
	VEC_STUB 14
	VEC_STUB 15

	.bss
	.balign 8
	.globl	vec_hits
vec_hits:
	.zero	16 * 8
