// The legacy page walker through its public interface: translations, page sizes, A/D updates,
// and the #PF error code of every permission combination (SDM Vol. 3A, Access Rights;
// Page-Fault Exception (#PF)).
#include "mmu/page_walk.hpp"
#include "cpu/linear_memory_paging.hpp"
#include "tests/mmu/page_tables.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using mmu::Access;
using mmu::Requester;

namespace {

mmu::WalkRecord do_walk(mmu::PhysBus& bus, const cpu::CpuState& s, uint64_t la, Access k,
                        Requester who) {
    return mmu::walk(bus, cpu::paging_context(s), la, {k, who});
}

} // namespace

TEST_CASE("4-level walk translates a 4 KiB page and records every level", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x7F12'3456'7000, 0x45'6000, P | RW | US);
    auto s = pt.state();
    auto w = do_walk(bus, s, 0x7F12'3456'7ABC, Access::Read, Requester::Supervisor);
    REQUIRE(w.ok());
    CHECK(w.physical.value == 0x45'6ABC);
    CHECK(w.page_size == 0x1000);
    REQUIRE(w.depth == 4);
    CHECK(w.steps[0].level == 4);
    CHECK(w.steps[0].entry_addr.value == pt.root + 8 * 0xFE);
    CHECK(w.steps[3].level == 1);
    CHECK((w.steps[3].entry & ~0xFFFull) == 0x45'6000);
}

TEST_CASE("accessed bits are set on every level, dirty only on the leaf of a write", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x40'0000, 0x20'0000, P | RW);
    auto s = pt.state();
    REQUIRE(do_walk(bus, s, 0x40'0000, Access::Read, Requester::Supervisor).ok());
    for (unsigned l = 4; l >= 1; --l) CHECK((pt.entry(0x40'0000, l) & A) != 0);
    CHECK((pt.entry(0x40'0000, 1) & D) == 0);
    CHECK((pt.entry(0x40'0000, 2) & D) == 0);
    REQUIRE(do_walk(bus, s, 0x40'0010, Access::Write, Requester::Supervisor).ok());
    CHECK((pt.entry(0x40'0000, 1) & D) != 0);
    CHECK((pt.entry(0x40'0000, 2) & D) == 0); // D exists only in leaves
}

TEST_CASE("a faulting access leaves A and D untouched", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x40'0000, 0x20'0000, P); // read-only, supervisor
    auto s = pt.state(3);
    auto w = do_walk(bus, s, 0x40'0000, Access::Write, Requester::User);
    REQUIRE(w.stop == mmu::WalkStop::Denied);
    CHECK(w.error_code == (mmu::pf_error::P | mmu::pf_error::WR | mmu::pf_error::US));
    CHECK((pt.entry(0x40'0000, 1) & (A | D)) == 0);
    CHECK((pt.entry(0x40'0000, 4) & A) == 0);
}

TEST_CASE("not-present entries at each level give P=0 and stop there", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x1000, 0x5000, P | RW | US);
    auto s = pt.state(3);
    for (unsigned level = 4; level >= 1; --level) {
        pt.map(0x1000, 0x5000, P | RW | US); // restore
        const uint64_t saved = pt.entry(0x1000, level);
        pt.set_entry(0x1000, level, saved & ~P);
        auto w = do_walk(bus, s, 0x1234, Access::Write, Requester::User);
        INFO("level " << level);
        CHECK(w.stop == mmu::WalkStop::NotPresent);
        CHECK(w.stop_level == level);
        CHECK(w.error_code == (mmu::pf_error::WR | mmu::pf_error::US));
        pt.set_entry(0x1000, level, saved);
    }
}

TEST_CASE("reserved bits give RSVD with P=1 at the level that has them", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x1000, 0x5000, P | RW | US);
    auto s = pt.state();
    const uint32_t rsvd = mmu::pf_error::P | mmu::pf_error::RSVD;
    SECTION("physical-address bit at MAXPHYADDR in a PTE") {
        pt.map(0x1000, 0x5000 | (uint64_t{1} << 39), P | RW | US);
        auto w = do_walk(bus, s, 0x1000, Access::Read, Requester::Supervisor);
        CHECK(w.stop == mmu::WalkStop::Reserved);
        CHECK(w.error_code == rsvd);
    }
    SECTION("bit 38 is a valid address bit (MAXPHYADDR = 39)") {
        pt.map(0x1000, uint64_t{1} << 38, P | RW | US);
        auto w = do_walk(bus, s, 0x1000, Access::Read, Requester::Supervisor);
        CHECK(w.ok());
        CHECK(w.physical.value == uint64_t{1} << 38);
    }
    SECTION("XD with EFER.NXE = 0") {
        pt.map(0x1000, 0x5000, P | RW | US | XD);
        s.efer &= ~cpu::efer::NXE;
        auto w = do_walk(bus, s, 0x1000, Access::Write, Requester::Supervisor);
        CHECK(w.stop == mmu::WalkStop::Reserved);
        CHECK(w.error_code == (rsvd | mmu::pf_error::WR));
    }
    SECTION("PS in a PML4E") {
        pt.set_entry(0x1000, 4, pt.entry(0x1000, 4) | PS);
        auto w = do_walk(bus, s, 0x1000, Access::Execute, Requester::Supervisor);
        CHECK(w.stop == mmu::WalkStop::Reserved);
        CHECK(w.stop_level == 4);
        CHECK(w.error_code == (rsvd | mmu::pf_error::ID));
    }
    SECTION("bits 20:13 of a 2 MiB PDE") {
        pt.map(0x40'0000, 0x20'0000 | 0x2000, P | RW | US | PS, 2);
        auto w = do_walk(bus, s, 0x40'0000, Access::Read, Requester::Supervisor);
        CHECK(w.stop == mmu::WalkStop::Reserved);
        CHECK(w.stop_level == 2);
    }
    SECTION("reserved beats not-allowed: user read of a supervisor page with RSVD") {
        pt.map(0x1000, 0x5000 | (uint64_t{1} << 45), P);
        auto w = do_walk(bus, pt.state(3), 0x1000, Access::Read, Requester::User);
        CHECK(w.error_code == (rsvd | mmu::pf_error::US));
    }
}

TEST_CASE("2 MiB, 1 GiB pages in 4-level paging", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x20'0000, 0x60'0000, P | RW | PS, 2);
    pt.map(0x8000'0000, 0x40'0000'0000 - 0x4000'0000, P | RW | PS, 3);
    auto s = pt.state();
    auto w = do_walk(bus, s, 0x21'2345, Access::Write, Requester::Supervisor);
    REQUIRE(w.ok());
    CHECK(w.page_size == 0x20'0000);
    CHECK(w.physical.value == 0x61'2345);
    CHECK(w.depth == 3);
    CHECK((pt.entry(0x20'0000, 2) & (A | D)) == (A | D));
    auto g = do_walk(bus, s, 0x8123'4567, Access::Read, Requester::Supervisor);
    REQUIRE(g.ok());
    CHECK(g.page_size == 0x4000'0000);
    CHECK(g.physical.value == 0x3F'C123'4567);
}

TEST_CASE("32-bit paging: 4 KiB pages, 4 MiB pages with PSE and PSE-36", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Bits32);
    pt.map(0x0040'0000, 0x0080'0000 | (uint64_t{0x3F} << 13), P | RW | PS, 2); // PA bits 37:32
    pt.map(0xC000'1000, 0x3000, P | RW | US);
    auto s = pt.state();
    auto w = do_walk(bus, s, 0x0041'2345, Access::Read, Requester::Supervisor);
    REQUIRE(w.ok());
    CHECK(w.page_size == 0x40'0000);
    CHECK(w.physical.value == 0x3F'0081'2345);
    auto w4 = do_walk(bus, s, 0xC000'1FFF, Access::Read, Requester::Supervisor);
    REQUIRE(w4.ok());
    CHECK(w4.physical.value == 0x3FFF);
    CHECK((pt.entry(0xC000'1000, 1) & A) != 0);
    SECTION("bit 21 of a 4 MiB PDE is reserved") {
        pt.map(0x0040'0000, 0x0080'0000 | (1u << 21), P | RW | PS, 2);
        auto r = do_walk(bus, s, 0x0040'0000, Access::Read, Requester::Supervisor);
        CHECK(r.stop == mmu::WalkStop::Reserved);
        CHECK(r.error_code == (mmu::pf_error::P | mmu::pf_error::RSVD));
    }
    SECTION("without CR4.PSE, PS is ignored and the PDE points at a page table") {
        s.cr4 &= ~cpu::cr4::PSE;
        auto r = do_walk(bus, s, 0x0040'0000, Access::Read, Requester::Supervisor);
        CHECK(r.depth == 2);
        CHECK(r.page_size != 0x40'0000);
    }
    SECTION("I/D is not reported without SMEP in 32-bit paging, and is with SMEP") {
        pt.map(0xC000'2000, 0x3000, P | RW); // supervisor page
        auto r = do_walk(bus, pt.state(3), 0xC000'2000, Access::Execute, Requester::User);
        CHECK(r.error_code == (mmu::pf_error::P | mmu::pf_error::US));
        auto st = pt.state(3);
        st.cr4 |= cpu::cr4::SMEP;
        r = do_walk(bus, st, 0xC000'2000, Access::Execute, Requester::User);
        CHECK(r.error_code == (mmu::pf_error::P | mmu::pf_error::US | mmu::pf_error::ID));
    }
}

TEST_CASE("PAE paging uses the PDPTE registers, not memory", "[walk]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Pae);
    pt.map(0x8000'0000, 0x7000, P | RW | US | XD);
    pt.map(0x4060'0000, 0x60'0000, P | RW | PS, 2);
    auto s = pt.state();
    auto w = do_walk(bus, s, 0x8000'0123, Access::Read, Requester::Supervisor);
    REQUIRE(w.ok());
    CHECK(w.physical.value == 0x7123);
    CHECK(w.steps[0].from_register);
    auto x = do_walk(bus, s, 0x8000'0123, Access::Execute, Requester::Supervisor);
    CHECK(x.error_code == (mmu::pf_error::P | mmu::pf_error::ID));
    auto l = do_walk(bus, s, 0x4061'0000, Access::Read, Requester::Supervisor);
    REQUIRE(l.ok());
    CHECK(l.physical.value == 0x61'0000);
    // Clearing the PDPTE in memory changes nothing until the registers are reloaded.
    bus.write(Hpa(pt.root + 8 * 2), 8, 0);
    CHECK(do_walk(bus, s, 0x8000'0123, Access::Read, Requester::Supervisor).ok());
    std::array<uint64_t, 4> regs{};
    REQUIRE(mmu::load_pae_pdptes(bus, s.cr3, regs));
    s.pdpte = regs;
    CHECK(do_walk(bus, s, 0x8000'0123, Access::Read, Requester::Supervisor).stop ==
          mmu::WalkStop::NotPresent);
    // A present PDPTE with a reserved bit (bit 1) cannot be loaded.
    bus.write(Hpa(pt.root + 8 * 2), 8, 0x9000 | P | RW);
    CHECK_FALSE(mmu::load_pae_pdptes(bus, s.cr3, regs));
}
