// Register reset values, read-only and reserved registers, LDR/DFR/SVR/ID/ESR semantics.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

TEST_CASE("lapic: registers hold their power-up values") {
    FakeClock clock;
    FakeTimer timer;
    LocalApic apic(clock, timer, 3);
    auto rd = [&](uint32_t off) { return static_cast<uint32_t>(apic.mmio_read(off, 4)); };
    CHECK(rd(reg::kId) == 0x0300'0000);
    CHECK(rd(reg::kVersion) == 0x0006'0014);
    CHECK(rd(reg::kTpr) == 0);
    CHECK(rd(reg::kApr) == 0);
    CHECK(rd(reg::kPpr) == 0);
    CHECK(rd(reg::kLdr) == 0);
    CHECK(rd(reg::kDfr) == 0xFFFF'FFFF);
    CHECK(rd(reg::kSvr) == 0xFF);
    CHECK(rd(reg::kEsr) == 0);
    CHECK(rd(reg::kIcrLow) == 0);
    CHECK(rd(reg::kIcrHigh) == 0);
    for (uint32_t off : {0x2F0u, 0x320u, 0x330u, 0x340u, 0x350u, 0x360u, 0x370u}) {
        INFO("LVT at " << std::hex << off);
        CHECK(rd(off) == 0x0001'0000);
    }
    for (uint32_t i = 0; i < 8; ++i) {
        CHECK(rd(reg::kIsrBase + 16 * i) == 0);
        CHECK(rd(reg::kTmrBase + 16 * i) == 0);
        CHECK(rd(reg::kIrrBase + 16 * i) == 0);
    }
    CHECK(rd(reg::kTimerInitialCount) == 0);
    CHECK(rd(reg::kTimerCurrentCount) == 0);
    CHECK(rd(reg::kTimerDivide) == 0);
    CHECK(apic.apic_base() == 0xFEE0'0900);
    CHECK_FALSE(apic.software_enabled());
    CHECK(apic.pending_vector() == -1);
}

TEST_CASE("lapic: an application processor's APIC_BASE has BSP clear") {
    FakeClock clock;
    FakeTimer timer;
    LocalApic ap(clock, timer, 1, /*bsp=*/false);
    CHECK(ap.apic_base() == 0xFEE0'0800);
}

TEST_CASE("lapic: writable fields keep only their defined bits") {
    Rig r;
    r.wr(reg::kId, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kId) == 0xFF00'0000);
    r.wr(reg::kId, 0);
    r.wr(reg::kTpr, 0xFFFF'FF5A);
    CHECK(r.rd(reg::kTpr) == 0x5A);
    r.wr(reg::kLdr, 0x12FF'FFFF);
    CHECK(r.rd(reg::kLdr) == 0x1200'0000);
    r.wr(reg::kDfr, 0);
    CHECK(r.rd(reg::kDfr) == 0x0FFF'FFFF);
    r.wr(reg::kSvr, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kSvr) == 0x3FF);
    r.wr(reg::kIcrHigh, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kIcrHigh) == 0xFF00'0000);
    r.wr(reg::kTimerDivide, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kTimerDivide) == 0xB);
    // LVT writable masks (APIC software-enabled so the mask bit can be cleared).
    r.wr(reg::kLvtError, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kLvtError) == 0x0001'00FF);
    r.wr(reg::kLvtLint0, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kLvtLint0) == 0x0001'A7FF); // remote IRR (14) and delivery status read-only
    r.wr(reg::kLvtThermal, 0xFFFF'FFFF);
    CHECK(r.rd(reg::kLvtThermal) == 0x0001'07FF);
    r.wr(reg::kLvtCmci, 0x0000'04FE);
    CHECK(r.rd(reg::kLvtCmci) == 0x0000'04FE);
}

TEST_CASE("lapic: read-only registers ignore writes without an error") {
    Rig r;
    r.enable();
    r.wr(reg::kVersion, 0);
    r.wr(reg::kPpr, 0xFF);
    r.wr(reg::kApr, 0xFF);
    r.wr(reg::kIrrBase + 0x10, 0xFFFF'FFFF);
    r.wr(reg::kIsrBase + 0x70, 0xFFFF'FFFF);
    r.wr(reg::kTmrBase, 0xFFFF'FFFF);
    r.wr(reg::kTimerCurrentCount, 1234);
    CHECK(r.rd(reg::kVersion) == 0x0006'0014);
    CHECK(r.rd(reg::kPpr) == 0);
    CHECK(r.rd(reg::kIrrBase + 0x10) == 0);
    CHECK(r.rd(reg::kIsrBase + 0x70) == 0);
    CHECK(r.rd(reg::kTmrBase) == 0);
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    CHECK(r.rd(reg::kEoi) == 0);
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic: reserved registers read 0 and set ESR Illegal Register Address") {
    Rig r;
    r.enable();
    for (uint32_t off : {0x000u, 0x010u, 0x040u, 0x070u, 0x0C0u, 0x290u, 0x2E0u, 0x3A0u, 0x3D0u,
                         0x3F0u, 0x400u, 0xFF0u}) {
        INFO("offset " << std::hex << off);
        CHECK(r.esr() == 0);
        CHECK(r.rd(off) == 0);
        CHECK(r.esr() == reg::kEsrIllegalRegister);
        r.wr(off, 0x1234);
        CHECK(r.esr() == reg::kEsrIllegalRegister);
        CHECK(r.esr() == 0);
    }
}

TEST_CASE("lapic: ESR shows errors only after a write, and the write clears them") {
    Rig r;
    r.enable();
    r.rd(0x010);                  // illegal register
    CHECK(r.rd(reg::kEsr) == 0);  // not yet latched
    r.wr(reg::kEsr, 0xFFFF'FFFF); // the value written does not matter
    CHECK(r.rd(reg::kEsr) == reg::kEsrIllegalRegister);
    CHECK(r.rd(reg::kEsr) == reg::kEsrIllegalRegister); // reads do not clear
    r.wr(reg::kEsr, 0);
    CHECK(r.rd(reg::kEsr) == 0);
    CHECK(r.apic.peek_register(reg::kEsr) == 0);
}

TEST_CASE("lapic: a new error raises the LVT error interrupt once until the ESR is rewritten") {
    Rig r;
    r.enable();
    r.wr(reg::kLvtError, 0xE0);
    r.rd(0x010);
    CHECK(r.take() == 0xE0);
    r.wr(reg::kEoi, 0);
    r.rd(0x010); // same error again, not yet rearmed
    CHECK(r.take() == -1);
    r.wr(reg::kEsr, 0);
    r.rd(0x010);
    CHECK(r.take() == 0xE0);
}

TEST_CASE("lapic: an error interrupt with an illegal vector logs it and terminates") {
    Rig r;
    r.enable();
    r.wr(reg::kLvtError, 0x05);
    r.rd(0x010);
    CHECK(r.take() == -1);
    CHECK(r.esr() == (reg::kEsrIllegalRegister | reg::kEsrReceiveIllegalVector));
}

TEST_CASE("lapic: SVR software-disable forces and keeps every LVT mask bit") {
    Rig r;
    r.enable();
    const uint32_t lvts[] = {0x2F0, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370};
    for (uint32_t off : lvts)
        r.wr(off, 0x40);
    for (uint32_t off : lvts)
        CHECK(r.rd(off) == 0x40);
    r.wr(reg::kSvr, 0xFF); // bit 8 clear
    for (uint32_t off : lvts)
        CHECK(r.rd(off) == 0x0001'0040);
    for (uint32_t off : lvts)
        r.wr(off, 0x41); // try to unmask
    for (uint32_t off : lvts)
        CHECK(r.rd(off) == 0x0001'0041);
    r.wr(reg::kSvr, 0x1FF); // re-enabling does not unmask by itself
    for (uint32_t off : lvts)
        CHECK(r.rd(off) == 0x0001'0041);
    r.wr(reg::kLvtTimer, 0x41);
    CHECK(r.rd(reg::kLvtTimer) == 0x41);
}

TEST_CASE("lapic: a software-disabled APIC accepts no new fixed interrupts but keeps IRR") {
    Rig r;
    r.enable();
    r.apic.raise(0x40, false);
    r.wr(reg::kSvr, 0xFF);
    r.apic.raise(0x50, false);
    CHECK(r.apic.irr(0x40));
    CHECK_FALSE(r.apic.irr(0x50));
    CHECK(r.take() == 0x40); // held IRR bits still reach the CPU
    r.self_ipi(0x60);        // the APIC can still send, but it does not accept its own IPI
    CHECK_FALSE(r.apic.irr(0x60));
}

TEST_CASE("lapic: peek_register has no side effects") {
    Rig r;
    r.enable();
    CHECK(r.apic.peek_register(0x010) == 0);
    CHECK(r.esr() == 0);
    CHECK(r.apic.peek_register(reg::kVersion) == 0x0006'0014);
}

TEST_CASE("lapic: the BIOS hand-off state matches what SeaBIOS leaves on QEMU") {
    Rig r;
    r.apic.apply_bios_handoff();
    CHECK(r.rd(reg::kSvr) == 0x1FF);
    CHECK(r.rd(reg::kLvtLint0) == 0x8700);
    CHECK(r.rd(reg::kLvtLint1) == 0x8400);
    CHECK(r.rd(reg::kIcrLow) == 0x000C'4610);
    CHECK(r.rd(reg::kLvtTimer) == 0x0001'0000); // untouched entries stay masked
    CHECK(r.rd(reg::kTpr) == 0);
    CHECK(r.esr() == 0);
    CHECK(r.apic.pending_vector() == -1);
}
