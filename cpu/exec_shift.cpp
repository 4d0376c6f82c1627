// Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (by 1, CL, imm8) and SHLD/SHRD, with the
// flags of every count. Where the SDM leaves a flag undefined (OF for counts other than 1, AF,
// CF for counts beyond the width) the choice is in cpu/UNDEFINED_FLAGS.md.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

enum class Sh : uint8_t { Rol, Ror, Rcl, Rcr, Shl, Shr, Sal, Sar };

// The count is masked to 5 bits (6 with a 64-bit operand) before anything else.
unsigned masked_count(uint64_t c, unsigned size) { return c & (size == 8 ? 0x3F : 0x1F); }

struct ShiftResult {
    uint64_t value;
    uint64_t rflags;
};

// value/flags of one shift or rotate of `a` (size bytes) by the masked count c != 0.
ShiftResult shift(Sh op, uint64_t a, unsigned c, unsigned size, uint64_t rf) {
    const unsigned w = 8 * size;
    const uint64_t m = size_mask(size), msb = sign_bit(size);
    a &= m;
    uint64_t r = 0, cf = 0, of = 0;
    switch (op) {
    case Sh::Rol: {
        const unsigned k = c % w;
        r = k ? ((a << k) | (a >> (w - k))) & m : a;
        cf = r & 1;
        of = ((r & msb) != 0) != (cf != 0);
        rf &= ~(rflags::CF | rflags::OF);
        return {r, rf | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0)};
    }
    case Sh::Ror: {
        const unsigned k = c % w;
        r = k ? ((a >> k) | (a << (w - k))) & m : a;
        cf = (r & msb) != 0;
        of = ((r >> (w - 1)) ^ (r >> (w - 2))) & 1;
        rf &= ~(rflags::CF | rflags::OF);
        return {r, rf | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0)};
    }
    case Sh::Rcl:
    case Sh::Rcr: {
        // Rotate through CF: a (w+1)-bit rotation; the count is taken mod 9 / 17 for 8/16 bits.
        const unsigned k = size == 1 ? c % 9 : size == 2 ? c % 17 : c;
        if (k == 0) return {a, rf};
        unsigned __int128 v = (static_cast<unsigned __int128>((rf & rflags::CF) ? 1 : 0) << w) | a;
        const unsigned n = w + 1;
        const unsigned s = op == Sh::Rcl ? k : n - k;
        const unsigned __int128 mask = (static_cast<unsigned __int128>(1) << n) - 1;
        v = ((v << s) | (v >> (n - s))) & mask;
        r = static_cast<uint64_t>(v) & m;
        cf = static_cast<uint64_t>(v >> w) & 1;
        of = ((a ^ r) & msb) != 0;
        rf &= ~(rflags::CF | rflags::OF);
        return {r, rf | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0)};
    }
    case Sh::Shl:
    case Sh::Sal: {
        // `t` is the operand shifted by c-1: its top bit is the last bit shifted out.
        const uint64_t t = (c - 1) < 64 ? a << (c - 1) : 0;
        r = c < 64 ? (a << c) & m : 0;
        cf = (t >> (w - 1)) & 1;
        of = ((t ^ r) >> (w - 1)) & 1;
        break;
    }
    case Sh::Shr: {
        const uint64_t t = a >> (c - 1);
        r = c < 64 ? a >> c : 0;
        cf = t & 1;
        of = ((t ^ r) >> (w - 1)) & 1;
        break;
    }
    case Sh::Sar: {
        const int64_t sa = static_cast<int64_t>(sext(a, size));
        const uint64_t t = static_cast<uint64_t>(sa >> (c - 1));
        r = static_cast<uint64_t>(sa >> c) & m;
        cf = t & 1;
        of = 0;
        break;
    }
    }
    const uint64_t f = szp_flags(r, size) | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0);
    return {r, (rf & ~rflags::kArith) | f};
}

// Count source: 1, CL or imm8.
enum class Count : uint8_t { One, Cl, Imm };

template <Sh Op, Count C> Fault exec_shift(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t raw = C == Count::One ? 1 : C == Count::Cl ? x.s.gpr[RCX] & 0xFF : d.imm & 0xFF;
    const unsigned c = masked_count(raw, size);
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    uint64_t a;
    if (d.mod == 3) {
        a = get_reg(x, d, d.rm, size);
    } else if (Fault f = read_mem_rmw(x, d.seg, ea, size, a)) {
        return f;
    }
    // A zero count changes nothing, not even the flags.
    const uint64_t rf = flags(x);
    const ShiftResult res = c ? shift(Op, a, c, size, rf) : ShiftResult{a, rf};
    if (d.mod == 3) {
        set_reg(x, d, d.rm, size, res.value);
    } else if (Fault f = write_mem(x, d.seg, ea, size, res.value)) {
        return f;
    }
    x.s.rflags = res.rflags;
    return kNoFault;
}

