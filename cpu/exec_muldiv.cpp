// MUL, IMUL (one, two and three operands), DIV, IDIV (#DE on a zero divisor or a quotient that
// does not fit). SF/ZF/PF/AF after multiplication and all flags after division are undefined;
// see cpu/UNDEFINED_FLAGS.md.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, MUL, IMUL, DIV, IDIV.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

using U128 = unsigned __int128;
using I128 = __int128;

// CF = OF = overflow; SF, ZF, PF from the low half of the product; AF = 0.
void set_mul_flags(Exec& x, uint64_t low, bool overflow, unsigned size) {
    set_flags_lazy(x, LazyOp::Mul, 0, overflow, low, size);
}

// The implicit accumulator pair: AX for bytes (AH:AL), else rDX:rAX.
void write_pair(Exec& x, unsigned size, uint64_t low, uint64_t high) {
    if (size == 1) {
        set_reg(x, RAX, 2, (low & 0xFF) | ((high & 0xFF) << 8), false);
        return;
    }
    set_reg(x, RAX, size, low, false);
    set_reg(x, RDX, size, high, false);
}

template <bool Signed> Fault exec_mul1(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize, w = 8 * size;
    uint64_t src;
    if (Fault f = read_rm(x, d, size, src)) return f;
    const uint64_t acc = get_reg(x, RAX, size, false);
    uint64_t low, high;
    bool overflow;
    if (Signed) {
        const I128 p = I128(int64_t(sext(acc, size))) * I128(int64_t(sext(src, size)));
        low = uint64_t(p) & size_mask(size);
        high = uint64_t(p >> w) & size_mask(size);
        overflow = p != I128(int64_t(sext(low, size)));
    } else {
        const U128 p = U128(acc) * U128(src);
        low = uint64_t(p) & size_mask(size);
        high = uint64_t(p >> w) & size_mask(size);
        overflow = high != 0;
    }
    write_pair(x, size, low, high);
    set_mul_flags(x, low, overflow, size);
    return kNoFault;
}

// IMUL r, r/m (, imm): the product truncated to the operand size.
template <bool HasImm> Fault exec_imul(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    uint64_t src;
    if (Fault f = read_rm(x, d, size, src)) return f;
    const uint64_t other = HasImm ? d.imm : get_reg(x, d, d.reg, size);
    const I128 p = I128(int64_t(sext(src, size))) * I128(int64_t(sext(other, size)));
    const uint64_t low = uint64_t(p) & size_mask(size);
    set_reg(x, d, d.reg, size, low);
    set_mul_flags(x, low, p != I128(int64_t(sext(low, size))), size);
    return kNoFault;
}

// DIV/IDIV: #DE if the divisor is 0 or the quotient does not fit the operand size
// (SDM Vol. 2A, DIV, "Operation"). Flags are left unchanged.
template <bool Signed> Fault exec_div(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize, w = 8 * size;
    uint64_t src;
    if (Fault f = read_rm(x, d, size, src)) return f;
    if (src == 0) return fault(DE);
    const uint64_t lo = size == 1 ? x.s.gpr[RAX] & 0xFF : get_reg(x, RAX, size, false);
    const uint64_t hi = size == 1 ? (x.s.gpr[RAX] >> 8) & 0xFF : get_reg(x, RDX, size, false);
    const U128 dividend = (U128(hi) << w) | lo;
    uint64_t q, r;
    if (Signed) {
        // Sign-extend the 2w-bit dividend.
        const I128 n = I128(dividend << (128 - 2 * w)) >> (128 - 2 * w);
        const I128 dv = int64_t(sext(src, size));
        // The one quotient that does not fit even 128 bits: -2^127 / -1.
        const I128 n_min = I128(U128(1) << 127);
        if (dv == -1 && n == n_min) return fault(DE);
        const I128 qq = n / dv, rr = n % dv;
        const I128 lim = I128(1) << (w - 1);
        if (qq >= lim || qq < -lim) return fault(DE);
        q = uint64_t(qq), r = uint64_t(rr);
    } else {
        const U128 qq = dividend / src, rr = dividend % src;
        if (qq >> w) return fault(DE);
        q = uint64_t(qq), r = uint64_t(rr);
    }
    write_pair(x, size, q, r);
    return kNoFault;
}

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands    flags handler
    {Map::One, 0xF6, Pfx::Any, slash(4), "mul", "Eb", 0, exec_mul1<false>},
    {Map::One, 0xF7, Pfx::Any, slash(4), "mul", "Ev", 0, exec_mul1<false>},
    {Map::One, 0xF6, Pfx::Any, slash(5), "imul", "Eb", 0, exec_mul1<true>},
    {Map::One, 0xF7, Pfx::Any, slash(5), "imul", "Ev", 0, exec_mul1<true>},
    {Map::One, 0xF6, Pfx::Any, slash(6), "div", "Eb", 0, exec_div<false>},
    {Map::One, 0xF7, Pfx::Any, slash(6), "div", "Ev", 0, exec_div<false>},
    {Map::One, 0xF6, Pfx::Any, slash(7), "idiv", "Eb", 0, exec_div<true>},
    {Map::One, 0xF7, Pfx::Any, slash(7), "idiv", "Ev", 0, exec_div<true>},
    {Map::Two, 0xAF, Pfx::Any, kAnyExt, "imul", "Gv,Ev", 0, exec_imul<false>},
    {Map::One, 0x69, Pfx::Any, kAnyExt, "imul", "Gv,Ev,Iz", 0, exec_imul<true>},
    {Map::One, 0x6B, Pfx::Any, kAnyExt, "imul", "Gv,Ev,Ib", 0, exec_imul<true>},
};

} // namespace

std::span<const OpcodeRow> muldiv_rows() { return kRows; }

} // namespace hvlab::cpu
