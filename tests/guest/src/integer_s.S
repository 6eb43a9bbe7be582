/* Assembly helpers for the integer test.  Each returns 0 on success. */
	.text
	.option norvc

/* JAL writes pc+4 to rd and jumps; forward and backward targets. */
	.globl	jal_test
jal_test:
	jal	t0, 1f
2:	li	a0, 1		/* fell through: wrong */
	ret
3:	/* backward target */
	la	t1, 4f
	bne	t0, t1, 9f
	li	a0, 0
	ret
1:	la	t1, 2b
	bne	t0, t1, 8f
	jal	t0, 3b
4:	li	a0, 4		/* came back: wrong */
	ret
8:	li	a0, 2
	ret
9:	li	a0, 3
	ret

/* JALR: offset added, bit 0 cleared, rd == rs1 uses the old rs1. */
	.globl	jalr_test
jalr_test:
	la	t1, 1f - 12
	jalr	t0, 12(t1)
5:	li	a0, 1
	ret
1:	la	t2, 5b
	bne	t0, t2, 90f
	la	t1, 2f + 20
	jalr	t0, -20(t1)
6:	li	a0, 2
	ret
2:	la	t2, 6b
	bne	t0, t2, 91f
	la	t0, 3f
	jalr	t0, 0(t0)	/* rd == rs1 */
7:	li	a0, 3
	ret
3:	la	t2, 7b
	bne	t0, t2, 92f
	la	t1, 4f
	addi	t1, t1, 1
	jalr	t0, 0(t1)	/* odd target: bit 0 cleared */
	li	a0, 4
	ret
4:	li	a0, 0
	ret
90:	li	a0, 10
	ret
91:	li	a0, 11
	ret
92:	li	a0, 12
	ret

/* x0 is hardwired to zero */
	.globl	x0_test
x0_test:
	li	t0, 5
	add	x0, t0, t0
	addi	x0, x0, 7
	lui	x0, 0x12345
	mv	a0, x0
	ret

/* AUIPC: returns 0 if auipc 0 == its own address and auipc with -2^31 is right. */
	.globl	auipc_test
auipc_test:
1:	auipc	t0, 0
	la	t1, 1b
	bne	t0, t1, 8f
2:	auipc	t0, 0x80000	/* pc + sext(0x80000000) = pc - 2^31 */
	la	t1, 2b
	li	t2, 0xffffffff80000000
	add	t1, t1, t2
	bne	t0, t1, 9f
3:	auipc	t0, 0x7ffff
	la	t1, 3b
	li	t2, 0x7ffff000
	add	t1, t1, t2
	bne	t0, t1, 10f
	li	a0, 0
	ret
8:	li	a0, 1
	ret
9:	li	a0, 2
	ret
10:	li	a0, 3
	ret

/* Counts a backward-branch loop: returns a0 iterations via bnez. */
	.globl	loop_test
loop_test:
	mv	t0, a0
	li	a0, 0
1:	addi	a0, a0, 1
	addi	t0, t0, -1
	bnez	t0, 1b
	ret
