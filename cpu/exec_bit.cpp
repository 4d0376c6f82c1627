// Bit instructions: BT/BTS/BTR/BTC (register and memory, with bit-offset addressing),
// BSF/BSR, TZCNT/LZCNT, POPCNT. Undefined flags: cpu/UNDEFINED_FLAGS.md.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

enum class BitOp : uint8_t { Test, Set, Reset, Complement };

uint64_t apply(BitOp op, uint64_t v, unsigned bit) {
    switch (op) {
    case BitOp::Test: return v;
    case BitOp::Set: return v | (uint64_t{1} << bit);
    case BitOp::Reset: return v & ~(uint64_t{1} << bit);
    case BitOp::Complement: return v ^ (uint64_t{1} << bit);
    }
    return v;
}

// CF = the selected bit; the other flags are left as they were.
void set_bit_cf(Exec& x, bool bit) {
    uint64_t& f = flags(x);
    f = (f & ~rflags::CF) | (bit ? rflags::CF : 0);
}

// BT* r/m, r: with a memory operand the register is a signed bit offset that can reach outside
// the addressed operand: the operand at ea + (offset >> log2(width)) * size is used
// (SDM Vol. 2A, BT, "Bit(BitBase, BitOffset)").
template <BitOp Op, bool Imm> Fault exec_bt(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize, w = 8 * size;
    uint64_t offset = Imm ? (d.imm & 0xFF) : get_reg(x, d, d.reg, size);
    if (d.mod == 3) {
        const unsigned bit = offset & (w - 1);
        const uint64_t v = get_reg(x, d, d.rm, size);
        if (Op != BitOp::Test) set_reg(x, d, d.rm, size, apply(Op, v, bit));
        set_bit_cf(x, (v >> bit) & 1);
        return kNoFault;
    }
    uint64_t ea = effective_address(x, d);
    unsigned bit = offset & (w - 1);
    if (!Imm) {
        const int64_t signed_off = static_cast<int64_t>(sext(offset, size));
        const int64_t units = signed_off >> (size == 8 ? 6 : size == 4 ? 5 : 4);
        ea = (ea + static_cast<uint64_t>(units) * size) & size_mask(d.addrsize);
    }
    uint64_t v;
    if (Fault f = Op == BitOp::Test ? read_mem(x, d.seg, ea, size, v)
                                    : read_mem_rmw(x, d.seg, ea, size, v))
        return f;
    if (Op != BitOp::Test)
        if (Fault f = write_mem(x, d.seg, ea, size, apply(Op, v, bit))) return f;
    set_bit_cf(x, (v >> bit) & 1);
    return kNoFault;
}

// BSF/BSR: a zero source sets ZF; the destination (undefined in the SDM) keeps its value but, as
// any 32-bit register write, is zero-extended (what QEMU does). Other flags as a logic
// operation on the source.
template <bool Forward> Fault exec_bsf(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    uint64_t v;
    if (Fault f = read_rm(x, d, size, v)) return f;
    const uint64_t idx = v == 0 ? get_reg(x, d, d.reg, size)
                         : Forward  ? __builtin_ctzll(v)
                                    : 63 - __builtin_clzll(v);
    set_reg(x, d, d.reg, size, idx);
    set_flags_lazy(x, LazyOp::Logic, 0, 0, v, size);
    return kNoFault;
}

// TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0); the others cleared.
template <bool Trailing> Fault exec_tzcnt(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize, w = 8 * size;
    uint64_t v;
    if (Fault f = read_rm(x, d, size, v)) return f;
    unsigned n;
    if (v == 0) {
        n = w;
    } else if (Trailing) {
        n = __builtin_ctzll(v);
    } else {
        n = __builtin_clzll(v) - (64 - w);
    }
    set_reg(x, d, d.reg, size, n);
    set_arith_flags(x, (v == 0 ? rflags::CF : 0) | (n == 0 ? rflags::ZF : 0));
    return kNoFault;
}

// POPCNT: ZF = (source == 0); OF SF AF CF PF cleared (SDM Vol. 2B, POPCNT).
Fault exec_popcnt(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = read_rm(x, d, d.opsize, v)) return f;
    set_reg(x, d, d.reg, d.opsize, __builtin_popcountll(v));
    set_arith_flags(x, v == 0 ? rflags::ZF : 0);
    return kNoFault;
}

constexpr uint32_t L = rowf::Lock;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::Two, 0xA3, Pfx::Any, kAnyExt, "bt", "Ev,Gv", 0, exec_bt<BitOp::Test, false>},
    {Map::Two, 0xAB, Pfx::Any, kAnyExt, "bts", "Ev,Gv", L, exec_bt<BitOp::Set, false>},
    {Map::Two, 0xB3, Pfx::Any, kAnyExt, "btr", "Ev,Gv", L, exec_bt<BitOp::Reset, false>},
    {Map::Two, 0xBB, Pfx::Any, kAnyExt, "btc", "Ev,Gv", L, exec_bt<BitOp::Complement, false>},
    {Map::Two, 0xBA, Pfx::Any, slash(4), "bt", "Ev,Ib", 0, exec_bt<BitOp::Test, true>},
    {Map::Two, 0xBA, Pfx::Any, slash(5), "bts", "Ev,Ib", L, exec_bt<BitOp::Set, true>},
    {Map::Two, 0xBA, Pfx::Any, slash(6), "btr", "Ev,Ib", L, exec_bt<BitOp::Reset, true>},
    {Map::Two, 0xBA, Pfx::Any, slash(7), "btc", "Ev,Ib", L, exec_bt<BitOp::Complement, true>},
    {Map::Two, 0xBC, Pfx::F3, kAnyExt, "tzcnt", "Gv,Ev", 0, exec_tzcnt<true>},
    {Map::Two, 0xBD, Pfx::F3, kAnyExt, "lzcnt", "Gv,Ev", 0, exec_tzcnt<false>},
    {Map::Two, 0xB8, Pfx::F3, kAnyExt, "popcnt", "Gv,Ev", 0, exec_popcnt},
    {Map::Two, 0xBC, Pfx::Any, kAnyExt, "bsf", "Gv,Ev", 0, exec_bsf<true>},
    {Map::Two, 0xBD, Pfx::Any, kAnyExt, "bsr", "Gv,Ev", 0, exec_bsf<false>},
};

} // namespace

std::span<const OpcodeRow> bit_rows() { return kRows; }

} // namespace hvlab::cpu
