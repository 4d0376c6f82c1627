// Test helper: builds 4-level, PAE and 32-bit page tables in a PhysBus, and a CpuState that
// uses them. Tables are allocated upward from 1 MiB.
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>

namespace hvlab::test {

inline constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
inline constexpr uint64_t XD = uint64_t{1} << 63;

struct PageTables {
    enum Kind { Level4, Pae, Bits32 };
    mmu::PhysBus& bus;
    Kind kind;
    uint64_t root = 0;
    uint64_t next = 0x10'0000;

    PageTables(mmu::PhysBus& b, Kind k) : bus(b), kind(k) { root = alloc(); }

    uint64_t alloc() {
        const uint64_t a = next;
        next += 0x1000;
        for (uint64_t i = 0; i < 0x1000; i += 8) bus.write(Hpa(a + i), 8, 0);
        return a;
    }
    unsigned entry_bytes() const { return kind == Bits32 ? 4 : 8; }
    unsigned top() const { return kind == Level4 ? 4 : kind == Pae ? 3 : 2; }
    uint64_t index(uint64_t la, unsigned level) const {
        if (kind == Bits32) return (la >> (12 + 10 * (level - 1))) & 0x3FF;
        return (la >> (12 + 9 * (level - 1))) & (kind == Pae && level == 3 ? 3 : 0x1FF);
    }
    // Address of the entry for la at level, creating tables above it with `upper` flags.
    uint64_t entry_addr(uint64_t la, unsigned level, uint64_t upper = P | RW | US) {
        uint64_t table = root;
        for (unsigned l = top(); l > level; --l) {
            const uint64_t ea = table + entry_bytes() * index(la, l);
            uint64_t e = bus.read(Hpa(ea), entry_bytes());
            if (!(e & P)) {
                // PAE PDPTEs have no R/W, U/S or A bits (they are reserved there).
                e = alloc() | ((kind == Pae && l == 3) ? P : upper);
                bus.write(Hpa(ea), entry_bytes(), e);
            }
            table = e & 0x7F'FFFF'F000ull;
        }
        return table + entry_bytes() * index(la, level);
    }
    void map(uint64_t la, uint64_t pa, uint64_t flags, unsigned level = 1,
             uint64_t upper = P | RW | US) {
        bus.write(Hpa(entry_addr(la, level, upper)), entry_bytes(), pa | flags);
    }
    uint64_t entry(uint64_t la, unsigned level) {
        return bus.read(Hpa(entry_addr(la, level)), entry_bytes());
    }
    void set_entry(uint64_t la, unsigned level, uint64_t v) {
        bus.write(Hpa(entry_addr(la, level)), entry_bytes(), v);
    }

    // A CpuState in the matching paging mode at the given CPL (CS.DPL), NXE on.
    cpu::CpuState state(unsigned cpl = 0) const {
        cpu::CpuState s;
        s.cr0 = cpu::cr0::PE | cpu::cr0::PG | cpu::cr0::WP | cpu::cr0::ET;
        s.cr3 = root;
        if (kind == Level4) {
            s.cr4 = cpu::cr4::PAE;
            s.efer = cpu::efer::LME | cpu::efer::LMA | cpu::efer::NXE;
            s.seg[cpu::CS].attr = 0x209B | (cpl << 5); // 64-bit code
        } else {
            s.cr4 = kind == Pae ? cpu::cr4::PAE : cpu::cr4::PSE;
            s.efer = kind == Pae ? cpu::efer::NXE : 0;
            s.seg[cpu::CS].attr = 0xC09B | (cpl << 5);
        }
        if (kind == Pae)
            for (unsigned i = 0; i < 4; ++i) s.pdpte[i] = bus.read(Hpa(root + 8 * i), 8);
        return s;
    }
};

} // namespace hvlab::test
