// Event delivery through the IDT: 64-bit frames, stack switches, IST, software-interrupt
// privilege checks, the double-fault rules and the triple fault (SDM Vol. 3A, Interrupt and
// Exception Handling).
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

namespace {

constexpr uint64_t kHandler = 0x60'0000;

uint64_t handler_for(uint8_t vector) { return kHandler + 0x100 * vector; }

void install_all(SystemFixture& f) {
    for (unsigned v = 0; v < 256; ++v) f.idt_gate(uint8_t(v), handler_for(uint8_t(v)));
}

} // namespace

TEST_CASE("#GP from ring 3 through an interrupt gate: RSP0, full frame, IF cleared", "[event]") {
    SystemFixture f;
    install_all(f);
    f.to_ring3();
    f.s.rflags = rflags::kFixed1 | rflags::IF | rflags::TF | rflags::RF;
    const uint64_t user_rsp = f.s.gpr[RSP];
    REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0x18, 0x40'0123) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.rip == handler_for(GP));
    CHECK(f.s.gpr[RSP] == kRsp0 - 48);
    CHECK(f.read64(kRsp0 - 8) == (sel::kUserData | 3));
    CHECK(f.read64(kRsp0 - 16) == user_rsp);
    CHECK(f.read64(kRsp0 - 24) == (rflags::kFixed1 | rflags::IF | rflags::TF | rflags::RF));
    CHECK(f.read64(kRsp0 - 32) == (sel::kUserCode64 | 3));
    CHECK(f.read64(kRsp0 - 40) == 0x40'0123);
    CHECK(f.read64(kRsp0 - 48) == 0x18);
    CHECK(f.s.rflags == rflags::kFixed1);
    CHECK(f.s.seg[SS].selector == 0);
    REQUIRE(f.env.exceptions.size() == 1);
    CHECK(f.env.exceptions[0] == GP);
}

TEST_CASE("a trap gate keeps IF, the 64-bit frame is 16-byte aligned", "[event]") {
    SystemFixture f;
    f.idt_gate(0x80, kHandler, sel::kCode64, 3, 0xF);
    f.s.rflags |= rflags::IF;
    f.s.gpr[RSP] = 0x8008;
    REQUIRE(deliver_event(f.c, EventKind::SoftwareInterrupt, 0x80, false, 0, 0x1002) ==
            DeliveryOutcome::Delivered);
    CHECK((f.s.rflags & rflags::IF) != 0);
    CHECK(f.s.gpr[RSP] == 0x8000 - 40);
    CHECK(f.read64(0x8000 - 40) == 0x1002);
    REQUIRE(f.env.interrupts.size() == 1);
}

TEST_CASE("a handler in the upper canonical half (gate offset bits 63:32 all ones)",
          "[event]") {
    SystemFixture f;
    f.idt_gate(0x50, 0xFFFF'FFFF'8100'0000);
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x50, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == 0xFFFF'FFFF'8100'0000);
}

TEST_CASE("IST 1 is used whatever the privilege change", "[event]") {
    SystemFixture f;
    f.idt_gate(NMI, kHandler, sel::kCode64, 0, 0xE, 1);
    REQUIRE(deliver_event(f.c, EventKind::Nmi, NMI, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.gpr[RSP] == (kIst1 & ~0xFull) - 40);
    CHECK(f.s.nmi_blocked);
    CHECK(f.read64((kIst1 & ~0xFull) - 16) == 0x8000); // old RSP
}

TEST_CASE("INT n through a gate with DPL < CPL is #GP(vector*8+2)", "[event]") {
    SystemFixture f;
    install_all(f);
    f.to_ring3();
    f.s.rip = 0x40'0000; // the INT instruction; 0x40'0002 is the next one
    REQUIRE(deliver_event(f.c, EventKind::SoftwareInterrupt, 0x21, false, 0, 0x40'0002) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(GP));
    CHECK(f.read64(kRsp0 - 48) == 0x21 * 8 + 2);
    CHECK(f.read64(kRsp0 - 40) == 0x40'0000); // the #GP is a fault on the INT instruction
}

TEST_CASE("hardware events ignore the gate DPL, INT1 too", "[event]") {
    SystemFixture f;
    install_all(f);
    f.to_ring3();
    REQUIRE(deliver_event(f.c, EventKind::PrivSoftwareException, DB, false, 0, 0x1) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(DB));
}

TEST_CASE("a not-present #GP gate while delivering #GP gives #DF with error code 0",
          "[event]") {
    SystemFixture f;
    install_all(f);
    f.idt_gate(GP, handler_for(GP), sel::kCode64, 0, 0xE, 0, false);
    REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(DF));
    CHECK(f.read64(0x8000 - 48) == 0); // #DF error code
    CHECK(f.read64(0x8000 - 40) == 0x1000);
}

TEST_CASE("a benign exception whose gate is missing becomes #GP(vector*8+2+EXT), not #DF",
          "[event]") {
    SystemFixture f;
    install_all(f);
    f.idt_gate(UD, 0, sel::kCode64, 0, 0xE, 0, false);
    REQUIRE(deliver_event(f.c, EventKind::Exception, UD, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(NP));
    CHECK(f.read64(0x8000 - 48) == UD * 8 + 2 + 1);
}

TEST_CASE("an external interrupt beyond the IDT limit is #GP with EXT set", "[event]") {
    SystemFixture f;
    install_all(f);
    f.s.idtr.limit = 0x30 * 16 - 1;
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x30, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(GP));
    CHECK(f.read64(0x8000 - 48) == 0x30 * 8 + 2 + 1);
}

TEST_CASE("#PF while delivering #PF is #DF, CR2 holds the second address", "[event]") {
    SystemFixture f;
    install_all(f);
    f.to_ring3();
    // RSP0 points at unmapped memory: every push of a ring-0 frame faults.
    f.bus.write(Hpa(kTssBase + 4), 8, 0x7000'0000);
    f.idt_gate(DF, handler_for(DF), sel::kCode64, 0, 0xE, 1); // #DF on IST1, which is mapped
    f.bus.write(Hpa(kTssBase + 36), 8, 0x20'1000);
    const Fault pf = page_fault(0x7000'0000, 0x6);
    REQUIRE(deliver_fault(f.c, pf, 0x40'0000) == DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(DF));
    CHECK(f.s.gpr[RSP] == 0x20'1000 - 48);
    CHECK(f.s.cr2 == 0x7000'0000 - 8);
    CHECK(f.read64(0x20'1000 - 48) == 0); // #DF error code
    CHECK(f.env.exceptions.back() == DF);
}

TEST_CASE("a fault while delivering #DF is a triple fault: shutdown, reported", "[event]") {
    SystemFixture f;
    f.s.idtr.limit = 0; // nothing is deliverable
    REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0, 0x1000) ==
            DeliveryOutcome::Shutdown);
    CHECK(f.env.shut);
    REQUIRE(f.env.log.size() == 1);
    CHECK(f.env.log[0] == "triple fault");
    CHECK(f.s.activity == CpuState::Activity::Shutdown);
    CHECK(f.env.exceptions.empty());
}

TEST_CASE("delivery wakes a halted CPU and clears the interrupt shadows", "[event]") {
    SystemFixture f;
    install_all(f);
    f.s.activity = CpuState::Activity::Hlt;
    f.s.sti_shadow = true;
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x40, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.activity == CpuState::Activity::Active);
    CHECK_FALSE(f.s.sti_shadow);
    CHECK(f.s.rip == handler_for(0x40));
}

TEST_CASE("a handler in a 32-bit code segment is #GP(selector+EXT) in IA-32e mode", "[event]") {
    SystemFixture f;
    install_all(f);
    f.idt_gate(0x41, kHandler, sel::kCode32);
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x41, false, 0, 0x1000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.rip == handler_for(GP));
    CHECK(f.read64(0x8000 - 48) == (sel::kCode32 | 1));
}

TEST_CASE("32-bit protected mode: interrupt gate with a stack switch from ring 3", "[event]") {
    SystemFixture f;
    // Flat 32-bit protected mode without paging, a 32-bit TSS with SS0:ESP0 = 0x10:0x9000.
    f.s.cr0 = cr0::PE | cr0::ET;
    f.s.cr4 = 0;
    f.s.efer = 0;
    f.s.idtr = {0x2000, 0x7FF};
    f.s.tr = {sel::kTss, kTssBase, 0x67, 0x8B};
    f.bus.write(Hpa(kTssBase + 4), 4, 0x9000);
    f.bus.write(Hpa(kTssBase + 8), 2, sel::kData0);
    const uint64_t gate = 0x1234 | (uint64_t{sel::kCode32} << 16) | (uint64_t{0x8E} << 40);
    f.bus.write(Hpa(0x2000 + 8 * 0x20), 8, gate);
    f.s.seg[CS] = {sel::kUserCode32 | 3, 0, 0xFFFF'FFFF, 0xC0FB};
    f.s.seg[SS] = {sel::kUserData | 3, 0, 0xFFFF'FFFF, 0xC0F3};
    f.s.gpr[RSP] = 0x7000;
    f.s.rflags = rflags::kFixed1 | rflags::IF;
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x20, false, 0, 0x4000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.mode() == CpuMode::Protected32);
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.rip == 0x1234);
    CHECK(f.s.gpr[RSP] == 0x9000 - 20);
    CHECK(f.bus.read(Hpa(0x9000 - 4), 4) == (sel::kUserData | 3));
    CHECK(f.bus.read(Hpa(0x9000 - 8), 4) == 0x7000);
    CHECK(f.bus.read(Hpa(0x9000 - 16), 4) == (sel::kUserCode32 | 3));
    CHECK(f.bus.read(Hpa(0x9000 - 20), 4) == 0x4000);
    CHECK(f.s.seg[SS].selector == sel::kData0);
    SECTION("and IRETD returns to ring 3") {
        REQUIRE_FALSE(iret(f.c, 4));
        CHECK(f.s.cpl() == 3);
        CHECK(f.s.gpr[RSP] == 0x7000);
        CHECK(f.s.rip == 0x4000);
        CHECK((f.s.rflags & rflags::IF) != 0); // IRET runs at CPL 0 <= IOPL: IF restored
    }
}

TEST_CASE("I/O permission: IOPL, then the TSS bitmap", "[io]") {
    SystemFixture f;
    CHECK_FALSE(check_io_permission(f.c, 0x3F8, 1)); // CPL 0 <= IOPL 0
    f.to_ring3();
    CHECK_FALSE(check_io_permission(f.c, 0x3F8, 1)); // bitmap all zeros
    f.bus.write(Hpa(kTssBase + 0x68 + 0x3F8 / 8), 1, 0x01);
    CHECK(check_io_permission(f.c, 0x3F8, 1).vector == GP);
    CHECK_FALSE(check_io_permission(f.c, 0x3F9, 1));
    CHECK(check_io_permission(f.c, 0x3F7, 2).vector == GP); // straddles into 0x3F8
    CHECK(check_io_permission(f.c, 0x2000, 1).vector == GP); // beyond the TSS limit
    f.s.rflags |= 3u << 12;
    CHECK_FALSE(check_io_permission(f.c, 0x3F8, 1));
}

TEST_CASE("a busy 16-bit TSS supplies SS0:SP0 at offsets 4 and 2", "[event]") {
    SystemFixture f;
    f.to_protected32();
    f.s.tr = {sel::kTss, kTssBase, 0x2B, 0x83}; // busy 16-bit TSS
    f.bus.write(Hpa(kTssBase + 2), 2, 0x9000);
    f.bus.write(Hpa(kTssBase + 4), 2, sel::kData0);
    const uint64_t gate = 0x1234 | (uint64_t{sel::kCode32} << 16) | (uint64_t{0x8E} << 40);
    f.bus.write(Hpa(kIdt + 8 * 0x20), 8, gate);
    f.s.seg[CS] = {sel::kUserCode32 | 3, 0, 0xFFFF'FFFF, 0xC0FB};
    f.s.seg[SS] = {sel::kUserData | 3, 0, 0xFFFF'FFFF, 0xC0F3};
    f.s.gpr[RSP] = 0x7000;
    REQUIRE(deliver_event(f.c, EventKind::ExternalInterrupt, 0x20, false, 0, 0x4000) ==
            DeliveryOutcome::Delivered);
    CHECK(f.s.gpr[RSP] == 0x9000 - 20);
    CHECK(f.s.seg[SS].selector == sel::kData0);
    CHECK(f.bus.read(Hpa(0x9000 - 8), 4) == 0x7000);
}

TEST_CASE("SMAP: delivery pushes are explicit accesses, table reads are implicit", "[event]") {
    SystemFixture f;
    install_all(f);
    f.pt.map(0, 0, P | RW | PS, 2);     // GDT, IDT, TSS on a supervisor page
    f.write64(kTssBase + 4, 0x30'0000); // RSP0 on a user page
    f.s.cr4 |= cr4::SMAP;
    f.mem.flush_all();
    f.to_ring3();
    SECTION("with RFLAGS.AC = 1 the ring-0 pushes may reach the user page") {
        f.s.rflags |= rflags::AC;
        REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0, 0x1000) ==
                DeliveryOutcome::Delivered);
        CHECK(f.s.gpr[RSP] == 0x30'0000 - 48);
    }
    SECTION("with AC = 0 every push faults: #PF, #PF again, #DF, shutdown") {
        REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0, 0x1000) ==
                DeliveryOutcome::Shutdown);
        CHECK(f.s.cr2 == 0x30'0000 - 8);
    }
    SECTION("IDT reads are implicit: a user-page IDT faults even with AC = 1") {
        f.pt.map(0, 0, P | RW | US | PS, 2);
        f.mem.flush_all();
        f.s.rflags |= rflags::AC;
        REQUIRE(deliver_event(f.c, EventKind::Exception, GP, true, 0, 0x1000) ==
                DeliveryOutcome::Shutdown);
        CHECK(f.s.cr2 == kIdt + 16 * PF); // the last #PF: reading the #PF gate itself
    }
}
