// SPDX-License-Identifier: MIT
/*
 * RV64GC decoder (unprivileged spec chapters 2, 5, 7, 8, 11, 12, 16; H
 * extension instructions from privileged spec 8.3). Pure function of the
 * instruction bits: no hart state, so it is unit-tested directly.
 */
#include "cpu/decode.h"

#define BIT(x, n)       (((x) >> (n)) & 1u)
#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1u))

static const char *const op_names[OP_NR] = {
#define X(name) [OP_##name] = #name,
	INSN_OPS(X)
#undef X
};

const char *insn_op_name(unsigned op)
{
	return op < OP_NR ? op_names[op] : "?";
}

static int32_t sext(uint32_t v, unsigned bits)
{
	return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static int32_t imm_i(uint32_t r)
{
	return (int32_t)r >> 20;
}

static int32_t imm_s(uint32_t r)
{
	return ((int32_t)r >> 25) * 32 + (int32_t)BITS(r, 11, 7);
}

static int32_t imm_b(uint32_t r)
{
	uint32_t v =
	    BIT(r, 31) << 12 | BIT(r, 7) << 11 | BITS(r, 30, 25) << 5 | BITS(r, 11, 8) << 1;
	return sext(v, 13);
}

static int32_t imm_j(uint32_t r)
{
	uint32_t v =
	    BIT(r, 31) << 20 | BITS(r, 19, 12) << 12 | BIT(r, 20) << 11 | BITS(r, 30, 21) << 1;
	return sext(v, 21);
}

static void set(struct insn *in, enum insn_op op, unsigned rd, unsigned rs1, unsigned rs2,
                int32_t imm)
{
	in->op = op;
	in->rd = rd;
	in->rs1 = rs1;
	in->rs2 = rs2;
	in->imm = imm;
}

static enum insn_op op_load(unsigned f3)
{
	static const enum insn_op ops[8] = { OP_LB,  OP_LH,  OP_LW,  OP_LD,
		                             OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL };
	return ops[f3];
}

static enum insn_op op_amo(unsigned f5, unsigned f3, unsigned rs2)
{
	static const enum insn_op w[32] = {
		[0x00] = OP_AMOADD_W,  [0x01] = OP_AMOSWAP_W, [0x02] = OP_LR_W,
		[0x03] = OP_SC_W,      [0x04] = OP_AMOXOR_W,  [0x08] = OP_AMOOR_W,
		[0x0c] = OP_AMOAND_W,  [0x10] = OP_AMOMIN_W,  [0x14] = OP_AMOMAX_W,
		[0x18] = OP_AMOMINU_W, [0x1c] = OP_AMOMAXU_W,
	};
	enum insn_op op;

	if (f3 != 2 && f3 != 3)
		return OP_ILLEGAL;
	op = w[f5];
	if (op == OP_ILLEGAL || (op == OP_LR_W && rs2 != 0))
		return OP_ILLEGAL;
	/* The D forms follow the W forms in the same order. */
	return f3 == 3 ? op + (OP_LR_D - OP_LR_W) : op;
}

static enum insn_op op_reg(unsigned f7, unsigned f3, int word)
{
	static const enum insn_op base[8] = { OP_ADD, OP_SLL, OP_SLT, OP_SLTU,
		                              OP_XOR, OP_SRL, OP_OR,  OP_AND };
	static const enum insn_op mul[8] = { OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU,
		                             OP_DIV, OP_DIVU, OP_REM,    OP_REMU };
	static const enum insn_op basew[8] = { OP_ADDW,    OP_SLLW, OP_ILLEGAL, OP_ILLEGAL,
		                               OP_ILLEGAL, OP_SRLW, OP_ILLEGAL, OP_ILLEGAL };
	static const enum insn_op mulw[8] = { OP_MULW, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL,
		                              OP_DIVW, OP_DIVUW,   OP_REMW,    OP_REMUW };

	if (f7 == 0)
		return word ? basew[f3] : base[f3];
	if (f7 == 1)
		return word ? mulw[f3] : mul[f3];
	if (f7 == 0x20 && f3 == 0)
		return word ? OP_SUBW : OP_SUB;
	if (f7 == 0x20 && f3 == 5)
		return word ? OP_SRAW : OP_SRA;
	return OP_ILLEGAL;
}

/* OP-FP (opcode 0x53). D forms sit at a fixed distance from S forms in the op enum. */
static enum insn_op op_fp(uint32_t r)
{
	unsigned f7 = r >> 25, f3 = BITS(r, 14, 12), rs2 = BITS(r, 24, 20);
	unsigned fmt = f7 & 3;
	int d = fmt == 1;
	enum insn_op op = OP_ILLEGAL;

	if (fmt > 1)
		return OP_ILLEGAL;
	switch (f7 >> 2) {
	case 0x00: op = OP_FADD_S; break;
	case 0x01: op = OP_FSUB_S; break;
	case 0x02: op = OP_FMUL_S; break;
	case 0x03: op = OP_FDIV_S; break;
	case 0x0b: op = rs2 == 0 ? OP_FSQRT_S : OP_ILLEGAL; break;
	case 0x04:
		op = f3 == 0   ? OP_FSGNJ_S
		     : f3 == 1 ? OP_FSGNJN_S
		     : f3 == 2 ? OP_FSGNJX_S
		               : OP_ILLEGAL;
		break;
	case 0x05: op = f3 == 0 ? OP_FMIN_S : f3 == 1 ? OP_FMAX_S : OP_ILLEGAL; break;
	case 0x14:
		op = f3 == 0 ? OP_FLE_S : f3 == 1 ? OP_FLT_S : f3 == 2 ? OP_FEQ_S : OP_ILLEGAL;
		break;
	case 0x18: op = rs2 < 4 ? OP_FCVT_W_S + rs2 : OP_ILLEGAL; break;
	case 0x1a: op = rs2 < 4 ? OP_FCVT_S_W + rs2 : OP_ILLEGAL; break;
	case 0x1c:
		op = rs2 != 0  ? OP_ILLEGAL
		     : f3 == 0 ? OP_FMV_X_W
		     : f3 == 1 ? OP_FCLASS_S
		               : OP_ILLEGAL;
		break;
	case 0x1e: op = (rs2 == 0 && f3 == 0) ? OP_FMV_W_X : OP_ILLEGAL; break;
	case 0x08:
		/* fcvt.s.d (fmt S, rs2 = D) and fcvt.d.s (fmt D, rs2 = S) */
		if (!d && rs2 == 1)
			return OP_FCVT_S_D;
		if (d && rs2 == 0)
			return OP_FCVT_D_S;
		return OP_ILLEGAL;
	default: return OP_ILLEGAL;
	}
	if (op == OP_ILLEGAL || !d)
		return op;
	return op + (OP_FLD - OP_FLW);
}

static void decode32(uint32_t r, struct insn *in)
{
	unsigned rd = BITS(r, 11, 7), rs1 = BITS(r, 19, 15), rs2 = BITS(r, 24, 20);
	unsigned f3 = BITS(r, 14, 12), f7 = r >> 25;

	set(in, OP_ILLEGAL, rd, rs1, rs2, 0);
	in->rs3 = r >> 27;
	in->rm = f3;
	switch (r & 0x7f) {
	case 0x03: set(in, op_load(f3), rd, rs1, 0, imm_i(r)); break;
	case 0x07:
		if (f3 == 2 || f3 == 3)
			set(in, f3 == 2 ? OP_FLW : OP_FLD, rd, rs1, 0, imm_i(r));
		break;
	case 0x0f:
		if (f3 == 0)
			set(in, OP_FENCE, 0, 0, 0, (int32_t)(r >> 20)); /* fm, pred, succ */
		else if (f3 == 1)
			in->op = OP_FENCE_I;
		break;
	case 0x13: {
		static const enum insn_op ops[8] = { OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU,
			                             OP_XORI, OP_SRLI, OP_ORI,  OP_ANDI };
		enum insn_op op = ops[f3];
		unsigned f6 = r >> 26;

		if (f3 == 1 && f6 != 0)
			op = OP_ILLEGAL;
		if (f3 == 5)
			op = f6 == 0 ? OP_SRLI : f6 == 0x10 ? OP_SRAI : OP_ILLEGAL;
		set(in, op, rd, rs1, 0, (f3 == 1 || f3 == 5) ? (int32_t)BITS(r, 25, 20) : imm_i(r));
		break;
	}
	case 0x17: set(in, OP_AUIPC, rd, 0, 0, (int32_t)(r & 0xfffff000u)); break;
	case 0x1b:
		if (f3 == 0)
			set(in, OP_ADDIW, rd, rs1, 0, imm_i(r));
		else if (f3 == 1 && f7 == 0)
			set(in, OP_SLLIW, rd, rs1, 0, (int32_t)rs2);
		else if (f3 == 5 && (f7 == 0 || f7 == 0x20))
			set(in, f7 ? OP_SRAIW : OP_SRLIW, rd, rs1, 0, (int32_t)rs2);
		break;
	case 0x23:
		if (f3 < 4)
			set(in, OP_SB + f3, 0, rs1, rs2, imm_s(r));
		break;
	case 0x27:
		if (f3 == 2 || f3 == 3)
			set(in, f3 == 2 ? OP_FSW : OP_FSD, 0, rs1, rs2, imm_s(r));
		break;
	case 0x2f: in->op = op_amo(r >> 27, f3, rs2); break;
	case 0x33: in->op = op_reg(f7, f3, 0); break;
	case 0x37: set(in, OP_LUI, rd, 0, 0, (int32_t)(r & 0xfffff000u)); break;
	case 0x3b: in->op = op_reg(f7, f3, 1); break;
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f: {
		unsigned fmt = BITS(r, 26, 25);
		enum insn_op op = OP_FMADD_S + (BITS(r, 6, 2) - (0x43 >> 2));

		if (fmt == 0)
			in->op = op;
		else if (fmt == 1)
			in->op = op + (OP_FLD - OP_FLW);
		break;
	}
	case 0x53: in->op = op_fp(r); break;
	case 0x63: {
		static const enum insn_op ops[8] = { OP_BEQ, OP_BNE, OP_ILLEGAL, OP_ILLEGAL,
			                             OP_BLT, OP_BGE, OP_BLTU,    OP_BGEU };
		set(in, ops[f3], 0, rs1, rs2, imm_b(r));
		break;
	}
	case 0x67:
		if (f3 == 0)
			set(in, OP_JALR, rd, rs1, 0, imm_i(r));
		break;
	case 0x6f: set(in, OP_JAL, rd, 0, 0, imm_j(r)); break;
	case 0x73:
		if (f3 == 0) {
			if (r == 0x00000073)
				in->op = OP_ECALL;
			else if (r == 0x00100073)
				in->op = OP_EBREAK;
			else if (r == 0x10200073)
				in->op = OP_SRET;
			else if (r == 0x30200073)
				in->op = OP_MRET;
			else if (r == 0x10500073)
				in->op = OP_WFI;
			else if (rd == 0 && f7 == 0x09)
				in->op = OP_SFENCE_VMA;
			else if (rd == 0 && f7 == 0x11)
				in->op = OP_HFENCE_VVMA;
			else if (rd == 0 && f7 == 0x31)
				in->op = OP_HFENCE_GVMA;
		} else if (f3 == 4) {
			in->op = OP_HLS;
		} else {
			static const enum insn_op ops[8] = { OP_ILLEGAL, OP_CSRRW,   OP_CSRRS,
				                             OP_CSRRC,   OP_ILLEGAL, OP_CSRRWI,
				                             OP_CSRRSI,  OP_CSRRCI };
			set(in, ops[f3], rd, rs1, 0, (int32_t)(r >> 20));
		}
		break;
	default: break;
	}
}

/* Compressed instructions (chapter 16), expanded to their base equivalents. */
static void decode16(uint32_t r, struct insn *in)
{
	unsigned f3 = BITS(r, 15, 13);
	unsigned rd = BITS(r, 11, 7), rs2 = BITS(r, 6, 2);
	unsigned rdp = 8 + BITS(r, 4, 2), rs1p = 8 + BITS(r, 9, 7);
	int32_t imm6 = sext(BIT(r, 12) << 5 | BITS(r, 6, 2), 6);
	uint32_t uimm_d = BITS(r, 12, 10) << 3 | BITS(r, 6, 5) << 6; /* c.ld/c.sd/c.fld/c.fsd */
	uint32_t uimm_w = BITS(r, 12, 10) << 3 | BIT(r, 6) << 2 | BIT(r, 5) << 6;

	set(in, OP_ILLEGAL, 0, 0, 0, 0);
	switch ((r & 3) << 3 | f3) {
	/* Quadrant 0 */
	case 000: {
		uint32_t nz =
		    BITS(r, 12, 11) << 4 | BITS(r, 10, 7) << 6 | BIT(r, 6) << 2 | BIT(r, 5) << 3;
		if (nz)
			set(in, OP_ADDI, rdp, 2, 0, (int32_t)nz);
		break;
	}
	case 001: set(in, OP_FLD, rdp, rs1p, 0, (int32_t)uimm_d); break;
	case 002: set(in, OP_LW, rdp, rs1p, 0, (int32_t)uimm_w); break;
	case 003: set(in, OP_LD, rdp, rs1p, 0, (int32_t)uimm_d); break;
	case 005: set(in, OP_FSD, 0, rs1p, rdp, (int32_t)uimm_d); break;
	case 006: set(in, OP_SW, 0, rs1p, rdp, (int32_t)uimm_w); break;
	case 007: set(in, OP_SD, 0, rs1p, rdp, (int32_t)uimm_d); break;
	/* Quadrant 1 */
	case 010: set(in, OP_ADDI, rd, rd, 0, imm6); break;
	case 011:
		if (rd != 0)
			set(in, OP_ADDIW, rd, rd, 0, imm6);
		break;
	case 012: set(in, OP_ADDI, rd, 0, 0, imm6); break;
	case 013:
		if (rd == 2) {
			uint32_t v = BIT(r, 12) << 9 | BIT(r, 6) << 4 | BIT(r, 5) << 6 |
			             BITS(r, 4, 3) << 7 | BIT(r, 2) << 5;
			if (v)
				set(in, OP_ADDI, 2, 2, 0, sext(v, 10));
		} else if (imm6 != 0) { /* rd = x0 is a HINT */
			set(in, OP_LUI, rd, 0, 0, imm6 * 4096);
		}
		break;
	case 014:
		switch (BITS(r, 11, 10)) {
		case 0: set(in, OP_SRLI, rs1p, rs1p, 0, (int32_t)(BIT(r, 12) << 5 | rs2)); break;
		case 1: set(in, OP_SRAI, rs1p, rs1p, 0, (int32_t)(BIT(r, 12) << 5 | rs2)); break;
		case 2: set(in, OP_ANDI, rs1p, rs1p, 0, imm6); break;
		default: {
			static const enum insn_op ops[8] = { OP_SUB,     OP_XOR,    OP_OR,
				                             OP_AND,     OP_SUBW,   OP_ADDW,
				                             OP_ILLEGAL, OP_ILLEGAL };
			set(in, ops[BIT(r, 12) << 2 | BITS(r, 6, 5)], rs1p, rs1p, rdp, 0);
		}
		}
		break;
	case 015: {
		uint32_t v = BIT(r, 12) << 11 | BIT(r, 11) << 4 | BITS(r, 10, 9) << 8 |
		             BIT(r, 8) << 10 | BIT(r, 7) << 6 | BIT(r, 6) << 7 |
		             BITS(r, 5, 3) << 1 | BIT(r, 2) << 5;
		set(in, OP_JAL, 0, 0, 0, sext(v, 12));
		break;
	}
	case 016:
	case 017: {
		uint32_t v = BIT(r, 12) << 8 | BITS(r, 11, 10) << 3 | BITS(r, 6, 5) << 6 |
		             BITS(r, 4, 3) << 1 | BIT(r, 2) << 5;
		set(in, f3 == 6 ? OP_BEQ : OP_BNE, 0, rs1p, 0, sext(v, 9));
		break;
	}
	/* Quadrant 2 */
	case 020: set(in, OP_SLLI, rd, rd, 0, (int32_t)(BIT(r, 12) << 5 | rs2)); break;
	case 021:
		set(in, OP_FLD, rd, 2, 0,
		    (int32_t)(BIT(r, 12) << 5 | BITS(r, 6, 5) << 3 | BITS(r, 4, 2) << 6));
		break;
	case 022:
		if (rd != 0)
			set(in, OP_LW, rd, 2, 0,
			    (int32_t)(BIT(r, 12) << 5 | BITS(r, 6, 4) << 2 | BITS(r, 3, 2) << 6));
		break;
	case 023:
		if (rd != 0)
			set(in, OP_LD, rd, 2, 0,
			    (int32_t)(BIT(r, 12) << 5 | BITS(r, 6, 5) << 3 | BITS(r, 4, 2) << 6));
		break;
	case 024:
		if (!BIT(r, 12)) {
			if (rs2 == 0) {
				if (rd != 0)
					set(in, OP_JALR, 0, rd, 0, 0);
			} else {
				set(in, OP_ADD, rd, 0, rs2, 0);
			}
		} else if (rs2 == 0) {
			if (rd == 0)
				in->op = OP_EBREAK;
			else
				set(in, OP_JALR, 1, rd, 0, 0);
		} else {
			set(in, OP_ADD, rd, rd, rs2, 0);
		}
		break;
	case 025:
		set(in, OP_FSD, 0, 2, rs2, (int32_t)(BITS(r, 12, 10) << 3 | BITS(r, 9, 7) << 6));
		break;
	case 026:
		set(in, OP_SW, 0, 2, rs2, (int32_t)(BITS(r, 12, 9) << 2 | BITS(r, 8, 7) << 6));
		break;
	case 027:
		set(in, OP_SD, 0, 2, rs2, (int32_t)(BITS(r, 12, 10) << 3 | BITS(r, 9, 7) << 6));
		break;
	default: break;
	}
}

void decode(uint32_t raw, struct insn *in)
{
	in->rs3 = 0;
	in->rm = 0;
	if ((raw & 3) == 3) {
		in->len = 4;
		in->raw = raw;
		decode32(raw, in);
	} else {
		in->len = 2;
		in->raw = raw & 0xffff;
		/* The all-zero halfword is defined illegal (16.1). */
		if (in->raw == 0)
			set(in, OP_ILLEGAL, 0, 0, 0, 0);
		else
			decode16(in->raw, in);
	}
}
