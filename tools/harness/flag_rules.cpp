// Every rule below is the "Flags Affected" paragraph of the instruction's page in the SDM
// Vol. 2 (Intel SDM, Dec 2023, Order 325462-081); cpu/UNDEFINED_FLAGS.md lists hvlab's
// choice for each of them.
#include "tools/harness/flag_rules.hpp"

#include "cpu/cpu_state.hpp"

#include <initializer_list>

namespace hvlab::tools {

namespace {

using namespace hvlab::cpu::rflags;

int gpr_in(unsigned reg, const unsigned (&table)[16]) {
    for (int i = 0; i < 16; ++i)
        if (table[i] == reg) return i;
    return -1;
}

// The count operand of a shift/rotate: the immediate, CL, or the implicit 1.
unsigned raw_count(const cs_x86& x, const ArchState& pre) {
    if (x.op_count < 2) return 1;
    const cs_x86_op& c = x.operands[x.op_count - 1];
    if (c.type == X86_OP_IMM) return static_cast<unsigned>(c.imm) & 0xFF;
    if (c.type == X86_OP_REG && c.reg == X86_REG_CL) return static_cast<unsigned>(pre.gpr[1] & 0xFF);
    return 1;
}

// SDM "SAL/SAR/SHL/SHR": the count is masked to 5 bits (6 with REX.W).
unsigned masked_count(const cs_x86& x, const ArchState& pre) {
    const unsigned width = x.operands[0].size * 8;
    return raw_count(x, pre) & (width == 64 ? 0x3F : 0x1F);
}

UndefinedParts shift_rules(unsigned id, const cs_x86& x, const ArchState& pre) {
    UndefinedParts u;
    const unsigned count = masked_count(x, pre);
    const unsigned width = x.operands[0].size * 8;
    if (count == 0) return u; // "If the count is 0, the flags are not affected."
    const bool rotate = id == X86_INS_ROL || id == X86_INS_ROR || id == X86_INS_RCL || id == X86_INS_RCR;
    if (count != 1) u.flags |= OF; // "The OF flag is affected only for 1-bit shifts/rotates"
    if (rotate) return u;
    u.flags |= AF; // shifts: "For a non-zero count, the AF flag is undefined."
    if ((id == X86_INS_SHL || id == X86_INS_SAL || id == X86_INS_SHR) && count >= width)
        u.flags |= CF; // "...count is greater than or equal to the size... CF is undefined"
    return u;
}

// SDM "SHLD"/"SHRD": count > 1 leaves OF undefined; a count larger than the operand size
// (16-bit operands only) leaves the destination and all flags undefined.
UndefinedParts double_shift_rules(const cs_x86& x, const ArchState& pre) {
    UndefinedParts u;
    const unsigned count = masked_count(x, pre);
    const unsigned width = x.operands[0].size * 8;
    if (count == 0) return u;
    u.flags |= AF;
    if (count != 1) u.flags |= OF;
    if (count > width) {
        u.flags |= kArith;
        const cs_x86_op& d = x.operands[0];
        if (d.type == X86_OP_REG) {
            const int g = capstone_gpr(d.reg);
            if (g >= 0) u.skip_gpr |= 1u << g;
        } else {
            u.memory_undefined = true;
        }
    }
    return u;
}

uint64_t fixed_rules(unsigned id) {
    switch (id) {
    case X86_INS_MUL:
    case X86_INS_IMUL: return SF | ZF | AF | PF;
    case X86_INS_DIV:
    case X86_INS_IDIV: return kArith;
    case X86_INS_AND:
    case X86_INS_OR:
    case X86_INS_XOR:
    case X86_INS_TEST: return AF;
    case X86_INS_BT:
    case X86_INS_BTS:
    case X86_INS_BTR:
    case X86_INS_BTC: return OF | SF | AF | PF;
    case X86_INS_BSF:
    case X86_INS_BSR: return CF | OF | SF | AF | PF;
    case X86_INS_LZCNT:
    case X86_INS_TZCNT: return OF | SF | PF | AF;
    case X86_INS_BEXTR: return AF | SF | PF;
    case X86_INS_BZHI:
    case X86_INS_BLSI:
    case X86_INS_BLSMSK:
    case X86_INS_BLSR:
    case X86_INS_ANDN: return AF | PF;
    case X86_INS_AAA:
    case X86_INS_AAS: return OF | SF | ZF | PF;
    case X86_INS_DAA:
    case X86_INS_DAS: return OF;
    case X86_INS_AAM:
    case X86_INS_AAD: return OF | AF | CF;
    default: return 0;
    }
}

} // namespace

int capstone_gpr(unsigned reg) {
    static const unsigned k64[16] = {X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
                                     X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
                                     X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
                                     X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15};
    static const unsigned k32[16] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                     X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI,
                                     X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
                                     X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D};
    static const unsigned k16[16] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                     X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI,
                                     X86_REG_R8W, X86_REG_R9W, X86_REG_R10W, X86_REG_R11W,
                                     X86_REG_R12W, X86_REG_R13W, X86_REG_R14W, X86_REG_R15W};
    static const unsigned k8[16] = {X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
                                    X86_REG_SPL, X86_REG_BPL, X86_REG_SIL, X86_REG_DIL,
                                    X86_REG_R8B, X86_REG_R9B, X86_REG_R10B, X86_REG_R11B,
                                    X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B};
    static const unsigned kHigh[16] = {X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH};
    for (const auto* t : {&k64, &k32, &k16, &k8}) {
        const int g = gpr_in(reg, *t);
        if (g >= 0) return g;
    }
    for (int i = 0; i < 4; ++i)
        if (kHigh[i] == reg) return i;
    return -1;
}

UndefinedParts undefined_parts(const cs_insn& insn, const ArchState& pre) {
    const cs_x86& x = insn.detail->x86;
    switch (insn.id) {
    case X86_INS_SHL:
    case X86_INS_SAL:
    case X86_INS_SHR:
    case X86_INS_SAR:
    case X86_INS_ROL:
    case X86_INS_ROR:
    case X86_INS_RCL:
    case X86_INS_RCR: return x.op_count ? shift_rules(insn.id, x, pre) : UndefinedParts{};
    case X86_INS_SHLD:
    case X86_INS_SHRD: return x.op_count ? double_shift_rules(x, pre) : UndefinedParts{};
    case X86_INS_BSWAP: {
        // "When the BSWAP instruction references a 16-bit register, the result is undefined."
        UndefinedParts u;
        if (x.op_count == 1 && x.operands[0].size == 2) {
            const int g = capstone_gpr(x.operands[0].reg);
            if (g >= 0) u.skip_gpr = 1u << g;
        }
        return u;
    }
    default: return UndefinedParts{fixed_rules(insn.id), 0, false};
    }
}

} // namespace hvlab::tools
