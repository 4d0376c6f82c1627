// Small bit helpers shared by every layer.
#pragma once
#include <cstdint>

namespace hvlab {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }
constexpr bool test_bit(uint64_t v, unsigned n) { return (v >> n) & 1; }
// Bits hi..lo of v, inclusive, shifted down to bit 0.
constexpr uint64_t bits(uint64_t v, unsigned hi, unsigned lo) {
    return (v >> lo) & ((hi - lo >= 63) ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo + 1)) - 1));
}
constexpr uint64_t mask_bits(unsigned hi, unsigned lo) { return bits(~uint64_t{0}, hi - lo, 0) << lo; }
constexpr uint64_t sign_extend(uint64_t v, unsigned width) {
    const unsigned s = 64 - width;
    return width >= 64 ? v : static_cast<uint64_t>(static_cast<int64_t>(v << s) >> s);
}
// Canonical in a 48-bit linear address space: bits 63..47 all equal (SDM Vol. 1, Canonical Addressing).
constexpr bool is_canonical48(uint64_t a) { return sign_extend(a, 48) == a; }

} // namespace hvlab
