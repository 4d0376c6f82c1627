// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3B, "Debug Control Register (DR7)" and
// "Breakpoint Field Recognition".
#include "cpu/debug_breakpoints.hpp"

namespace hvlab::cpu {

namespace {

enum class Condition : unsigned { Execute = 0, Write = 1, Io = 2, ReadWrite = 3 };

bool enabled(const CpuState& s, unsigned i) { return (s.dr[7] >> (2 * i)) & 3; }
Condition condition(const CpuState& s, unsigned i) {
    return static_cast<Condition>((s.dr[7] >> (16 + 4 * i)) & 3);
}
// LEN encodings: 00 = 1 byte, 01 = 2, 11 = 4, 10 = 8 (SDM "DR7 LEN0-LEN3").
uint64_t length(const CpuState& s, unsigned i) {
    static constexpr uint64_t kBytes[4] = {1, 2, 8, 4};
    return kBytes[(s.dr[7] >> (18 + 4 * i)) & 3];
}

// Whether [addr, addr+size) overlaps breakpoint i's LEN-aligned range.
bool overlaps(const CpuState& s, unsigned i, uint64_t addr, unsigned size, uint64_t mask) {
    const uint64_t len = length(s, i);
    const uint64_t start = s.dr[i] & ~(len - 1) & mask;
    const uint64_t end = start + len;
    return addr < end && start < addr + size;
}

template <typename Match> uint32_t hits(const CpuState& s, Match match) {
    uint32_t bits = 0;
    for (unsigned i = 0; i < 4; ++i)
        if (enabled(s, i) && match(i)) bits |= 1u << i;
    return bits;
}

} // namespace

uint32_t instruction_breakpoint_hits(const CpuState& s, uint64_t linear) {
    return hits(s, [&](unsigned i) {
        return condition(s, i) == Condition::Execute && s.dr[i] == linear;
    });
}

uint32_t data_breakpoint_hits(const CpuState& s, uint64_t linear, unsigned size, bool write) {
    return hits(s, [&](unsigned i) {
        const Condition c = condition(s, i);
        const bool armed = c == Condition::ReadWrite || (c == Condition::Write && write);
        return armed && overlaps(s, i, linear, size, ~uint64_t{0});
    });
}

uint32_t io_breakpoint_hits(const CpuState& s, uint16_t port, unsigned size) {
    if (!(s.cr4 & cr4::DE)) return 0; // R/W = 10 is undefined without CR4.DE
    return hits(s, [&](unsigned i) {
        return condition(s, i) == Condition::Io && overlaps(s, i, port, size, 0xFFFF);
    });
}

} // namespace hvlab::cpu
