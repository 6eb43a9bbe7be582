// SPDX-License-Identifier: MIT
/* Unit test for the decoder: encodings from the GNU assembler, fields written by hand. */
#include <stdio.h>

#include "cpu/decode.h"

struct decode_case {
	uint32_t raw;
	enum insn_op op;
	unsigned rd, rs1, rs2;
	int32_t imm;
	unsigned len;
	const char *text;
};

#include "tests/unit/decode_table.h"

static unsigned passed, failed;

static void check(int ok, const char *what, const char *text, uint32_t raw)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s (%08x)\n", what, text, raw);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];
		struct insn in;
		int ok;

		decode(c->raw, &in);
		ok = in.op == c->op && in.rd == c->rd && in.rs1 == c->rs1 && in.len == c->len;
		/* rs2 and imm only where the format has them */
		ok = ok && (c->rs2 == 0 || in.rs2 == c->rs2) && in.imm == c->imm;
		if (!ok)
			printf("  got %s rd=%u rs1=%u rs2=%u imm=%d len=%u\n", insn_op_name(in.op),
			       in.rd, in.rs1, in.rs2, in.imm, in.len);
		check(ok, "decode", c->text, c->raw);
	}
	for (i = 0; i < sizeof(illegal_cases) / sizeof(illegal_cases[0]); i++) {
		struct insn in;

		decode(illegal_cases[i], &in);
		check(in.op == OP_ILLEGAL, "must be illegal", insn_op_name(in.op),
		      illegal_cases[i]);
	}
	/* Every op has a name, and the S/D op families line up (the decoder relies on it). */
	check(OP_FMV_D_X - OP_FLD == OP_FMV_W_X - OP_FLW, "S/D op tables line up", "", 0);
	check(OP_AMOMAXU_D - OP_LR_D == OP_AMOMAXU_W - OP_LR_W, "W/D AMO tables line up", "", 0);
	for (i = 0; i < OP_NR; i++)
		check(insn_op_name((unsigned)i)[0] != '?', "op name", "", (uint32_t)i);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
