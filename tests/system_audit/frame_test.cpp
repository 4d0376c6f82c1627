// System-layer audit against the Intel SDM (Dec 2023, Order 325462-081): event delivery checks
// the room for its whole stack frame before it pushes anything. One TEST_CASE per SDM rule;
// each cites the rule and says what hvlab did before the fix.
//
// Before the fix hvlab pushed the frame item by item, so a delivery that faulted partway (a
// stack-limit #SS or a #PF on the new stack) left the items above the faulting one in memory.
#include "tests/mmu/page_tables.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hvlab::cpu;
using hvlab::Hpa;
using hvlab::test::SystemFixture;
namespace sel = hvlab::test::sel;
namespace st = hvlab::test;

namespace {

constexpr uint64_t kMark = 0xCCCC'CCCC'CCCC'CCCCull;

// Fills [lo, hi) of physical memory with kMark.
void mark(SystemFixture& f, uint64_t lo, uint64_t hi) {
    for (uint64_t a = lo; a < hi; a += 8)
        f.write64(a, kMark);
}

bool marked(SystemFixture& f, uint64_t lo, uint64_t hi) {
    for (uint64_t a = lo; a < hi; a += 8)
        if (f.read64(a) != kMark) return false;
    return true;
}

// IA-32e mode: a 2 MiB page at linear 1 GiB (physical 12 MiB) with the 4 KiB below it not
// mapped, and IST 2 = 1 GiB + 16, so a 48-byte frame on IST 2 has its SS and RSP slots on the
// mapped page and the rest below it.
constexpr uint64_t kStackPage = 0x4000'0000, kStackPhys = 0xC0'0000;

void ist_stack_across_hole(SystemFixture& f, uint8_t vector) {
    f.pt.map(kStackPage, kStackPhys, st::P | st::RW | st::PS, 2);
    f.mem.flush_all();
    f.write64(st::kTssBase + 44, kStackPage + 16); // IST 2
    f.idt_gate(vector, 0x60'0000, sel::kCode64, 0, 0xE, 2);
    mark(f, kStackPhys, kStackPhys + 16);
}

// Legacy protected mode at CPL 3 with a 32-bit interrupt gate (DPL 3) for `vector` naming
// `target`, and #TS/#NP/#SS/#GP/#DF gates naming `fault_target`. Two spare GDT slots are
// added: 0x98 for the stack segments of the tests, 0xA0 for a code segment with a small limit.
constexpr uint16_t kSpare = 0x98, kSmallCode = 0xA0;
constexpr uint32_t kUserEsp = 0x7000;

void legacy_ring3(SystemFixture& f, uint8_t vector, uint16_t target, uint16_t fault_target) {
    f.to_protected32();
    f.s.gdtr.limit = kSmallCode + 7;
    f.gdt(sel::kConforming, st::seg_desc(0, 0xFFFFF, 0x9E, 0xC)); // 32-bit conforming, DPL 0
    auto gate32 = [&](uint8_t v, uint16_t cs, unsigned dpl) {
        const uint64_t gate =
            (0x1000u + v) | (uint64_t{cs} << 16) | (uint64_t{0x8Eu | (dpl << 5)} << 40);
        f.bus.write(Hpa(st::kIdt + 8 * v), 8, gate);
    };
    gate32(vector, target, 3);
    for (uint8_t v : {uint8_t{TS}, uint8_t{NP}, uint8_t{SS_}, uint8_t{GP}, uint8_t{DF}})
        gate32(v, fault_target, 0);
    f.s.seg[CS] = {sel::kUserCode32 | 3, 0, 0xFFFF'FFFF, 0xC0FB};
    f.s.seg[SS] = {sel::kUserData | 3, 0, 0xFFFF'FFFF, 0xC0F3};
    f.s.gpr[RSP] = kUserEsp;
    f.s.rip = 0x3FFE; // the INT n instruction; the pushed return address is 0x4000
}

// 32-bit paging: the first 4 MiB identity-mapped in 4 KiB user pages, but for the page at
// hole. The tables are built over the fixture's (unused from here on) 4-level ones.
void paging32_with_hole(SystemFixture& f, uint64_t hole) {
    st::PageTables pt{f.bus, st::PageTables::Bits32};
    for (uint64_t a = 0; a < 0x40'0000; a += 0x1000)
        if (a != hole) pt.map(a, a, st::P | st::RW | st::US);
    f.s.cr0 |= cr0::PG;
    f.s.cr3 = pt.root;
    f.mem.paging_mode_changed();
    f.mem.flush_all();
}

DeliveryOutcome deliver(SystemFixture& f, bool external, uint8_t vector) {
    return deliver_event(f.c,
                         external ? EventKind::ExternalInterrupt : EventKind::SoftwareInterrupt,
                         vector, false, 0, 0x4000);
}

} // namespace

// SDM Vol. 3A, Exception- or Interrupt-Handler Procedures and 64-Bit Mode Stack Frame; Vol. 2A,
// INT n/INTO/INT3/INT1, Operation (IA-32e mode: the 40/48-byte frame on IST n): a page fault
// on the new stack is a #PF delivered with the state from before the interrupt, and no part of
// the frame is written. hvlab stored SS and RSP on the mapped page above the hole first.
TEST_CASE("SDM Exception- or Interrupt-Handler Procedures: a #PF on the IST frame writes nothing",
          "[sysaudit][event][frame]") {
    SECTION("an external interrupt: the #PF is delivered on the interrupted stack") {
        SystemFixture f;
        ist_stack_across_hole(f, 0x40);
        f.idt_gate(PF, 0x61'0000);
        const uint64_t rsp = f.s.gpr[RSP];
        REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x40, false, 0, 0x40'0002) ==
                DeliveryOutcome::Delivered);
        CHECK(f.env.interrupts.empty());
        CHECK(f.env.exceptions == std::vector<uint8_t>{PF});
        CHECK(f.s.cr2 == kStackPage - 8); // the RFLAGS slot, the first item below the page
        CHECK(f.s.rip == 0x61'0000);
        CHECK(f.s.gpr[RSP] == rsp - 48);
        CHECK(f.read64(rsp - 48) == 2);         // a supervisor write to a not-present page
        CHECK(f.read64(rsp - 40) == 0x40'0002); // the interrupted RIP
        CHECK(f.read64(rsp - 16) == rsp);       // the interrupted RSP
        CHECK(marked(f, kStackPhys, kStackPhys + 16));
    }
    SECTION("a #GP (contributory) then #PF is handled serially") {
        SystemFixture f;
        ist_stack_across_hole(f, GP);
        f.idt_gate(PF, 0x61'0000);
        REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0x10, 0x40'0002) ==
                DeliveryOutcome::Delivered);
        CHECK(f.env.exceptions == std::vector<uint8_t>{PF});
        CHECK(f.s.cr2 == kStackPage - 8);
        CHECK(marked(f, kStackPhys, kStackPhys + 16));
    }
    SECTION("a #PF then #PF is #DF (delivered on IST 1)") {
        SystemFixture f;
        ist_stack_across_hole(f, PF);
        f.idt_gate(DF, 0x62'0000, sel::kCode64, 0, 0xE, 1);
        f.s.cr2 = 0x1234;
        REQUIRE(deliver_event(f.c, EventKind::Exception, PF, true, 0, 0x40'0002) ==
                DeliveryOutcome::Delivered);
        CHECK(f.env.exceptions == std::vector<uint8_t>{DF});
        CHECK(f.s.cr2 == kStackPage - 8); // the #PF that became #DF still loads CR2
        CHECK(f.s.rip == 0x62'0000);
        CHECK(f.s.gpr[RSP] == (st::kIst1 & ~uint64_t{0xF}) - 48);
        CHECK(f.read64(f.s.gpr[RSP]) == 0);
        CHECK(marked(f, kStackPhys, kStackPhys + 16));
    }
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation, INTRA-PRIVILEGE-LEVEL-INTERRUPT: "IF 32-bit gate
// and current stack does not have room for 16 bytes (error code pushed) or 12 bytes (no error
// code pushed) THEN #SS(EXT)". hvlab pushed EFLAGS, CS and EIP inside the limit of the
// expand-down stack before the push that left it raised #SS.
TEST_CASE("SDM INT n: a same-privilege 32-bit frame without room is #SS(EXT) with nothing written",
          "[sysaudit][event][frame]") {
    for (const bool external : {true, false}) {
        INFO((external ? "external interrupt" : "INT n"));
        SystemFixture f;
        // Gate 0x40 names the DPL-0 conforming segment: the handler runs at CPL 3 on the user
        // stack. #SS goes to ring 0 and switches to SS0:ESP0 = 0x10:0x9000.
        legacy_ring3(f, 0x40, sel::kConforming, sel::kCode32);
        // A DPL-3 expand-down stack (B = 1): offsets above 0x7FF7 are valid.
        f.gdt(kSpare, st::seg_desc(0, 0x7FF7, 0xF6, 0x4));
        f.s.seg[SS] = {kSpare | 3, 0, 0x7FF7, 0x40F7};
        f.s.gpr[RSP] = 0x8000; // EFLAGS, CS, EIP fit; a 12-byte frame reaches 0x7FF4
        mark(f, 0x7FF0, 0x8008);
        REQUIRE(deliver(f, external, 0x40) == DeliveryOutcome::Delivered);
        CHECK(f.env.interrupts.empty());
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
        CHECK(f.s.cpl() == 0);
        CHECK(f.s.gpr[RSP] == 0x9000 - 24);
        CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == (external ? 1u : 0u)); // #SS(EXT)
        CHECK(f.bus.read(Hpa(0x9000 - 20), 4) == (external ? 0x4000u : 0x3FFEu));
        CHECK(f.bus.read(Hpa(0x9000 - 8), 4) == 0x8000); // the old ESP
        CHECK(marked(f, 0x7FF0, 0x8008));
    }
    SECTION("the error code counts: 12 bytes fit, 16 do not (#GP then #SS is #DF)") {
        SystemFixture f;
        legacy_ring3(f, 0x40, sel::kConforming, sel::kCode32);
        f.bus.write(Hpa(st::kIdt + 8 * GP), 8,
                    0x1000u | (uint64_t{sel::kConforming} << 16) | (uint64_t{0x8E} << 40));
        f.gdt(kSpare, st::seg_desc(0, 0x7FF7, 0xF6, 0x4));
        f.s.seg[SS] = {kSpare | 3, 0, 0x7FF7, 0x40F7};
        f.s.gpr[RSP] = 0x8004;
        mark(f, 0x7FF0, 0x8008);
        REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0x28, 0x4000) ==
                DeliveryOutcome::Delivered);
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{DF});
        CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 0);
        CHECK(marked(f, 0x7FF0, 0x8008));
    }
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation, INTER-PRIVILEGE-LEVEL-INTERRUPT: "IF 32-bit
// gate and new stack does not have room for 24 bytes (error code pushed) or 20 bytes (no
// error code pushed) THEN #SS(error_code(NewSS,0,EXT))". hvlab pushed the old SS, ESP and
// EFLAGS onto the new stack before the push that left its limit raised #SS.
TEST_CASE("SDM INT n: an inter-privilege 32-bit frame beyond the new SS limit writes nothing",
          "[sysaudit][event][frame]") {
    for (const bool external : {true, false}) {
        INFO((external ? "external interrupt" : "INT n"));
        SystemFixture f;
        // Gate 0x40 goes to ring 0; the fault handlers run at CPL 3 on the user stack.
        legacy_ring3(f, 0x40, sel::kCode32, sel::kConforming);
        // SS0 = a DPL-0 expand-down stack (B = 1) whose valid offsets are above 0x8FF0; with
        // ESP0 = 0x9000 the 20-byte frame's last slot is at 0x8FEC.
        f.gdt(kSpare, st::seg_desc(0, 0x8FF0, 0x96, 0x4));
        f.bus.write(Hpa(st::kTssBase + 8), 2, kSpare);
        mark(f, 0x8FE0, 0x9008);
        REQUIRE(deliver(f, external, 0x40) == DeliveryOutcome::Delivered);
        CHECK(f.env.interrupts.empty());
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
        CHECK(f.s.cpl() == 3);
        CHECK(f.s.gpr[RSP] == kUserEsp - 16);
        CHECK(f.bus.read(Hpa(kUserEsp - 16), 4) == (kSpare | (external ? 1u : 0u)));
        CHECK(f.bus.read(Hpa(kUserEsp - 12), 4) == (external ? 0x4000u : 0x3FFEu));
        CHECK(marked(f, 0x8FE0, 0x9008));
    }
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation (protected mode): the new (or current) stack's
// room check, "#SS(error_code(NewSS,0,EXT))" or "#SS(EXT)", comes before "IF instruction
// pointer not within code segment limit THEN #GP(EXT)". hvlab checked EIP against the CS
// limit first and raised #GP(EXT).
TEST_CASE("SDM INT n: the stack room check comes before the EIP limit check",
          "[sysaudit][event][frame]") {
    SECTION("same privilege: #SS(EXT)") {
        SystemFixture f;
        legacy_ring3(f, 0x40, kSmallCode, sel::kCode32);
        f.gdt(kSmallCode, st::seg_desc(0, 0xFFF, 0x9E, 0x4)); // conforming, EIP 0x1040 beyond
        f.gdt(kSpare, st::seg_desc(0, 0x7FF7, 0xF6, 0x4));
        f.s.seg[SS] = {kSpare | 3, 0, 0x7FF7, 0x40F7};
        f.s.gpr[RSP] = 0x8000;
        REQUIRE(deliver(f, true, 0x40) == DeliveryOutcome::Delivered);
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
        CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 1);
    }
    SECTION("privilege change: #SS(NewSS + EXT)") {
        SystemFixture f;
        legacy_ring3(f, 0x40, kSmallCode, sel::kConforming);
        f.gdt(kSmallCode, st::seg_desc(0, 0xFFF, 0x9A, 0x4)); // DPL 0, EIP 0x1040 beyond
        f.gdt(kSpare, st::seg_desc(0, 0x8FF0, 0x96, 0x4));
        f.bus.write(Hpa(st::kTssBase + 8), 2, kSpare);
        REQUIRE(deliver(f, true, 0x40) == DeliveryOutcome::Delivered);
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
        CHECK(f.bus.read(Hpa(kUserEsp - 16), 4) == (kSpare | 1u));
    }
    SECTION("with room, the EIP limit check still raises #GP(EXT)") {
        SystemFixture f;
        legacy_ring3(f, 0x40, kSmallCode, sel::kConforming);
        f.gdt(kSmallCode, st::seg_desc(0, 0xFFF, 0x9A, 0x4));
        REQUIRE(deliver(f, true, 0x40) == DeliveryOutcome::Delivered);
        REQUIRE(f.env.exceptions == std::vector<uint8_t>{GP});
        CHECK(f.bus.read(Hpa(kUserEsp - 16), 4) == 1);
        CHECK(f.bus.read(Hpa(0x9000 - 4), 4) == 0); // nothing pushed on the ring-0 stack
    }
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation: the room check of the whole frame ("IF current
// stack does not have room for 12 bytes ... THEN #SS(EXT)") precedes the pushes, whose page
// faults come only after it. A frame whose upper items lie on a not-present page and whose
// last item is beyond the SS limit is #SS(EXT), not #PF. hvlab raised #PF for the first push.
TEST_CASE("SDM INT n: the frame's segment-limit check comes before its page faults",
          "[sysaudit][event][frame]") {
    SystemFixture f;
    legacy_ring3(f, 0x40, sel::kConforming, sel::kCode32);
    constexpr uint64_t kHole = 0x5'0000;
    paging32_with_hole(f, kHole);
    // Expand-down user stack with offsets above 0x4FFFC valid: EFLAGS and CS would go on the
    // hole, EIP at 0x4FFFC is beyond the limit.
    f.gdt(kSpare, st::seg_desc(0, 0x4FFFC, 0xF6, 0x4));
    f.s.seg[SS] = {kSpare | 3, 0, 0x4FFFC, 0x40F7};
    f.s.gpr[RSP] = kHole + 8;
    f.s.cr2 = 0;
    REQUIRE(deliver(f, true, 0x40) == DeliveryOutcome::Delivered);
    REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
    CHECK(f.s.cr2 == 0);
    CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 1); // #SS(EXT)
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation (IA-32e mode: "IF stack address not canonical
// THEN #SS(EXT)"; the 40/48-byte frame is one unit): a frame on IST n that would run from the
// bottom of the upper canonical half into non-canonical space is #SS(EXT) before anything is
// pushed. hvlab stored SS, RSP, RFLAGS and CS above the boundary first.
TEST_CASE("SDM INT n: a 64-bit frame crossing out of canonical space is #SS(EXT), nothing written",
          "[sysaudit][event][frame]") {
    constexpr uint64_t kHigh = 0xFFFF'8000'0000'0000ull;
    SystemFixture f;
    f.pt.map(kHigh, kStackPhys, st::P | st::RW | st::PS, 2);
    f.mem.flush_all();
    f.write64(st::kTssBase + 44, kHigh + 0x20); // IST 2: RIP's slot is at kHigh - 8
    f.idt_gate(0x40, 0x60'0000, sel::kCode64, 0, 0xE, 2);
    f.idt_gate(SS_, 0x61'0000);
    mark(f, kStackPhys, kStackPhys + 0x20);
    const uint64_t rsp = f.s.gpr[RSP];
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x40, false, 0, 0x40'0002) ==
            DeliveryOutcome::Delivered);
    REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
    CHECK(f.s.gpr[RSP] == rsp - 48);
    CHECK(f.read64(rsp - 48) == 1); // #SS(EXT)
    CHECK(marked(f, kStackPhys, kStackPhys + 0x20));
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation, INTRA-PRIVILEGE-LEVEL-INTERRUPT: "IF 16-bit
// gate and current stack does not have room for 8 bytes (error code pushed) or 6 bytes (no
// error code pushed) THEN #SS(EXT)". Untested before; before the whole-frame fix hvlab also
// left FLAGS and CS on the stack.
TEST_CASE("SDM INT n: a 16-bit gate's 6-byte frame without room is #SS(EXT), nothing written",
          "[sysaudit][event][frame]") {
    for (const bool room : {false, true}) {
        INFO((room ? "room for 6 bytes" : "room for 4 bytes"));
        SystemFixture f;
        legacy_ring3(f, 0x40, sel::kConforming, sel::kCode32);
        // Gate 0x40 as a 16-bit interrupt gate (type 6, DPL 3) to the conforming segment.
        f.bus.write(Hpa(st::kIdt + 8 * 0x40), 8,
                    0x1040u | (uint64_t{sel::kConforming} << 16) | (uint64_t{0xE6} << 40));
        f.gdt(kSpare, st::seg_desc(0, 0x7FFA, 0xF6, 0x4));
        f.s.seg[SS] = {kSpare | 3, 0, 0x7FFA, 0x40F7};
        // SP = 0x8000: FLAGS at 0x7FFE and CS at 0x7FFC fit, IP at 0x7FFA does not.
        f.s.gpr[RSP] = room ? 0x8002 : 0x8000;
        mark(f, 0x7FF0, 0x8008);
        REQUIRE(deliver(f, false, 0x40) == DeliveryOutcome::Delivered);
        if (!room) {
            REQUIRE(f.env.exceptions == std::vector<uint8_t>{SS_});
            CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 0); // #SS(EXT), EXT = 0 for INT n
            CHECK(marked(f, 0x7FF0, 0x8008));
            continue;
        }
        CHECK(f.env.exceptions.empty());
        CHECK(f.s.gpr[RSP] == 0x7FFC);
        CHECK(f.bus.read(Hpa(0x7FFC), 2) == 0x4000);                 // IP
        CHECK(f.bus.read(Hpa(0x7FFE), 2) == (sel::kUserCode32 | 3)); // CS
        CHECK(f.s.rip == 0x1040);
    }
}

// SDM Vol. 2A, CALL, Operation (protected mode, same privilege): "IF stack not large enough for
// a 6-byte return address THEN #SS(0)" (32-bit operand size: two dwords). hvlab pushed CS
// and raised #SS only for the EIP push, leaving CS below ESP. (cpu/system/far_transfer.cpp,
// a minimal edit outside this helper's files.)
TEST_CASE("SDM CALL: a far call without room for CS:EIP is #SS(0) with nothing written",
          "[sysaudit][far][frame]") {
    SystemFixture f;
    f.to_protected32();
    f.s.gdtr.limit = kSmallCode + 7;
    // A DPL-0 expand-down stack (B = 1): offsets above 0x7FF9 are valid.
    f.gdt(kSpare, st::seg_desc(0, 0x7FF9, 0x96, 0x4));
    f.s.seg[SS] = {kSpare, 0, 0x7FF9, 0x4097};
    f.s.gpr[RSP] = 0x8000; // CS at 0x7FFC fits, EIP at 0x7FF8 does not
    mark(f, 0x7FF0, 0x8008);
    const Fault fault = far_call(f.c, sel::kCode32, 0x5000, 4, 0x4000);
    CHECK(fault.vector == SS_);
    CHECK(fault.error_code == 0);
    CHECK(f.s.gpr[RSP] == 0x8000);
    CHECK(marked(f, 0x7FF0, 0x8008));
    f.s.gpr[RSP] = 0x8004;
    REQUIRE_FALSE(far_call(f.c, sel::kCode32, 0x5000, 4, 0x4000).raised());
    CHECK(f.s.gpr[RSP] == 0x7FFC);
    CHECK(f.bus.read(Hpa(0x7FFC), 4) == 0x4000);
}

// SDM Vol. 2A, CALL, Operation (call gate to a more privileged level): "IF stack does not have
// room for parameters plus 16 bytes THEN #SS(error_code(SS selector))" on the new stack.
// hvlab pushed the caller's SS, ESP and the first parameter before the push beyond the limit
// raised #SS. (cpu/system/far_transfer.cpp, a minimal edit outside this helper's files.)
TEST_CASE(
    "SDM CALL: a call-gate frame beyond the new SS limit is #SS(SS selector), nothing written",
    "[sysaudit][far][frame]") {
    SystemFixture f;
    legacy_ring3(f, 0x40, sel::kCode32, sel::kConforming);
    // A 32-bit call gate (type 0xC, DPL 3) to ring-0 code at 0x5000 copying 2 parameters.
    f.gdt(kSmallCode,
          0x5000u | (uint64_t{sel::kCode32} << 16) | (uint64_t{2} << 32) | (uint64_t{0xEC} << 40));
    // SS0 = a DPL-0 expand-down stack with offsets above 0x8FF0 valid; with ESP0 = 0x9000 the
    // six dwords would reach 0x8FE8.
    f.gdt(kSpare, st::seg_desc(0, 0x8FF0, 0x96, 0x4));
    f.bus.write(Hpa(st::kTssBase + 8), 2, kSpare);
    mark(f, 0x8FE0, 0x9008);
    const Fault fault = far_call(f.c, kSmallCode | 3, 0, 4, 0x4000);
    CHECK(fault.vector == SS_);
    CHECK(fault.error_code == kSpare);
    CHECK(f.s.cpl() == 3);
    CHECK(marked(f, 0x8FE0, 0x9008));
}

// SDM Vol. 3A, Exception- or Interrupt-Handler Procedures: a #PF on the frame is delivered with
// the state from before the event. Here the second item (CS) crosses from a mapped page down
// into a not-present one: #PF with CR2 at its first byte, and EFLAGS, which fit on the mapped
// page, is not written either. hvlab wrote EFLAGS before the CS push faulted.
TEST_CASE("SDM Exception- or Interrupt-Handler Procedures: a 32-bit frame item crossing into a "
          "not-present page is #PF, nothing written",
          "[sysaudit][event][frame]") {
    SystemFixture f;
    legacy_ring3(f, 0x40, sel::kConforming, sel::kCode32);
    f.bus.write(Hpa(st::kIdt + 8 * PF), 8,
                0x1000u | (uint64_t{sel::kCode32} << 16) | (uint64_t{0x8E} << 40));
    paging32_with_hole(f, 0x4'F000);
    f.s.gpr[RSP] = 0x5'0006; // EFLAGS at 0x50002, CS at 0x4FFFE..0x50001
    mark(f, 0x4'FFF8, 0x5'0010);
    REQUIRE(deliver(f, true, 0x40) == DeliveryOutcome::Delivered);
    REQUIRE(f.env.exceptions == std::vector<uint8_t>{PF});
    CHECK(f.s.cr2 == 0x4'FFFE);
    CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 6);       // user write to a not-present page
    CHECK(f.bus.read(Hpa(0x9000 - 8), 4) == 0x5'0006); // the interrupted ESP
    CHECK(marked(f, 0x4'FFF8, 0x5'0010));
}
