#include "machine/loader/memory_map.hpp"

#include <algorithm>
#include <cstdio>

namespace hvlab::machine {

namespace {
using mmu::PhysBus;

std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

bool overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2) {
    return s1 < e2 && s2 < e1;
}

// End of the available extended memory: SeaBIOS keeps the top of low RAM for its tables when
// there is room above 1 MiB for them.
uint64_t extended_end(const PhysBus& bus) {
    const uint64_t low_end = bus.low_ram_end();
    if (low_end <= PhysBus::kLegacyHoleEnd) return PhysBus::kLegacyHoleEnd;
    if (low_end - PhysBus::kLegacyHoleEnd <= kSeaBiosHighTables) return low_end;
    return low_end - kSeaBiosHighTables;
}

void add(std::vector<E820Entry>& m, uint64_t base, uint64_t end, uint32_t type) {
    if (end > base) m.push_back({base, end - base, type});
}
} // namespace

std::vector<E820Entry> e820_map(const PhysBus& bus) {
    const uint64_t low_end = bus.low_ram_end();
    std::vector<E820Entry> m;
    add(m, 0, std::min(kEbdaStart, low_end), E820Entry::Available);
    add(m, kEbdaStart, PhysBus::kLegacyHoleStart, E820Entry::Reserved);
    add(m, kBiosShadowStart, PhysBus::kLegacyHoleEnd, E820Entry::Reserved);
    const uint64_t tables = extended_end(bus);
    add(m, PhysBus::kLegacyHoleEnd, tables, E820Entry::Available);
    if (tables > PhysBus::kLegacyHoleEnd) add(m, tables, low_end, E820Entry::Reserved);
    add(m, kBiosFlashStart, PhysBus::kHighRamStart, E820Entry::Reserved);
    if (bus.high_ram_size())
        add(m, PhysBus::kHighRamStart, bus.high_ram_end(), E820Entry::Available);
    return m;
}

uint32_t mem_lower_kib(const PhysBus& bus) {
    return static_cast<uint32_t>(std::min(kEbdaStart, bus.low_ram_end()) / 1024);
}

uint32_t mem_upper_kib(const PhysBus& bus) {
    return static_cast<uint32_t>((extended_end(bus) - PhysBus::kLegacyHoleEnd) / 1024);
}

std::string ram_conflict(const PhysBus& bus, uint64_t start, uint64_t end) {
    if (end <= start) return {};
    if (overlaps(start, end, PhysBus::kLegacyHoleStart, PhysBus::kLegacyHoleEnd))
        return "overlaps the legacy hole [" + hex(PhysBus::kLegacyHoleStart) + ", " +
               hex(PhysBus::kLegacyHoleEnd) + ")";
    if (overlaps(start, end, PhysBus::kPciHoleStart, PhysBus::kHighRamStart))
        return "overlaps the MMIO hole [" + hex(PhysBus::kPciHoleStart) + ", " +
               hex(PhysBus::kHighRamStart) + ")";
    const uint64_t ram_end = bus.high_ram_size() ? bus.high_ram_end() : bus.low_ram_end();
    const bool in_low = end <= bus.low_ram_end();
    const bool in_high = bus.high_ram_size() && start >= PhysBus::kHighRamStart && end <= ram_end;
    if (in_low || in_high) return {};
    return "lies beyond the end of RAM (RAM ends at " + hex(ram_end) + ")";
}

} // namespace hvlab::machine
