// MOV to CR0/CR3/CR4/CR8, XSETBV and EFER: every #GP rule and the TLB effects
// (SDM Vol. 2B, MOV—Move to/from Control Registers).
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

namespace {
bool is_gp0(Fault f) { return f.vector == GP && f.has_error_code && f.error_code == 0; }
} // namespace

TEST_CASE("CR0: PG without PE, NW without CD and bits 63:32 are #GP(0)", "[cr]") {
    SystemFixture f;
    const uint64_t before = f.s.cr0;
    CHECK(is_gp0(write_cr0(f.c, cr0::PG)));
    CHECK(is_gp0(write_cr0(f.c, (before | cr0::NW) & ~cr0::CD)));
    CHECK(is_gp0(write_cr0(f.c, before | (uint64_t{1} << 32))));
    CHECK(f.s.cr0 == before);
}

TEST_CASE("CR0: reserved bits 31:0 are ignored and ET reads 1", "[cr]") {
    SystemFixture f;
    REQUIRE_FALSE(write_cr0(f.c, (f.s.cr0 & ~cr0::ET) | (1u << 7) | cr0::TS));
    CHECK((f.s.cr0 & (1u << 7)) == 0);
    CHECK((f.s.cr0 & cr0::ET) != 0);
    CHECK((f.s.cr0 & cr0::TS) != 0);
}

TEST_CASE("CR0: clearing PG in 64-bit mode or with CR4.PCIDE is #GP(0)", "[cr]") {
    SystemFixture f;
    CHECK(is_gp0(write_cr0(f.c, f.s.cr0 & ~cr0::PG)));
    // From compatibility mode it is allowed, and LMA drops.
    f.s.seg[CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
    f.s.cr4 |= cr4::PCIDE;
    CHECK(is_gp0(write_cr0(f.c, f.s.cr0 & ~cr0::PG)));
    f.s.cr4 &= ~cr4::PCIDE;
    REQUIRE_FALSE(write_cr0(f.c, f.s.cr0 & ~cr0::PG));
    CHECK((f.s.efer & efer::LMA) == 0);
    CHECK((f.s.efer & efer::LME) != 0);
}

TEST_CASE("CR0: IA-32e activation sets LMA, needs PAE and a CS with L = 0", "[cr]") {
    SystemFixture f;
    f.s.seg[CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
    f.s.cr0 &= ~cr0::PG;
    f.s.efer = efer::LME;
    f.s.cr4 = 0;
    CHECK(is_gp0(write_cr0(f.c, f.s.cr0 | cr0::PG)));
    f.s.cr4 = cr4::PAE;
    REQUIRE_FALSE(write_cr0(f.c, f.s.cr0 | cr0::PG));
    CHECK((f.s.efer & efer::LMA) != 0);
    CHECK(f.s.mode() == CpuMode::Compat32);
}

TEST_CASE("CR0: toggling WP flushes the TLB (rights are cached per entry)", "[cr]") {
    SystemFixture f;
    uint32_t v = 0;
    REQUIRE_FALSE(f.mem.read(f.s, Gva(0x1000), &v, 4));
    CHECK(f.mem.tlb().count_valid() > 0);
    REQUIRE_FALSE(write_cr0(f.c, f.s.cr0 & ~cr0::WP));
    CHECK(f.mem.tlb().count_valid() == 0);
}

TEST_CASE("CR4: unsupported bits, PAE off in IA-32e mode, PCIDE rules", "[cr]") {
    SystemFixture f;
    const uint64_t before = f.s.cr4;
    CHECK(is_gp0(write_cr4(f.c, before | cr4::SMXE)));   // no SMX
    CHECK(is_gp0(write_cr4(f.c, before | cr4::LA57)));
    CHECK(is_gp0(write_cr4(f.c, before | cr4::OSXSAVE))); // no XSAVE
    CHECK(is_gp0(write_cr4(f.c, before & ~cr4::PAE)));
    f.s.cr3 |= 5;
    CHECK(is_gp0(write_cr4(f.c, before | cr4::PCIDE)));
    f.s.cr3 &= ~0xFFFull;
    REQUIRE_FALSE(write_cr4(f.c, before | cr4::PCIDE | cr4::SMEP | cr4::SMAP | cr4::FSGSBASE));
    CHECK(f.s.cr4 == (before | cr4::PCIDE | cr4::SMEP | cr4::SMAP | cr4::FSGSBASE));
}

TEST_CASE("CR4: PCIDE cannot be set outside IA-32e mode", "[cr]") {
    SystemFixture f;
    PageTables pae(f.bus, PageTables::Pae);
    pae.next = 0x40'0000;
    f.s = pae.state(0);
    CHECK(is_gp0(write_cr4(f.c, f.s.cr4 | cr4::PCIDE)));
}

TEST_CASE("CR4: PGE change flushes global entries, PCIDE 0->1 keeps the TLB", "[cr]") {
    SystemFixture f;
    uint32_t v = 0;
    REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 | cr4::PGE));
    REQUIRE_FALSE(f.mem.read(f.s, Gva(0x1000), &v, 4));
    REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 | cr4::PCIDE));
    CHECK(f.mem.tlb().count_valid() == 1);
    REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 & ~cr4::PGE));
    CHECK(f.mem.tlb().count_valid() == 0);
}

