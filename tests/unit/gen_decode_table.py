#!/usr/bin/env python3
"""Regenerates decode_table.h: each row's instruction bits come from the GNU
assembler (an independent oracle); the expected decoded fields are written
here by hand. Run: python3 tests/unit/gen_decode_table.py > tests/unit/decode_table.h"""
import os, subprocess, tempfile

# text, op, rd, rs1, rs2, imm   (fields not used by an op are 0)
ROWS = [
    ("lui a0, 0x12345", "LUI", 10, 0, 0, 0x12345000),
    ("lui t0, 0xfffff", "LUI", 5, 0, 0, -4096),
    ("auipc ra, 1", "AUIPC", 1, 0, 0, 4096),
    ("jal ra, .+2048", "JAL", 1, 0, 0, 2048),
    ("jal zero, .-4", "JAL", 0, 0, 0, -4),
    ("jalr a0, -1(a1)", "JALR", 10, 11, 0, -1),
    ("beq a0, a1, .+8", "BEQ", 0, 10, 11, 8),
    ("bne s0, s1, .-4096", "BNE", 0, 8, 9, -4096),
    ("bltu t0, t1, .+4094", "BLTU", 0, 5, 6, 4094),
    ("bge a2, a3, .+16", "BGE", 0, 12, 13, 16),
    ("lb a0, -2048(sp)", "LB", 10, 2, 0, -2048),
    ("lwu a5, 2047(a4)", "LWU", 15, 14, 0, 2047),
    ("ld s11, 8(gp)", "LD", 27, 3, 0, 8),
    ("sd ra, -8(sp)", "SD", 0, 2, 1, -8),
    ("sh t6, 2047(a0)", "SH", 0, 10, 31, 2047),
    ("addi a0, a0, -1", "ADDI", 10, 10, 0, -1),
    ("sltiu a0, a1, 1", "SLTIU", 10, 11, 0, 1),
    ("slli a0, a1, 63", "SLLI", 10, 11, 0, 63),
    ("srai t0, t1, 33", "SRAI", 5, 6, 0, 33),
    ("srli t0, t1, 1", "SRLI", 5, 6, 0, 1),
    ("sub a0, a1, a2", "SUB", 10, 11, 12, 0),
    ("sra a0, a1, a2", "SRA", 10, 11, 12, 0),
    ("sltu a0, zero, a2", "SLTU", 10, 0, 12, 0),
    ("addiw a0, a1, 5", "ADDIW", 10, 11, 0, 5),
    ("sraiw a0, a1, 31", "SRAIW", 10, 11, 0, 31),
    ("subw a0, a1, a2", "SUBW", 10, 11, 12, 0),
    ("mulhsu a0, a1, a2", "MULHSU", 10, 11, 12, 0),
    ("remuw a0, a1, a2", "REMUW", 10, 11, 12, 0),
    ("divw a0, a1, a2", "DIVW", 10, 11, 12, 0),
    ("lr.d a0, (a1)", "LR_D", 10, 11, 0, 0),
    ("sc.w.rl a0, a2, (a1)", "SC_W", 10, 11, 12, 0),
    ("amomaxu.d.aqrl a0, a2, (a1)", "AMOMAXU_D", 10, 11, 12, 0),
    ("amoswap.w a0, a2, (a1)", "AMOSWAP_W", 10, 11, 12, 0),
    ("amoadd.w a0, a2, (a1)", "AMOADD_W", 10, 11, 12, 0),
    ("csrrw a0, sscratch, a1", "CSRRW", 10, 11, 0, 0x140),
    ("csrrci zero, sstatus, 2", "CSRRCI", 0, 2, 0, 0x100),
    ("csrr a0, 0xfff", "CSRRS", 10, 0, 0, 0xfff),
    ("ecall", "ECALL", 0, 0, 0, 0),
    ("ebreak", "EBREAK", 0, 0, 0, 0),
    ("sret", "SRET", 0, 0, 0, 0),
    ("mret", "MRET", 0, 0, 0, 0),
    ("wfi", "WFI", 0, 0, 0, 0),
    ("sfence.vma a0, a1", "SFENCE_VMA", 0, 10, 11, 0),
    ("hfence.gvma zero, zero", "HFENCE_GVMA", 0, 0, 0, 0),
    ("hlv.d a0, (a1)", "HLS", 10, 11, 0, 0),
    ("fence.i", "FENCE_I", 0, 0, 0, 0),
    ("fence rw, rw", "FENCE", 0, 0, 0, 0x033),
    ("flw fa0, 4(a0)", "FLW", 10, 10, 0, 4),
    ("fsd fs0, -16(sp)", "FSD", 0, 2, 8, -16),
    ("fadd.s fa0, fa1, fa2, rtz", "FADD_S", 10, 11, 12, 0),
    ("fmadd.d fa0, fa1, fa2, fa3", "FMADD_D", 10, 11, 12, 0),
    ("fnmadd.s fa0, fa1, fa2, fa3", "FNMADD_S", 10, 11, 12, 0),
    ("fnmsub.d fa0, fa1, fa2, fa3", "FNMSUB_D", 10, 11, 12, 0),
    ("fsqrt.d ft0, ft1", "FSQRT_D", 0, 1, 0, 0),
    ("fsgnjx.s ft0, ft1, ft2", "FSGNJX_S", 0, 1, 2, 0),
    ("fmax.d ft0, ft1, ft2", "FMAX_D", 0, 1, 2, 0),
    ("fcvt.wu.s a0, fa0", "FCVT_WU_S", 10, 10, 1, 0),
    ("fcvt.lu.d a0, fa0", "FCVT_LU_D", 10, 10, 3, 0),
    ("fcvt.d.l fa0, a0", "FCVT_D_L", 10, 10, 2, 0),
    ("fcvt.s.d fa0, fa1", "FCVT_S_D", 10, 11, 1, 0),
    ("fcvt.d.s fa0, fa1", "FCVT_D_S", 10, 11, 0, 0),
    ("fmv.x.d a0, fa0", "FMV_X_D", 10, 10, 0, 0),
    ("fmv.w.x fa0, a0", "FMV_W_X", 10, 10, 0, 0),
    ("fclass.d a0, fa0", "FCLASS_D", 10, 10, 0, 0),
    ("feq.s a0, fa0, fa1", "FEQ_S", 10, 10, 11, 0),
    ("fle.d a0, fa0, fa1", "FLE_D", 10, 10, 11, 0),
    # compressed
    ("c.addi4spn a0, sp, 1020", "ADDI", 10, 2, 0, 1020),
    ("c.fld fa0, 248(a1)", "FLD", 10, 11, 0, 248),
    ("c.lw a5, 124(a4)", "LW", 15, 14, 0, 124),
    ("c.ld s0, 248(s1)", "LD", 8, 9, 0, 248),
    ("c.fsd fs1, 8(a0)", "FSD", 0, 10, 9, 8),
    ("c.sw a2, 64(a3)", "SW", 0, 13, 12, 64),
    ("c.sd a2, 136(a3)", "SD", 0, 13, 12, 136),
    ("c.nop", "ADDI", 0, 0, 0, 0),
    ("c.addi a0, -32", "ADDI", 10, 10, 0, -32),
    ("c.addiw a0, 31", "ADDIW", 10, 10, 0, 31),
    ("c.li t0, -1", "ADDI", 5, 0, 0, -1),
    ("c.addi16sp sp, -512", "ADDI", 2, 2, 0, -512),
    ("c.addi16sp sp, 496", "ADDI", 2, 2, 0, 496),
    ("c.lui a0, 0xfffe0", "LUI", 10, 0, 0, -0x20000),
    ("c.lui a0, 1", "LUI", 10, 0, 0, 0x1000),
    ("c.srli a0, 63", "SRLI", 10, 10, 0, 63),
    ("c.srai s1, 1", "SRAI", 9, 9, 0, 1),
    ("c.andi a5, -1", "ANDI", 15, 15, 0, -1),
    ("c.sub a0, a1", "SUB", 10, 10, 11, 0),
    ("c.xor a0, a1", "XOR", 10, 10, 11, 0),
    ("c.or s0, s1", "OR", 8, 8, 9, 0),
    ("c.and a4, a5", "AND", 14, 14, 15, 0),
    ("c.subw a0, a1", "SUBW", 10, 10, 11, 0),
    ("c.addw a0, a1", "ADDW", 10, 10, 11, 0),
    ("c.j .-2048", "JAL", 0, 0, 0, -2048),
    ("c.j .+2046", "JAL", 0, 0, 0, 2046),
    ("c.beqz a0, .-256", "BEQ", 0, 10, 0, -256),
    ("c.bnez s1, .+254", "BNE", 0, 9, 0, 254),
    ("c.slli t0, 63", "SLLI", 5, 5, 0, 63),
    ("c.fldsp fa0, 504(sp)", "FLD", 10, 2, 0, 504),
    ("c.lwsp ra, 252(sp)", "LW", 1, 2, 0, 252),
    ("c.ldsp t6, 504(sp)", "LD", 31, 2, 0, 504),
    ("c.jr ra", "JALR", 0, 1, 0, 0),
    ("c.mv a0, a1", "ADD", 10, 0, 11, 0),
    ("c.ebreak", "EBREAK", 0, 0, 0, 0),
    ("c.jalr t0", "JALR", 1, 5, 0, 0),
    ("c.add a0, a1", "ADD", 10, 10, 11, 0),
    ("c.fsdsp fs0, 504(sp)", "FSD", 0, 2, 8, 504),
    ("c.swsp a0, 252(sp)", "SW", 0, 2, 10, 252),
    ("c.sdsp ra, 504(sp)", "SD", 0, 2, 1, 504),
]

