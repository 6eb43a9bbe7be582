/* Position-independent code snippets copied into pages by the paging test. */
	.text
	.option norvc

	.globl	snip_ret42, snip_ret42_end
snip_ret42:
	li	a0, 42
	ret
snip_ret42_end:

/* U-mode: a0 = *(u64 *)a0, then ecall */
	.globl	snip_uload, snip_uload_end
snip_uload:
	ld	a0, 0(a0)
	ecall
snip_uload_end:

/* U-mode: *(u64 *)a0 = a0, then ecall */
	.globl	snip_ustore, snip_ustore_end
snip_ustore:
	sd	a0, 0(a0)
	ecall
snip_ustore_end:
