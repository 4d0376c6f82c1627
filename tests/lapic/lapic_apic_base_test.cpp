// IA32_APIC_BASE: global disable/enable, relocation, BSP, reserved bits and EXTD (#GP).
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

TEST_CASE("lapic base: global disable resets the APIC and makes the page absent") {
    Rig r;
    std::vector<uint64_t> seen;
    r.apic.set_base_listener([&](uint64_t b) { seen.push_back(b); });
    r.enable();
    r.wr(reg::kTpr, 0x20);
    r.wr(reg::kTimerDivide, 0xB);
    r.wr(reg::kLvtTimer, (1u << 17) | 0x40);
    r.wr(reg::kTimerInitialCount, 100);
    r.apic.raise(0x80, false);
    REQUIRE(r.timer.armed);

    REQUIRE(r.apic.write_apic_base(0xFEE0'0000)); // EN = 0
    CHECK(r.apic.apic_base() == 0xFEE0'0100);     // BSP is read-only and stays set
    CHECK_FALSE(r.apic.mmio_enabled());
    CHECK_FALSE(r.apic.globally_enabled());
    CHECK(seen == std::vector<uint64_t>{0xFEE0'0100});
    CHECK_FALSE(r.timer.armed);
    CHECK(r.apic.pending_vector() == -1);
    CHECK(r.apic.mmio_read(reg::kVersion, 4) == 0xFFFF'FFFF); // absent: all ones
    CHECK(r.apic.mmio_read(reg::kId, 1) == 0xFF);
    CHECK(r.apic.mmio_read(reg::kId, 8) == ~uint64_t{0});
    r.apic.mmio_write(reg::kSvr, 4, 0x1FF); // ignored
    r.apic.raise(0x90, false);              // nobody home
    r.advance_to(1000);
    CHECK(r.fired_at.empty());

    REQUIRE(r.apic.write_apic_base(0xFEE0'0800)); // re-enable: power-up register state
    CHECK(r.apic.mmio_enabled());
    CHECK(seen.back() == 0xFEE0'0900);
    CHECK(r.rd(reg::kSvr) == 0xFF);
    CHECK(r.rd(reg::kTpr) == 0);
    CHECK(r.rd(reg::kLvtTimer) == 0x0001'0000);
    CHECK(r.rd(reg::kTimerInitialCount) == 0);
    CHECK(r.rd(reg::kTimerDivide) == 0);
    CHECK_FALSE(r.apic.irr(0x80));
    CHECK_FALSE(r.apic.irr(0x90));
    r.enable();
    r.self_ipi(0x55);
    CHECK(r.take() == 0x55);
}

TEST_CASE("lapic base: relocation while enabled moves the page and keeps the state") {
    Rig r;
    std::vector<uint64_t> seen;
    r.apic.set_base_listener([&](uint64_t b) { seen.push_back(b); });
    r.enable();
    REQUIRE(r.apic.write_apic_base(0x7F'FFFF'F000 | 0x800)); // highest base below MAXPHYADDR 39
    CHECK(r.apic.mmio_base() == 0x7F'FFFF'F000);
    CHECK(r.apic.apic_base() == (0x7F'FFFF'F000 | 0x900));
    CHECK(seen == std::vector<uint64_t>{0x7F'FFFF'F000 | 0x900});
    CHECK(r.rd(reg::kSvr) == 0x1FF);                         // no reset
    REQUIRE(r.apic.write_apic_base(0x7F'FFFF'F000 | 0x800)); // no change, no notification
    CHECK(seen.size() == 1);
}

TEST_CASE("lapic base: reserved bits and EXTD raise #GP and change nothing") {
    Rig r;
    r.enable();
    const uint64_t bad[] = {
        0xFEE0'0900 | 0x01,                // bit 0
        0xFEE0'0900 | 0x80,                // bit 7
        0xFEE0'0900 | 0x200,               // bit 9
        0xFEE0'0900 | 0x400,               // EXTD: x2APIC not advertised (xAPIC -> x2APIC)
        0xFEE0'0100 | 0x400,               // EN=0, EXTD=1: the invalid state
        0xFEE0'0900 | (uint64_t{1} << 39), // at MAXPHYADDR
        0xFEE0'0900 | (uint64_t{1} << 63),
    };
    for (uint64_t v : bad) {
        INFO("value " << std::hex << v);
        CHECK_FALSE(r.apic.write_apic_base(v));
        bool gp = false;
        CHECK(r.apic.write_msr(reg::kMsrApicBase, v, gp));
        CHECK(gp);
        CHECK(r.apic.apic_base() == 0xFEE0'0900);
        CHECK(r.rd(reg::kSvr) == 0x1FF);
    }
    // From the disabled state, disabled -> x2APIC is #GP too; disabled -> xAPIC works.
    REQUIRE(r.apic.write_apic_base(0xFEE0'0000));
    CHECK_FALSE(r.apic.write_apic_base(0xFEE0'0C00));
    CHECK(r.apic.apic_base() == 0xFEE0'0100);
    CHECK(r.apic.write_apic_base(0xFEE0'0800));
}

TEST_CASE("lapic base: the BSP bit is read-only in both directions") {
    FakeClock clock;
    FakeTimer timer;
    LocalApic ap(clock, timer, 1, /*bsp=*/false);
    CHECK(ap.write_apic_base(0xFEE0'0900));
    CHECK(ap.apic_base() == 0xFEE0'0800);
    LocalApic bsp(clock, timer, 0, /*bsp=*/true);
    CHECK(bsp.write_apic_base(0xFEE0'0800));
    CHECK(bsp.apic_base() == 0xFEE0'0900);
}

TEST_CASE("lapic base: RDMSR/WRMSR claim only APIC_BASE and TSC_DEADLINE") {
    Rig r;
    uint64_t v = 0;
    bool gp = true;
    CHECK(r.apic.read_msr(0x1B, v));
    CHECK(v == 0xFEE0'0900);
    CHECK(r.apic.write_msr(0x1B, 0xFEE0'0900, gp));
    CHECK_FALSE(gp);
    CHECK(r.apic.read_msr(0x6E0, v));
    CHECK_FALSE(r.apic.read_msr(0x10, v));
    CHECK_FALSE(r.apic.read_msr(0x802, v)); // x2APIC MSRs: not advertised, not claimed
    CHECK_FALSE(r.apic.write_msr(0x1A0, 0, gp));
}
