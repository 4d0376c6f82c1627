// Test fixture: a guest with 4-level paging whose page tables live at guest-physical addresses
// 1 MiB and up, identity-mapped by EPT, and a data page: linear kLinear -> guest-physical
// kDataGpa -> host-physical kDataHpa.
#pragma once
#include "cpu/linear_memory.hpp"
#include "tests/ept/ept_tables.hpp"
#include "tests/mmu/page_tables.hpp"

#include <cstdint>

namespace hvlab::test {

inline constexpr uint64_t kLinear = 0x7000'0000, kDataGpa = 0x20'0000, kDataHpa = 0x60'0000;

struct EptGuest {
    mmu::PhysBus bus{16 << 20};
    PageTables pt{bus, PageTables::Level4};
    EptTables ept{bus};
    cpu::LinearMemory mem{bus};
    cpu::CpuState s;

    explicit EptGuest(uint64_t guest_flags = P | RW | US | A | D, uint64_t ept_flags = ERWX) {
        pt.map(kLinear, kDataGpa, guest_flags);
        ept.identity(0x10'0000, pt.next - 0x10'0000);
        ept.map(kDataGpa, kDataHpa, ept_flags);
        s = pt.state(0);
        bus.write(Hpa(kDataHpa), 8, 0x1111'2222'3333'4444ull);
    }
    void enter(uint16_t vpid = 1, bool accessed_dirty = false) {
        mem.set_guest_context(vpid, true, ept.eptp(accessed_dirty));
    }
    // Guest-physical address of the guest's level-N entry for la (tables are identity-mapped).
    uint64_t guest_entry_gpa(uint64_t la, unsigned level) { return pt.entry_addr(la, level); }
    // Guest-physical page holding the guest's level-N table for la.
    uint64_t guest_table_gpa(uint64_t la, unsigned level) {
        return guest_entry_gpa(la, level) & ~0xFFFull;
    }
    uint64_t read64(uint64_t la, cpu::Fault* f = nullptr) {
        uint64_t v = 0;
        const cpu::Fault r = mem.read(s, Gva(la), &v, 8);
        if (f) *f = r;
        return v;
    }
};

} // namespace hvlab::test
