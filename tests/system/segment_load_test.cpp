// MOV Sreg, LLDT and LTR descriptor checks with their error codes (SDM Vol. 2B, MOV; LLDT;
// LTR). Selector error codes are the selector with RPL cleared.
#include "common/bits.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

namespace {
void check_fault(Fault f, uint8_t vector, uint32_t ec) {
    CHECK(f.vector == vector);
    CHECK(f.has_error_code);
    CHECK(f.error_code == ec);
}
} // namespace

TEST_CASE("a null selector in DS/ES/FS/GS makes the register unusable without a fault",
          "[seg]") {
    SystemFixture f;
    f.s.seg[FS].base = 0x1234;
    REQUIRE_FALSE(load_segment(f.c, FS, 3));
    CHECK(f.s.seg[FS].unusable());
    CHECK(f.s.seg[FS].selector == 3);
    CHECK(f.s.seg[FS].base == 0); // Intel clears the base
    REQUIRE_FALSE(load_segment(f.c, DS, 0));
    CHECK(f.s.seg[DS].unusable());
}

TEST_CASE("null SS: allowed in 64-bit mode at CPL < 3 with RPL = CPL only", "[seg]") {
    SystemFixture f;
    REQUIRE_FALSE(load_segment(f.c, SS, 0));
    CHECK(f.s.seg[SS].unusable());
    check_fault(load_segment(f.c, SS, 1), GP, 0);
    f.to_ring3();
    check_fault(load_segment(f.c, SS, 3), GP, 0);
    SystemFixture g;
    g.s.seg[CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B}; // compatibility mode
    check_fault(load_segment(g.c, SS, 0), GP, 0);
}

TEST_CASE("selectors beyond the GDT limit or in an unusable LDT are #GP(selector)", "[seg]") {
    SystemFixture f;
    check_fault(load_segment(f.c, DS, 0x98), GP, 0x98);
    check_fault(load_segment(f.c, DS, 0x9B), GP, 0x98);
    f.s.ldtr = {0, 0, 0, kSegUnusable};
    check_fault(load_segment(f.c, ES, 0x0C), GP, 0x0C);
}

TEST_CASE("DS checks: type, privilege, presence", "[seg]") {
    SystemFixture f;
    check_fault(load_segment(f.c, DS, sel::kExecOnly0), GP, sel::kExecOnly0);
    check_fault(load_segment(f.c, DS, sel::kTss), GP, sel::kTss);
    check_fault(load_segment(f.c, DS, sel::kNotPresent), NP, sel::kNotPresent);
    REQUIRE_FALSE(load_segment(f.c, DS, sel::kCode64)); // readable code is fine
    // RPL > DPL
    check_fault(load_segment(f.c, DS, sel::kData0 | 1), GP, sel::kData0);
    f.to_ring3();
    check_fault(load_segment(f.c, DS, sel::kData0 | 3), GP, sel::kData0);
    REQUIRE_FALSE(load_segment(f.c, DS, sel::kUserData | 3));
    // Conforming readable code is loadable at any CPL.
    REQUIRE_FALSE(load_segment(f.c, ES, sel::kConforming | 3));
}

TEST_CASE("SS checks: RPL = CPL, writable data, DPL = CPL, present (#SS)", "[seg]") {
    SystemFixture f;
    check_fault(load_segment(f.c, SS, sel::kData0 | 1), GP, sel::kData0);
    check_fault(load_segment(f.c, SS, sel::kReadOnlyData0), GP, sel::kReadOnlyData0);
    check_fault(load_segment(f.c, SS, sel::kCode64), GP, sel::kCode64);
    check_fault(load_segment(f.c, SS, sel::kUserData), GP, sel::kUserData);
    f.gdt(sel::kNotPresent, seg_desc(0, 0xFFFFF, 0x12, 0xC)); // writable, not present
    check_fault(load_segment(f.c, SS, sel::kNotPresent), SS_, sel::kNotPresent);
    REQUIRE_FALSE(load_segment(f.c, SS, sel::kData0));
}

