// Arithmetic flag helpers shared by every handler (SDM Vol. 1, "EFLAGS Register" and
// Appendix A, "EFLAGS Cross-Reference"). Where the SDM leaves a flag undefined the choice is
// documented in cpu/UNDEFINED_FLAGS.md.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "cpu/cpu_state.hpp"

#include <cstdint>

namespace hvlab::cpu {

constexpr uint64_t size_mask(unsigned size) {
    return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}
constexpr uint64_t sign_bit(unsigned size) { return uint64_t{1} << (8 * size - 1); }
constexpr uint64_t sext(uint64_t v, unsigned size) {
    return size >= 8 ? v : static_cast<uint64_t>(static_cast<int64_t>(v << (64 - 8 * size)) >> (64 - 8 * size));
}

// PF is set when the low byte of the result has an even number of 1 bits.
constexpr uint64_t parity_flag(uint64_t r) {
    return (__builtin_parity(static_cast<unsigned>(r & 0xFF)) ? 0 : rflags::PF);
}

// ZF, SF and PF of a result of `size` bytes.
constexpr uint64_t szp_flags(uint64_t r, unsigned size) {
    r &= size_mask(size);
    return (r == 0 ? rflags::ZF : 0) | ((r & sign_bit(size)) ? rflags::SF : 0) | parity_flag(r);
}

// Replace the arithmetic flags (CF PF AF ZF SF OF) in rflags.
constexpr void put_arith_flags(uint64_t& rf, uint64_t f) {
    rf = (rf & ~rflags::kArith) | f;
}

// a + b + carry, result r (all masked to size).
constexpr uint64_t add_flags(uint64_t a, uint64_t b, uint64_t r, bool carry, unsigned size) {
    const uint64_t m = size_mask(size);
    a &= m, b &= m, r &= m;
    const bool cf = carry ? r <= a : r < a;
    const bool of = ((a ^ r) & (b ^ r)) & sign_bit(size);
    return szp_flags(r, size) | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0) |
           ((a ^ b ^ r) & rflags::AF);
}

// a - b - borrow, result r.
constexpr uint64_t sub_flags(uint64_t a, uint64_t b, uint64_t r, bool borrow, unsigned size) {
    const uint64_t m = size_mask(size);
    a &= m, b &= m, r &= m;
    const bool cf = borrow ? a <= b : a < b;
    const bool of = ((a ^ b) & (a ^ r)) & sign_bit(size);
    return szp_flags(r, size) | (cf ? rflags::CF : 0) | (of ? rflags::OF : 0) |
           ((a ^ b ^ r) & rflags::AF);
}

// AND/OR/XOR/TEST: CF=OF=0, AF undefined (we clear it).
constexpr uint64_t logic_flags(uint64_t r, unsigned size) { return szp_flags(r, size); }

// Jcc/SETcc/CMOVcc condition codes (SDM Vol. 1, Appendix B, "EFLAGS Condition Codes").
constexpr bool condition(uint64_t f, unsigned cc) {
    bool r = false;
    switch ((cc >> 1) & 7) {
    case 0: r = f & rflags::OF; break;                                  // O
    case 1: r = f & rflags::CF; break;                                  // B
    case 2: r = f & rflags::ZF; break;                                  // Z
    case 3: r = f & (rflags::CF | rflags::ZF); break;                   // BE
    case 4: r = f & rflags::SF; break;                                  // S
    case 5: r = f & rflags::PF; break;                                  // P
    case 6: r = bool(f & rflags::SF) != bool(f & rflags::OF); break;    // L
    case 7: r = (f & rflags::ZF) || bool(f & rflags::SF) != bool(f & rflags::OF); break; // LE
    }
    return r != bool(cc & 1);
}

} // namespace hvlab::cpu