// SHLD/SHRD: the destination shifted with bits from the source filling in. A 16-bit operand
// with a count above 16 shifts the 48-bit value dst:src:dst, as Intel processors (and QEMU) do.
ShiftResult double_shift(bool left, uint64_t a, uint64_t b, unsigned c, unsigned size,
                         uint64_t rf) {
    using U128 = unsigned __int128;
    const unsigned w = 8 * size;
    const uint64_t m = size_mask(size);
    a &= m, b &= m;
    const unsigned W = size == 2 ? 32 : w; // width of the low part of the concatenation
    const U128 low = size == 2 ? ((b << 16) | a) : left ? b : a;
    const U128 high = left ? a : b;
    uint64_t r, t;
    if (left) {
        const U128 v = size == 2 ? ((U128(a) << 32) | low) : ((high << W) | low);
        r = static_cast<uint64_t>((v << c) >> W) & m;
        t = static_cast<uint64_t>((v << (c - 1)) >> W) & m;
    } else {
        const U128 v = size == 2 ? ((U128(a) << 32) | low) : ((high << W) | low);
        r = static_cast<uint64_t>(v >> c) & m;
        t = static_cast<uint64_t>(v >> (c - 1)) & m;
    }
    // 64-bit operands: OF for counts above 1 (undefined) is taken from the destination alone,
    // as QEMU does (cpu/UNDEFINED_FLAGS.md).
    if (size == 8) t = left ? a << (c - 1) : a >> (c - 1);
    const bool cf = left ? (t >> (w - 1)) & 1 : t & 1;
    const bool of = ((t ^ r) >> (w - 1)) & 1;
    const uint64_t f = szp_flags(r, size) | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0);
    return {r, (rf & ~rflags::kArith) | f};
}

template <bool Left, Count C> Fault exec_shxd(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t raw = C == Count::Cl ? x.s.gpr[RCX] & 0xFF : d.imm & 0xFF;
    const unsigned c = masked_count(raw, size);
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    uint64_t a;
    if (d.mod == 3) {
        a = get_reg(x, d, d.rm, size);
    } else if (Fault f = read_mem_rmw(x, d.seg, ea, size, a)) {
        return f;
    }
    const uint64_t b = get_reg(x, d, d.reg, size);
    const ShiftResult res =
        c ? double_shift(Left, a, b, c, size, flags(x)) : ShiftResult{a, flags(x)};
    if (d.mod == 3) {
        set_reg(x, d, d.rm, size, res.value);
    } else if (Fault f = write_mem(x, d.seg, ea, size, res.value)) {
        return f;
    }
    x.s.rflags = res.rflags;
    return kNoFault;
}

#define SHIFT_ROWS(n, name, op)                                                                    \
    {Map::One, 0xC0, Pfx::Any, slash(n), name, "Eb,Ib", 0, exec_shift<op, Count::Imm>},            \
        {Map::One, 0xC1, Pfx::Any, slash(n), name, "Ev,Ib", 0, exec_shift<op, Count::Imm>},        \
        {Map::One, 0xD0, Pfx::Any, slash(n), name, "Eb,1", 0, exec_shift<op, Count::One>},         \
        {Map::One, 0xD1, Pfx::Any, slash(n), name, "Ev,1", 0, exec_shift<op, Count::One>},         \
        {Map::One, 0xD2, Pfx::Any, slash(n), name, "Eb,CL", 0, exec_shift<op, Count::Cl>},         \
        {Map::One, 0xD3, Pfx::Any, slash(n), name, "Ev,CL", 0, exec_shift<op, Count::Cl>}

const OpcodeRow kRows[] = {
    SHIFT_ROWS(0, "rol", Sh::Rol),
    SHIFT_ROWS(1, "ror", Sh::Ror),
    SHIFT_ROWS(2, "rcl", Sh::Rcl),
    SHIFT_ROWS(3, "rcr", Sh::Rcr),
    SHIFT_ROWS(4, "shl", Sh::Shl),
    SHIFT_ROWS(5, "shr", Sh::Shr),
    SHIFT_ROWS(6, "sal", Sh::Sal),
    SHIFT_ROWS(7, "sar", Sh::Sar),
    // map       op    pfx       ext       mnemonic operands    flags handler
    {Map::Two, 0xA4, Pfx::Any, kAnyExt, "shld", "Ev,Gv,Ib", 0, exec_shxd<true, Count::Imm>},
    {Map::Two, 0xA5, Pfx::Any, kAnyExt, "shld", "Ev,Gv,CL", 0, exec_shxd<true, Count::Cl>},
    {Map::Two, 0xAC, Pfx::Any, kAnyExt, "shrd", "Ev,Gv,Ib", 0, exec_shxd<false, Count::Imm>},
    {Map::Two, 0xAD, Pfx::Any, kAnyExt, "shrd", "Ev,Gv,CL", 0, exec_shxd<false, Count::Cl>},
};

#undef SHIFT_ROWS

} // namespace

std::span<const OpcodeRow> shift_rows() { return kRows; }

} // namespace hvlab::cpu