TEST_CASE("a successful load sets the descriptor's accessed bit and fills the cache", "[seg]") {
    SystemFixture f;
    CHECK((f.gdt_entry(sel::kUserData) & bit(40)) == 0);
    REQUIRE_FALSE(load_segment(f.c, ES, sel::kUserData | 3));
    CHECK((f.gdt_entry(sel::kUserData) & bit(40)) != 0);
    CHECK(f.s.seg[ES].selector == (sel::kUserData | 3));
    CHECK(f.s.seg[ES].limit == 0xFFFF'FFFF);
    CHECK(f.s.seg[ES].attr == 0xC0F3);
}

TEST_CASE("a fault leaves the segment register unchanged", "[seg]") {
    SystemFixture f;
    const Segment before = f.s.seg[DS];
    REQUIRE(load_segment(f.c, DS, sel::kNotPresent));
    CHECK(f.s.seg[DS].selector == before.selector);
    CHECK(f.s.seg[DS].attr == before.attr);
}

TEST_CASE("LLDT and an LDT selector", "[seg]") {
    SystemFixture f;
    check_fault(load_ldtr(f.c, sel::kData0), GP, sel::kData0);
    check_fault(load_ldtr(f.c, sel::kLdt | 4), GP, sel::kLdt | 4);
    REQUIRE_FALSE(load_ldtr(f.c, sel::kLdt));
    CHECK(f.s.ldtr.base == kLdtBase);
    REQUIRE_FALSE(load_segment(f.c, DS, 0x0C | 3));
    CHECK(f.s.seg[DS].base == 0x1234);
    check_fault(load_segment(f.c, DS, 0x14), GP, 0x14); // beyond the LDT limit
    REQUIRE_FALSE(load_ldtr(f.c, 0));
    CHECK(f.s.ldtr.unusable());
    f.to_ring3();
    check_fault(load_ldtr(f.c, sel::kLdt), GP, 0);
}

TEST_CASE("LTR marks the TSS busy, a busy TSS cannot be loaded again", "[seg]") {
    SystemFixture f;
    check_fault(load_tr(f.c, 0), GP, 0);
    check_fault(load_tr(f.c, sel::kLdt), GP, sel::kLdt);
    REQUIRE_FALSE(load_tr(f.c, sel::kTss));
    CHECK(((f.gdt_entry(sel::kTss) >> 40) & 0xF) == 0xB);
    CHECK(f.s.tr.type() == 0xB);
    CHECK(f.s.tr.base == kTssBase);
    check_fault(load_tr(f.c, sel::kTss), GP, sel::kTss);
    // A non-canonical upper base in the 16-byte descriptor is #GP(selector).
    f.gdt16(sel::kTss, seg_desc(kTssBase, 0x67, 0x89, 0), 0x8000);
    check_fault(load_tr(f.c, sel::kTss), GP, sel::kTss);
}

TEST_CASE("LAR, LSL, VERR, VERW", "[seg]") {
    SystemFixture f;
    uint32_t v = 0;
    REQUIRE(lar(f.c, sel::kUserData, v));
    CHECK(v == 0x00C0'F200);
    REQUIRE(lsl(f.c, sel::kUserData, v));
    CHECK(v == 0xFFFF'FFFF);
    REQUIRE(lsl(f.c, sel::kTss, v));
    CHECK(v == 0x67 + 0x2000 / 8 + 1);
    CHECK_FALSE(lar(f.c, 0, v));
    CHECK_FALSE(lar(f.c, 0x98, v));
    CHECK_FALSE(lsl(f.c, sel::kCallGate, v)); // gates have no limit
    CHECK(lar(f.c, sel::kCallGate, v));
    CHECK(verr(f.c, sel::kCode64));
    CHECK_FALSE(verr(f.c, sel::kExecOnly0));
    CHECK_FALSE(verw(f.c, sel::kReadOnlyData0));
    CHECK(verw(f.c, sel::kData0));
    f.to_ring3();
    CHECK_FALSE(verw(f.c, sel::kData0 | 3));
    CHECK_FALSE(lar(f.c, sel::kData0 | 3, v));
    CHECK(verr(f.c, sel::kConforming | 3));
}
