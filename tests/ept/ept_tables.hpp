// Test helper: builds 4-level EPT paging structures in a PhysBus (tables allocated upward from
// 8 MiB, host-physical) and the EPTP that points at them.
#pragma once
#include "mmu/phys_bus.hpp"

#include <cstdint>

namespace hvlab::test {

inline constexpr uint64_t ER = 1, EW = 2, EX = 4, ERWX = 7, EPS = 0x80, EA = 0x100, ED = 0x200;
inline constexpr uint64_t kIpat = 0x40;
inline constexpr uint64_t mt(uint64_t type) {
    return type << 3;
}

struct EptTables {
    mmu::PhysBus& bus;
    uint64_t root = 0;
    uint64_t next = 0x80'0000;

    // Tables are allocated upward from `start` (host-physical).
    explicit EptTables(mmu::PhysBus& b, uint64_t start = 0x80'0000) : bus(b), next(start) {
        root = alloc();
    }

    uint64_t alloc() {
        const uint64_t a = next;
        next += 0x1000;
        for (uint64_t i = 0; i < 0x1000; i += 8)
            bus.write(Hpa(a + i), 8, 0);
        return a;
    }
    static uint64_t index(uint64_t gpa, unsigned level) {
        return (gpa >> (12 + 9 * (level - 1))) & 0x1FF;
    }
    // Host-physical address of the entry for gpa at level, creating RWX tables above it.
    uint64_t entry_addr(uint64_t gpa, unsigned level) {
        uint64_t table = root;
        for (unsigned l = 4; l > level; --l) {
            const uint64_t ea = table + 8 * index(gpa, l);
            uint64_t e = bus.read(Hpa(ea), 8);
            if (!(e & ERWX)) {
                e = alloc() | ERWX;
                bus.write(Hpa(ea), 8, e);
            }
            table = e & 0x7F'FFFF'F000ull;
        }
        return table + 8 * index(gpa, level);
    }
    // A leaf: 4 KiB (level 1), 2 MiB (level 2) or 1 GiB (level 3), memory type WB by default.
    void map(uint64_t gpa, uint64_t hpa, uint64_t flags, unsigned level = 1,
             uint64_t type = mt(6)) {
        bus.write(Hpa(entry_addr(gpa, level)), 8, hpa | flags | type | (level > 1 ? EPS : 0));
    }
    // Identity-maps [gpa, gpa + size) with 4 KiB RWX pages.
    void identity(uint64_t gpa, uint64_t size) {
        for (uint64_t a = gpa; a < gpa + size; a += 0x1000)
            map(a, a, ERWX);
    }
    uint64_t entry(uint64_t gpa, unsigned level) {
        return bus.read(Hpa(entry_addr(gpa, level)), 8);
    }
    void set_entry(uint64_t gpa, unsigned level, uint64_t v) {
        bus.write(Hpa(entry_addr(gpa, level)), 8, v);
    }
    // WB paging structures, 4-level walk, optional A/D flags (SDM Vol. 3C, "EPTP").
    uint64_t eptp(bool accessed_dirty = false) const {
        return root | 6 | (3 << 3) | (accessed_dirty ? 0x40 : 0);
    }
};

} // namespace hvlab::test