TEST_CASE("CR3: bits above MAXPHYADDR are #GP(0), bit 63 with PCIDE is the no-flush hint",
          "[cr]") {
    SystemFixture f;
    const uint64_t cr3 = f.s.cr3;
    CHECK(is_gp0(write_cr3(f.c, cr3 | (uint64_t{1} << 39))));
    CHECK(is_gp0(write_cr3(f.c, cr3 | (uint64_t{1} << 63)))); // PCIDE = 0: reserved
    REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 | cr4::PCIDE));
    uint32_t v = 0;
    REQUIRE_FALSE(f.mem.read(f.s, Gva(0x1000), &v, 4));
    REQUIRE_FALSE(write_cr3(f.c, cr3 | (uint64_t{1} << 63)));
    CHECK(f.s.cr3 == cr3);
    CHECK(f.mem.tlb().count_valid() == 1);
    REQUIRE_FALSE(write_cr3(f.c, cr3));
    CHECK(f.mem.tlb().count_valid() == 0);
}

TEST_CASE("CR3 in PAE paging loads the PDPTE registers, a reserved bit is #GP(0)", "[cr]") {
    SystemFixture f;
    PageTables pae(f.bus, PageTables::Pae);
    pae.next = 0x40'0000;
    pae.root = pae.alloc();
    pae.map(0x1000, 0x5000, P | RW);
    f.s = pae.state(0);
    f.s.seg[CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
    const uint64_t good = pae.root;
    f.bus.write(Hpa(0x7000), 8, 0x9000 | P | (1u << 5)); // bit 5 reserved in a PDPTE
    CHECK(is_gp0(write_cr3(f.c, 0x7000)));
    CHECK(f.s.cr3 == good);
    REQUIRE_FALSE(write_cr3(f.c, good));
    CHECK(f.s.pdpte[0] == f.bus.read(Hpa(good), 8));
    CHECK((f.s.pdpte[0] & P) != 0);
}

TEST_CASE("CR8: bits 63:4 are reserved, a valid write reaches the APIC", "[cr]") {
    SystemFixture f;
    CHECK(is_gp0(write_cr8(f.c, 0x10)));
    CHECK(f.env.cr8_seen == ~uint64_t{0}); // a faulting write does not reach the APIC
    REQUIRE_FALSE(write_cr8(f.c, 0xF));
    CHECK(f.s.cr8 == 0xF);
    CHECK(f.env.cr8_seen == 0xF);
}

TEST_CASE("XSETBV is #UD: the model has no XSAVE, so CR4.OSXSAVE is clear", "[cr]") {
    SystemFixture f;
    CHECK(write_xcr0(f.c, 0, 3).vector == UD);
}

TEST_CASE("EFER: reserved bits, LME while paging, LMA is read-only", "[cr]") {
    SystemFixture f;
    const uint64_t before = f.s.efer;
    CHECK(is_gp0(write_efer(f.c, before | (1u << 1))));
    CHECK(is_gp0(write_efer(f.c, before & ~efer::LME)));
    REQUIRE_FALSE(write_efer(f.c, before & ~efer::LMA));
    CHECK((f.s.efer & efer::LMA) != 0);
    REQUIRE_FALSE(write_efer(f.c, before & ~efer::NXE));
    CHECK((f.s.efer & efer::NXE) == 0);
}

TEST_CASE("INVPCID operand checks", "[cr]") {
    SystemFixture f;
    CHECK(is_gp0(invpcid(f.c, 4, 0, 0)));
    CHECK(is_gp0(invpcid(f.c, 2, 0x1000, 0)));                   // bits 63:12 of the descriptor
    CHECK(is_gp0(invpcid(f.c, 0, 0, 0x0000'8000'0000'0000)));    // non-canonical
    CHECK(is_gp0(invpcid(f.c, 1, 5, 0)));                        // PCID with PCIDE = 0
    CHECK_FALSE(invpcid(f.c, 2, 5, 0));                          // types 2/3 ignore the PCID
    uint32_t v = 0;
    REQUIRE_FALSE(f.mem.read(f.s, Gva(0x1000), &v, 4));
    CHECK(f.mem.tlb().count_valid() == 1);
    REQUIRE_FALSE(invpcid(f.c, 0, 0, 0x1000));
    CHECK(f.mem.tlb().count_valid() == 0);
    f.to_ring3();
    CHECK(is_gp0(invpcid(f.c, 2, 0, 0)));
}
