/*
 * Every RV64C instruction, written with explicit c.* mnemonics so the
 * assembler must emit the 16-bit encoding.  Functions are u64 f(u64 a, u64 b)
 * (a = a0, b = a1) returning a0.
 */
	.text
	.option rvc

	.macro	FN name
	.balign	2
	.globl	\name
\name:
	.endm

/* ---- quadrant 0 ---- */
FN c_addi4spn_4
	c.addi4spn a0, sp, 4
	sub	a0, a0, sp
	ret
FN c_addi4spn_1020
	c.addi4spn a0, sp, 1020
	sub	a0, a0, sp
	ret
FN c_lw				/* a = base; reads a+124 */
	c.lw	a0, 124(a0)
	ret
FN c_lw0
	c.lw	a0, 0(a0)
	ret
FN c_ld
	c.ld	a0, 248(a0)
	ret
FN c_sw				/* *(u32 *)(a+124) = b */
	c.sw	a1, 124(a0)
	ret
FN c_sd
	c.sd	a1, 248(a0)
	ret
FN c_fld
	c.fld	fa0, 248(a0)
	fmv.x.d	a0, fa0
	ret
FN c_fsd
	fmv.d.x	fa1, a1
	c.fsd	fa1, 248(a0)
	ret

/* ---- quadrant 1 ---- */
FN c_nop
	mv	a0, a1
	c.nop
	c.nop
	ret
FN c_addi_m32
	c.addi	a0, -32
	ret
FN c_addi_31
	c.addi	a0, 31
	ret
FN c_addiw_0			/* sext.w */
	c.addiw	a0, 0
	ret
FN c_addiw_m1
	c.addiw	a0, -1
	ret
FN c_addiw_31
	c.addiw	a0, 31
	ret
FN c_li_m32
	c.li	a0, -32
	ret
FN c_li_31
	c.li	a0, 31
	ret
FN c_addi16sp			/* returns sp delta of c.addi16sp -512; restores sp */
	mv	t0, sp
	c.addi16sp sp, -512
	sub	a0, sp, t0
	c.addi16sp sp, 496
	c.addi16sp sp, 16
	sub	a1, sp, t0	/* must be 0 again */
	or	a0, a0, a1	/* a1 != 0 would show up */
	ret
FN c_lui_neg
	c.lui	a0, 0xfffe0
	ret
FN c_lui_pos
	c.lui	a0, 0x1f
	ret
FN c_srli_63
	c.srli	a0, 63
	ret
FN c_srli_1
	c.srli	a0, 1
	ret
FN c_srai_32
	c.srai	a0, 32
	ret
FN c_srai_1
	c.srai	a0, 1
	ret
FN c_andi_m32
	c.andi	a0, -32
	ret
FN c_andi_31
	c.andi	a0, 31
	ret
FN c_sub
	c.sub	a0, a1
	ret
FN c_xor
	c.xor	a0, a1
	ret
FN c_or
	c.or	a0, a1
	ret
FN c_and
	c.and	a0, a1
	ret
FN c_subw
	c.subw	a0, a1
	ret
FN c_addw
	c.addw	a0, a1
	ret
FN c_j				/* forward then backward c.j: returns 1 */
	li	a0, 0
	c.j	2f
1:	li	a0, 1
	ret
2:	c.j	1b
	li	a0, 2
	ret
FN c_beqz			/* 1 if a == 0 (branch taken) */
	c.beqz	a0, 1f
	li	a0, 0
	ret
1:	li	a0, 1
	ret
FN c_bnez
	c.bnez	a0, 1f
	li	a0, 0
	ret
1:	li	a0, 1
	ret
FN c_beqz_back			/* backward c.beqz / c.bnez loop: counts a down */
	mv	a1, a0
	li	a0, 0
	c.j	2f
1:	addi	a0, a0, 1
	addi	a1, a1, -1
2:	c.bnez	a1, 1b
	c.beqz	a1, 3f
	li	a0, -1
3:	ret

/* ---- quadrant 2 ---- */
FN c_slli_63
	c.slli	a0, 63
	ret
FN c_slli_1
	c.slli	a0, 1
	ret
FN c_slli_t0			/* rd outside x8-x15 */
	mv	t0, a0
	c.slli	t0, 32
	mv	a0, t0
	ret
FN c_lwsp			/* stores a with sw, reads back with c.lwsp */
	addi	sp, sp, -512
	sw	a0, 252(sp)
	c.lwsp	a0, 252(sp)
	addi	sp, sp, 512
	ret
FN c_ldsp
	addi	sp, sp, -512
	sd	a0, 504(sp)
	c.ldsp	t1, 504(sp)
	mv	a0, t1
	addi	sp, sp, 512
	ret
FN c_fldsp
	addi	sp, sp, -512
	sd	a0, 504(sp)
	c.fldsp	ft1, 504(sp)
	fmv.x.d	a0, ft1
	addi	sp, sp, 512
	ret
FN c_swsp			/* stores with c.swsp, reads back with lwu */
	addi	sp, sp, -512
	sd	zero, 248(sp)
	c.swsp	a0, 252(sp)
	ld	a0, 248(sp)
	addi	sp, sp, 512
	ret
FN c_sdsp
	addi	sp, sp, -512
	mv	t2, a0
	c.sdsp	t2, 504(sp)
	ld	a0, 504(sp)
	addi	sp, sp, 512
	ret
FN c_fsdsp
	addi	sp, sp, -512
	fmv.d.x	ft2, a0
	c.fsdsp	ft2, 504(sp)
	ld	a0, 504(sp)
	addi	sp, sp, 512
	ret
FN c_jr				/* 1 if c.jr reached its target */
	la	t0, 1f
	c.jr	t0
	li	a0, 0
	ret
1:	li	a0, 1
	ret
FN c_jalr			/* returns link - address of c.jalr (must be 2) */
	mv	t1, ra
	la	t0, 2f
1:	c.jalr	t0
	li	a0, -1
	mv	ra, t1
	ret
2:	la	t2, 1b
	sub	a0, ra, t2
	mv	ra, t1
	ret
FN c_mv
	c.mv	a0, a1
	ret
FN c_mv_t3
	c.mv	t3, a1
	mv	a0, t3
	ret
FN c_add
	c.add	a0, a1
	ret
FN c_add_t3
	mv	t3, a0
	c.add	t3, a1
	mv	a0, t3
	ret
	.globl	c_ebreak_insn
FN c_ebreak
c_ebreak_insn:
	c.ebreak
	ret