# Encodings that must decode as illegal, each checked by hand against the spec.
ILLEGAL = [
    0x00000000,  # all-zero halfword (16.1)
    0xffffffff,  # >32-bit encoding space
    0x00001067,  # jalr with funct3 = 1
    0x00002001,  # c.addiw with rd = x0 (reserved)
    0x00004023,  # store with funct3 = 4
    0x00006101,  # c.addi16sp with a zero immediate (reserved)
    0x00007003,  # load with funct3 = 7
    0x0000701b,  # OP-IMM-32 with funct3 = 7
    0x00008002,  # c.jr with rs1 = x0 (reserved)
    0x06000043,  # fmadd with fmt = 3 (Q, not implemented)
    0x06001013,  # slli with funct6 = 1
    0x0600101b,  # slliw with funct7 = 3
    0x1015a52f,  # lr.w with rs2 != 0
    0x40006033,  # funct7 0x20 with funct3 6
    0xfe000053,  # OP-FP with fmt = 3
    0x00004000,  # c.lw? no: quadrant 0 funct3 2 with all-zero fields is c.lw x8,0(x8): valid
]
ILLEGAL.remove(0x00004000)

def assemble(rows):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.S")
        with open(src, "w") as f:
            f.write(".option norelax\n.option arch, +c\n.text\n")
            f.write(".option arch, +h\n")
            for i, r in enumerate(rows):
                f.write(f"l{i}: {r[0]}\n")
        obj = os.path.join(d, "t.o")
        subprocess.check_call(["riscv64-unknown-elf-as", "-march=rv64gc", "-o", obj, src])
        out = subprocess.check_output(["riscv64-unknown-elf-objdump", "-d", "-M", "no-aliases", obj], text=True)
    words = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            words.append(int(parts[1].strip(), 16))
    assert len(words) == len(rows), (len(words), len(rows))
    return words

def main():
    words = assemble(ROWS)
    print("/* Generated by gen_decode_table.py: bits from the GNU assembler, fields by hand. */")
    print("static const struct decode_case decode_cases[] = {")
    for w, (text, op, rd, rs1, rs2, imm) in zip(words, ROWS):
        ln = 2 if (w & 3) != 3 else 4
        print(f'\t{{ 0x{w:08x}, OP_{op}, {rd}, {rs1}, {rs2}, {imm}, {ln}, "{text}" }},')
    print("};")
    illegal = ILLEGAL
    print("static const uint32_t illegal_cases[] = {")
    for w in sorted(set(illegal)):
        print(f"\t0x{w:08x},")
    print("};")

main()
