// TLB behaviour seen through LinearMemory: stale translations stay in use until the
// architected invalidation (SDM Vol. 3A, Invalidation of TLBs and Paging-Structure Caches).
#include "cpu/linear_memory.hpp"
#include "tests/mmu/page_tables.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using cpu::AccessKind;

namespace {

uint32_t read32(cpu::LinearMemory& m, const cpu::CpuState& s, uint64_t la) {
    uint32_t v = 0;
    REQUIRE_FALSE(m.read(s, Gva(la), &v, 4));
    return v;
}

struct Fixture {
    mmu::PhysBus bus{16 << 20};
    PageTables pt{bus, PageTables::Level4};
    cpu::LinearMemory mem{bus};
    Fixture() {
        bus.write(Hpa(0x50'0000), 4, 0xAAAA'AAAA);
        bus.write(Hpa(0x60'0000), 4, 0xBBBB'BBBB);
    }
};

} // namespace

TEST_CASE("a changed PTE is not seen until INVLPG", "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    f.pt.map(0x1000, 0x60'0000, P | RW);
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA); // stale
    f.mem.invlpg(s, Gva(0x1FFF));
    CHECK(read32(f.mem, s, 0x1000) == 0xBBBB'BBBB);
}

TEST_CASE("a PTE made not-present still translates until INVLPG, then faults", "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    f.pt.set_entry(0x1000, 1, 0);
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    f.mem.invlpg(s, Gva(0x1000));
    uint32_t v = 0;
    auto fault = f.mem.read(s, Gva(0x1004), &v, 4);
    REQUIRE(fault.vector == cpu::PF);
    CHECK(fault.cr2 == 0x1004);
    CHECK(fault.error_code == 0);
}

TEST_CASE("a rights-reducing change without INVLPG: allowed accesses hit the stale entry, a "
          "denied one re-walks and faults",
          "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    uint32_t v = 0x1234;
    REQUIRE_FALSE(f.mem.write(s, Gva(0x1000), &v, 4)); // fills with D=1
    f.pt.map(0x1000, 0x50'0000, P | A | D);             // now read-only
    CHECK_FALSE(f.mem.write(s, Gva(0x1000), &v, 4));    // stale writable entry is used
    // A clean (D=0) entry cannot satisfy a write: the walk sees the new PTE.
    f.pt.map(0x2000, 0x60'0000, P | RW);
    CHECK(read32(f.mem, s, 0x2000) == 0xBBBB'BBBB);
    f.pt.map(0x2000, 0x60'0000, P | A);
    auto fault = f.mem.write(s, Gva(0x2000), &v, 4);
    CHECK(fault.vector == cpu::PF);
    CHECK(fault.error_code == 0x3);
}

TEST_CASE("a write through a clean TLB entry walks again and sets D", "[tlb]") {
    Fixture f;
    f.pt.map(0x3000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    read32(f.mem, s, 0x3000);
    CHECK((f.pt.entry(0x3000, 1) & D) == 0);
    uint32_t v = 7;
    REQUIRE_FALSE(f.mem.write(s, Gva(0x3000), &v, 4));
    CHECK((f.pt.entry(0x3000, 1) & D) != 0);
    CHECK(f.bus.read(Hpa(0x50'0000), 4) == 7);
}

TEST_CASE("MOV CR3 flushes non-global entries, global ones survive until CR4.PGE changes",
          "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW);
    f.pt.map(0x2000, 0x50'0000, P | RW | G);
    auto s = f.pt.state();
    s.cr4 |= cpu::cr4::PGE;
    read32(f.mem, s, 0x1000);
    read32(f.mem, s, 0x2000);
    f.pt.map(0x1000, 0x60'0000, P | RW);
    f.pt.map(0x2000, 0x60'0000, P | RW | G);
    f.mem.cr3_written(s, false);
    CHECK(read32(f.mem, s, 0x1000) == 0xBBBB'BBBB);
    CHECK(read32(f.mem, s, 0x2000) == 0xAAAA'AAAA); // global: stale
    f.mem.paging_mode_changed();                      // CR4.PGE toggled
    CHECK(read32(f.mem, s, 0x2000) == 0xBBBB'BBBB);
}

TEST_CASE("G is ignored when CR4.PGE = 0", "[tlb]") {
    Fixture f;
    f.pt.map(0x2000, 0x50'0000, P | RW | G);
    auto s = f.pt.state();
    read32(f.mem, s, 0x2000);
    f.pt.map(0x2000, 0x60'0000, P | RW | G);
    f.mem.cr3_written(s, false);
    CHECK(read32(f.mem, s, 0x2000) == 0xBBBB'BBBB);
}

TEST_CASE("PCIDs: MOV CR3 with bit 63 keeps the old context's entries", "[tlb]") {
    Fixture f;
    PageTables other(f.bus, PageTables::Level4);
    other.next = 0x20'0000;
    other.root = other.alloc();
    f.pt.map(0x1000, 0x50'0000, P | RW);
    other.map(0x1000, 0x60'0000, P | RW);
    auto s = f.pt.state();
    s.cr4 |= cpu::cr4::PCIDE;
    s.cr3 = f.pt.root | 1;
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    // Switch to PCID 2 (a different address space), then back to PCID 1 without a flush.
    s.cr3 = other.root | 2;
    f.mem.cr3_written(s, false);
    CHECK(read32(f.mem, s, 0x1000) == 0xBBBB'BBBB);
    f.pt.map(0x1000, 0x70'0000, P | RW); // change PCID 1's tables behind its back
    s.cr3 = f.pt.root | 1;
    f.mem.cr3_written(s, true);
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA); // PCID 1's stale entry
    SECTION("without the no-flush bit the context is flushed") {
        f.mem.cr3_written(s, false);
        CHECK(read32(f.mem, s, 0x1000) == 0); // 0x70'0000 is zeroed RAM
    }
    SECTION("INVPCID single-context flushes only that PCID") {
        s.cr3 = other.root | 2;
        f.mem.cr3_written(s, true);
        other.map(0x1000, 0x70'0000, P | RW);
        f.mem.invpcid(s, 1, 1, Gva(0));
        CHECK(read32(f.mem, s, 0x1000) == 0xBBBB'BBBB); // PCID 2 untouched
        s.cr3 = f.pt.root | 1;
        f.mem.cr3_written(s, true);
        CHECK(read32(f.mem, s, 0x1000) == 0);
    }
    SECTION("INVPCID individual address") {
        f.mem.invpcid(s, 0, 1, Gva(0x1000));
        CHECK(read32(f.mem, s, 0x1000) == 0);
    }
    SECTION("INVLPG does not touch other PCIDs' non-global entries") {
        s.cr3 = other.root | 2;
        f.mem.cr3_written(s, true);
        f.mem.invlpg(s, Gva(0x1000));
        s.cr3 = f.pt.root | 1;
        f.mem.cr3_written(s, true);
        CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    }
}

TEST_CASE("INVPCID all-contexts types: 2 drops globals, 3 keeps them", "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW | G);
    f.pt.map(0x2000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    s.cr4 |= cpu::cr4::PGE | cpu::cr4::PCIDE;
    read32(f.mem, s, 0x1000);
    read32(f.mem, s, 0x2000);
    f.pt.map(0x1000, 0x60'0000, P | RW | G);
    f.pt.map(0x2000, 0x60'0000, P | RW);
    f.mem.invpcid(s, 3, 0, Gva(0));
    CHECK(read32(f.mem, s, 0x1000) == 0xAAAA'AAAA);
    CHECK(read32(f.mem, s, 0x2000) == 0xBBBB'BBBB);
    f.mem.invpcid(s, 2, 0, Gva(0));
    CHECK(read32(f.mem, s, 0x1000) == 0xBBBB'BBBB);
}

TEST_CASE("INVLPG of any address in a 2 MiB page drops the whole page", "[tlb]") {
    Fixture f;
    f.pt.map(0x20'0000, 0x40'0000, P | RW | PS, 2);
    auto s = f.pt.state();
    f.bus.write(Hpa(0x41'0000), 4, 0x1111'1111);
    CHECK(read32(f.mem, s, 0x21'0000) == 0x1111'1111);
    f.pt.map(0x20'0000, 0x60'0000, P | RW | PS, 2);
    CHECK(read32(f.mem, s, 0x21'0000) == 0x1111'1111);
    f.mem.invlpg(s, Gva(0x3F'F000));
    CHECK(read32(f.mem, s, 0x21'0000) == 0);
}

TEST_CASE("a page-crossing write that faults on the second page writes nothing", "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P | RW);
    f.pt.map(0x2000, 0x60'0000, P); // read-only
    auto s = f.pt.state();
    const uint64_t v = 0x0102'0304'0506'0708;
    auto fault = f.mem.write(s, Gva(0x1FFC), &v, 8);
    REQUIRE(fault.vector == cpu::PF);
    CHECK(fault.cr2 == 0x2000);
    CHECK(fault.error_code == 0x3);
    CHECK(f.bus.read(Hpa(0x50'0FFC), 4) == 0);
    f.pt.map(0x2000, 0x60'0000, P | RW);
    f.mem.invlpg(s, Gva(0x2000));
    REQUIRE_FALSE(f.mem.write(s, Gva(0x1FFC), &v, 8));
    CHECK(f.bus.read(Hpa(0x50'0FFC), 4) == 0x0506'0708);
    CHECK(f.bus.read(Hpa(0x60'0000), 4) == 0x0102'0304);
    uint64_t back = 0;
    REQUIRE_FALSE(f.mem.read(s, Gva(0x1FFC), &back, 8));
    CHECK(back == v);
}

TEST_CASE("writes to a decoded-code page are reported, and no writable host pointer leaks",
          "[tlb]") {
    struct Obs : mmu::BusObserver {
        int written = 0;
        void code_page_written(uint64_t) override { ++written; }
        void unassigned_access(Hpa, unsigned, bool, uint64_t) override {}
    } obs;
    Fixture f;
    f.bus.set_observer(&obs);
    f.pt.map(0x1000, 0x50'0000, P | RW);
    auto s = f.pt.state();
    auto t = f.mem.translate(s, Gva(0x1000), AccessKind::Write);
    CHECK(t.host != nullptr);
    f.bus.mark_code_page(0x500);
    t = f.mem.translate(s, Gva(0x1000), AccessKind::Write);
    CHECK(t.host == nullptr);
    CHECK(f.mem.translate(s, Gva(0x1000), AccessKind::Read).host != nullptr);
    uint8_t b = 0x90;
    REQUIRE_FALSE(f.mem.write(s, Gva(0x1010), &b, 1));
    CHECK(obs.written == 1);
    CHECK(f.bus.read(Hpa(0x50'0010), 1) == 0x90);
}

TEST_CASE("peek reads without A/D updates, TLB fills or permission checks", "[tlb]") {
    Fixture f;
    f.pt.map(0x1000, 0x50'0000, P); // supervisor only
    auto s = f.pt.state(3);
    uint32_t v = 0;
    REQUIRE(f.mem.peek(s, Gva(0x1000), &v, 4));
    CHECK(v == 0xAAAA'AAAA);
    CHECK((f.pt.entry(0x1000, 1) & A) == 0);
    CHECK(f.mem.tlb().count_valid() == 0);
    CHECK_FALSE(f.mem.peek(s, Gva(0x9000), &v, 4));
}

TEST_CASE("paging off: linear is physical", "[tlb]") {
    Fixture f;
    cpu::CpuState s;
    s.cr0 = cpu::cr0::PE;
    CHECK(read32(f.mem, s, 0x50'0000) == 0xAAAA'AAAA);
}
