// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

enum class Alu : uint8_t { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

// a OP b; ADC/SBB read CF.
template <Alu Op> uint64_t compute(Exec& x, uint64_t a, uint64_t b) {
    switch (Op) {
    case Alu::Add: return a + b;
    case Alu::Adc: return a + b + carry_flag(x);
    case Alu::Sub:
    case Alu::Cmp: return a - b;
    case Alu::Sbb: return a - b - carry_flag(x);
    case Alu::Or: return a | b;
    case Alu::Xor: return a ^ b;
    case Alu::And:
    case Alu::Test: return a & b;
    }
    return 0;
}

// The flags of r = a OP b (after the destination was written). ADC/SBB are computed at once
// because their CF input would otherwise have to be recorded too.
template <Alu Op> void commit_flags(Exec& x, uint64_t a, uint64_t b, uint64_t r, unsigned size) {
    if constexpr (Op == Alu::Add) {
        set_flags_lazy(x, LazyOp::Add, a, b, r, size);
    } else if constexpr (Op == Alu::Sub || Op == Alu::Cmp) {
        set_flags_lazy(x, LazyOp::Sub, a, b, r, size);
    } else if constexpr (Op == Alu::Adc) {
        const uint64_t m = size_mask(size);
        const bool c = ((r - a - b) & m) != 0;
        set_arith_flags(x, add_flags(a, b, r, c, size));
    } else if constexpr (Op == Alu::Sbb) {
        const uint64_t m = size_mask(size);
        const bool c = ((a - b - r) & m) != 0;
        set_arith_flags(x, sub_flags(a, b, r, c, size));
    } else {
        set_flags_lazy(x, LazyOp::Logic, a, b, r, size);
    }
}

constexpr bool writes_result(Alu op) { return op != Alu::Cmp && op != Alu::Test; }

enum class Form : uint8_t { RmReg, RegRm, AccImm, RmImm };

template <Alu Op, Form F> Fault exec_alu(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    if (F == Form::AccImm || F == Form::RegRm || d.mod == 3) {
        uint64_t a, b;
        if constexpr (F == Form::AccImm) {
            a = get_reg(x, RAX, size, false), b = d.imm;
        } else if constexpr (F == Form::RegRm) {
            a = get_reg(x, d, d.reg, size);
            if (Fault f = read_rm(x, d, size, b)) return f;
        } else {
            a = get_reg(x, d, d.rm, size);
            b = F == Form::RmImm ? d.imm : get_reg(x, d, d.reg, size);
        }
        const uint64_t r = compute<Op>(x, a, b);
        if constexpr (writes_result(Op)) {
            const unsigned dst = F == Form::AccImm ? unsigned{RAX} : F == Form::RegRm ? d.reg : d.rm;
            set_reg(x, d, dst, size, r);
        }
        commit_flags<Op>(x, a, b, r, size);
        return kNoFault;
    }
    // Memory destination: read, compute, write; flags only once the write succeeded.
    const uint64_t ea = effective_address(x, d);
    uint64_t a;
    if (Fault f = writes_result(Op) ? read_mem_rmw(x, d.seg, ea, size, a)
                                    : read_mem(x, d.seg, ea, size, a))
        return f;
    const uint64_t b = F == Form::RmImm ? d.imm : get_reg(x, d, d.reg, size);
    const uint64_t r = compute<Op>(x, a, b);
    if constexpr (writes_result(Op))
        if (Fault f = write_mem(x, d.seg, ea, size, r)) return f;
    commit_flags<Op>(x, a, b, r, size);
    return kNoFault;
}

// INC/DEC leave CF unchanged (SDM Vol. 2A, INC, "Flags Affected").
template <bool Inc> Fault exec_incdec(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const bool plus_r = !d.has_modrm;
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    uint64_t a;
    if (plus_r) {
        a = get_reg(x, d, d.reg, size);
    } else if (d.mod == 3) {
        a = get_reg(x, d, d.rm, size);
    } else if (Fault f = read_mem_rmw(x, d.seg, ea, size, a)) {
        return f;
    }
    const uint64_t r = (Inc ? a + 1 : a - 1) & size_mask(size);
    if (plus_r) {
        set_reg(x, d, d.reg, size, r);
    } else if (d.mod == 3) {
        set_reg(x, d, d.rm, size, r);
    } else if (Fault f = write_mem(x, d.seg, ea, size, r)) {
        return f;
    }
    set_flags_lazy(x, Inc ? LazyOp::Inc : LazyOp::Dec, a, carry_flag(x), r, size);
    return kNoFault;
}

// Read-modify-write of a ModRM operand with a unary operation.
template <class F> Fault modify_rm(Exec& x, const DecodedInsn& d, F op) {
    const unsigned size = d.opsize;
    if (d.mod == 3) {
        set_reg(x, d, d.rm, size, op(get_reg(x, d, d.rm, size)));
        return kNoFault;
    }
    const uint64_t ea = effective_address(x, d);
    uint64_t a;
    if (Fault f = read_mem_rmw(x, d.seg, ea, size, a)) return f;
    return write_mem(x, d.seg, ea, size, op(a));
}

Fault exec_not(Exec& x, const DecodedInsn& d) {
    return modify_rm(x, d, [](uint64_t a) { return ~a; });
}

// NEG: CF = (source != 0); other flags as 0 - source (SDM Vol. 2B, NEG).
Fault exec_neg(Exec& x, const DecodedInsn& d) {
    uint64_t src = 0;
    const unsigned size = d.opsize;
    if (Fault f = modify_rm(x, d, [&](uint64_t a) {
            src = a;
            return (0 - a) & size_mask(size);
        }))
        return f;
    set_flags_lazy(x, LazyOp::Sub, 0, src, (0 - src) & size_mask(size), size);
    return kNoFault;
}

#define ALU_ROWS(base, name, op, lockf)                                                            \
    {Map::One, base + 0, Pfx::Any, kAnyExt, name, "Eb,Gb", lockf, exec_alu<op, Form::RmReg>},      \
        {Map::One, base + 1, Pfx::Any, kAnyExt, name, "Ev,Gv", lockf, exec_alu<op, Form::RmReg>},  \
        {Map::One, base + 2, Pfx::Any, kAnyExt, name, "Gb,Eb", 0, exec_alu<op, Form::RegRm>},      \
        {Map::One, base + 3, Pfx::Any, kAnyExt, name, "Gv,Ev", 0, exec_alu<op, Form::RegRm>},      \
        {Map::One, base + 4, Pfx::Any, kAnyExt, name, "AL,Ib", 0, exec_alu<op, Form::AccImm>},     \
        {Map::One, base + 5, Pfx::Any, kAnyExt, name, "rAX,Iz", 0, exec_alu<op, Form::AccImm>}

#define ALU_GROUP_ROWS(n, name, op, lockf)                                                         \
    {Map::One, 0x80, Pfx::Any, slash(n), name, "Eb,Ib", lockf, exec_alu<op, Form::RmImm>},         \
        {Map::One, 0x81, Pfx::Any, slash(n), name, "Ev,Iz", lockf, exec_alu<op, Form::RmImm>},     \
        {Map::One, 0x82, Pfx::Any, slash(n), name, "Eb,Ib", lockf | rowf::Inv64,                   \
         exec_alu<op, Form::RmImm>},                                                               \
        {Map::One, 0x83, Pfx::Any, slash(n), name, "Ev,Ib", lockf, exec_alu<op, Form::RmImm>}

constexpr uint32_t L = rowf::Lock;

const OpcodeRow kRows[] = {
    ALU_ROWS(0x00, "add", Alu::Add, L),
    ALU_ROWS(0x08, "or", Alu::Or, L),
    ALU_ROWS(0x10, "adc", Alu::Adc, L),
    ALU_ROWS(0x18, "sbb", Alu::Sbb, L),
    ALU_ROWS(0x20, "and", Alu::And, L),
    ALU_ROWS(0x28, "sub", Alu::Sub, L),
    ALU_ROWS(0x30, "xor", Alu::Xor, L),
    ALU_ROWS(0x38, "cmp", Alu::Cmp, 0),
    ALU_GROUP_ROWS(0, "add", Alu::Add, L),
    ALU_GROUP_ROWS(1, "or", Alu::Or, L),
    ALU_GROUP_ROWS(2, "adc", Alu::Adc, L),
    ALU_GROUP_ROWS(3, "sbb", Alu::Sbb, L),
    ALU_GROUP_ROWS(4, "and", Alu::And, L),
    ALU_GROUP_ROWS(5, "sub", Alu::Sub, L),
    ALU_GROUP_ROWS(6, "xor", Alu::Xor, L),
    ALU_GROUP_ROWS(7, "cmp", Alu::Cmp, 0),
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::One, 0x84, Pfx::Any, kAnyExt, "test", "Eb,Gb", 0, exec_alu<Alu::Test, Form::RmReg>},
    {Map::One, 0x85, Pfx::Any, kAnyExt, "test", "Ev,Gv", 0, exec_alu<Alu::Test, Form::RmReg>},
    {Map::One, 0xA8, Pfx::Any, kAnyExt, "test", "AL,Ib", 0, exec_alu<Alu::Test, Form::AccImm>},
    {Map::One, 0xA9, Pfx::Any, kAnyExt, "test", "rAX,Iz", 0, exec_alu<Alu::Test, Form::AccImm>},
    {Map::One, 0xF6, Pfx::Any, slash(0), "test", "Eb,Ib", 0, exec_alu<Alu::Test, Form::RmImm>},
    {Map::One, 0xF6, Pfx::Any, slash(1), "test", "Eb,Ib", 0, exec_alu<Alu::Test, Form::RmImm>},
    {Map::One, 0xF7, Pfx::Any, slash(0), "test", "Ev,Iz", 0, exec_alu<Alu::Test, Form::RmImm>},
    {Map::One, 0xF7, Pfx::Any, slash(1), "test", "Ev,Iz", 0, exec_alu<Alu::Test, Form::RmImm>},
    {Map::One, 0xF6, Pfx::Any, slash(2), "not", "Eb", L, exec_not},
    {Map::One, 0xF7, Pfx::Any, slash(2), "not", "Ev", L, exec_not},
    {Map::One, 0xF6, Pfx::Any, slash(3), "neg", "Eb", L, exec_neg},
    {Map::One, 0xF7, Pfx::Any, slash(3), "neg", "Ev", L, exec_neg},
    {Map::One, 0xFE, Pfx::Any, slash(0), "inc", "Eb", L, exec_incdec<true>},
    {Map::One, 0xFE, Pfx::Any, slash(1), "dec", "Eb", L, exec_incdec<false>},
    {Map::One, 0xFF, Pfx::Any, slash(0), "inc", "Ev", L, exec_incdec<true>},
    {Map::One, 0xFF, Pfx::Any, slash(1), "dec", "Ev", L, exec_incdec<false>},
    {Map::One, 0x40, Pfx::Any, kAnyExt, "inc", "Zv", rowf::PlusR | rowf::Inv64, exec_incdec<true>},
    {Map::One, 0x48, Pfx::Any, kAnyExt, "dec", "Zv", rowf::PlusR | rowf::Inv64, exec_incdec<false>},
};

#undef ALU_ROWS
#undef ALU_GROUP_ROWS

} // namespace

std::span<const OpcodeRow> alu_rows() { return kRows; }

} // namespace hvlab::cpu
