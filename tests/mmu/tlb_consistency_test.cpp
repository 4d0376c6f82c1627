// Random accesses through LinearMemory (TLB fast path) agree with a fresh page walk when the
// tables do not change: the TLB's precomputed rights are the walker's rights. Fixed seed.
#include "cpu/linear_memory.hpp"
#include "cpu/linear_memory_paging.hpp"
#include "tests/mmu/page_tables.hpp"

#include <catch2/catch.hpp>
#include <random>

using namespace hvlab;
using namespace hvlab::test;

TEST_CASE("TLB hits and fresh walks agree on faults, error codes and addresses", "[tlb]") {
    const uint32_t seed = 20261129;
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    const uint64_t base = 0x4000'0000;
    for (unsigned i = 0; i < 64; ++i) {
        const uint64_t flags = P | (rng() % 2 ? RW : 0) | (rng() % 2 ? US : 0) |
                               (rng() % 4 == 0 ? XD : 0) | A | D;
        pt.map(base + 0x1000 * i, 0x80'0000 + 0x1000 * i, rng() % 8 == 0 ? 0 : flags);
    }
    cpu::LinearMemory mem(bus);
    unsigned faults = 0;
    uint64_t last_ctl = ~uint64_t{0};
    for (unsigned n = 0; n < 20000; ++n) {
        auto s = pt.state(rng() % 2 ? 3 : 0);
        if (rng() % 2) s.rflags |= cpu::rflags::AC;
        // CR0.WP, CR4.SMEP/SMAP change the cached rights: flush on change, as write_cr0/4 do.
        const uint64_t ctl = rng() % 8;
        s.cr0 = (ctl & 1) ? s.cr0 | cpu::cr0::WP : s.cr0 & ~cpu::cr0::WP;
        if (ctl & 2) s.cr4 |= cpu::cr4::SMEP;
        if (ctl & 4) s.cr4 |= cpu::cr4::SMAP;
        if (ctl != last_ctl) mem.paging_mode_changed();
        last_ctl = ctl;
        const auto kind = static_cast<cpu::AccessKind>(rng() % 3);
        const auto who = rng() % 4 == 0 ? cpu::Privilege::ImplicitSupervisor
                                        : cpu::Privilege::FromCpl;
        const uint64_t la = base + 0x1000 * (rng() % 64) + (rng() % 0x1000);
        const auto t = mem.translate(s, Gva(la), kind, who);
        const mmu::AccessRequest req{static_cast<mmu::Access>(kind), cpu::requester(s, who)};
        const auto w = mmu::walk(bus, cpu::paging_context(s), la, req,
                                 {.set_accessed_dirty = false, .check_rights = true});
        INFO("access " << n << " la " << std::hex << la);
        REQUIRE(t.fault.raised() == !w.ok());
        if (t.fault) {
            ++faults;
            REQUIRE(t.fault.error_code == w.error_code);
            REQUIRE(t.fault.cr2 == la);
        } else {
            REQUIRE(t.physical.value == w.physical.value);
        }
    }
    CHECK(faults > 1000);
    CHECK(mem.tlb().count_valid() > 0);
}
