// Distinct address types: a guest-virtual (linear), guest-physical, host-physical or
// I/O-virtual address cannot be passed where another kind is expected (ARCHITECTURE.md,
// Conventions). Arithmetic with plain integers keeps the kind.
#pragma once
#include <compare>
#include <cstdint>

namespace hvlab {

template <class Tag> struct Address {
    uint64_t value = 0;
    constexpr Address() = default;
    constexpr explicit Address(uint64_t v) : value(v) {}
    constexpr Address operator+(uint64_t d) const { return Address(value + d); }
    constexpr Address operator-(uint64_t d) const { return Address(value - d); }
    constexpr uint64_t operator-(Address o) const { return value - o.value; }
    constexpr auto operator<=>(const Address&) const = default;
};

using Gva = Address<struct GvaTag>;   // guest-virtual = linear address (after segmentation)
using Gpa = Address<struct GpaTag>;   // guest-physical (output of guest paging)
using Hpa = Address<struct HpaTag>;   // host-physical (what the physical bus decodes)
using Iova = Address<struct IovaTag>; // I/O-virtual (what a DMA device emits)

} // namespace hvlab
