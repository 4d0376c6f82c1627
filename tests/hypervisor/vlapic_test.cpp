// The teaching hypervisor's virtual xAPIC (hypervisor/vlapic.c), compiled into this host test:
// register reset values, software disable, priorities and EOI, the divide configuration and
// the periodic timer grid. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced
// Programmable Interrupt Controller (APIC)". Times are host TSC values taken by vlapic.c, so
// the checks use vlapic_next_event() as the reference point.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>

extern "C" {
#include "hypervisor/vlapic.c"
}

namespace {

constexpr uint32_t kSvr = 0x0F0, kEoi = 0x0B0, kTpr = 0x080, kPpr = 0x0A0, kIsr = 0x100,
                   kIrr = 0x200, kLvtTimer = 0x320, kInitial = 0x380, kDivide = 0x3E0;

std::unique_ptr<guest> make_guest() {
    auto g = std::make_unique<guest>();
    vlapic_reset(&g->lapic);
    return g;
}

} // namespace

TEST_CASE("vlapic: reset values and software disable") {
    auto g = make_guest();
    CHECK(vlapic_read(g.get(), 0x030) == 0x00060014u);  // version: as hvlab's own LAPIC
    CHECK(vlapic_read(g.get(), kSvr) == 0xFFu);         // software-disabled
    CHECK(vlapic_read(g.get(), kLvtTimer) == 0x10000u); // masked
    CHECK(g->lapic.base_msr == 0xFEE00900u);
    // While software-disabled, LVT writes keep the mask bit ("Spurious-Interrupt Vector
    // Register").
    vlapic_write(g.get(), kLvtTimer, 0x20);
    CHECK(vlapic_read(g.get(), kLvtTimer) == 0x10020u);
    vlapic_write(g.get(), kSvr, 0x1FF);
    vlapic_write(g.get(), kLvtTimer, 0x20);
    CHECK(vlapic_read(g.get(), kLvtTimer) == 0x20u);
    vlapic_write(g.get(), kSvr, 0xFF); // disabling masks every LVT entry again
    CHECK(vlapic_read(g.get(), kLvtTimer) == 0x10020u);
}

TEST_CASE("vlapic: priority classes, TPR, EOI") {
    auto g = make_guest();
    vlapic_write(g.get(), kSvr, 0x1FF);
    vlapic_write(g.get(), 0x300, (1u << 18) | 0x41); // self-IPI, fixed, vector 0x41
    vlapic_write(g.get(), 0x300, (1u << 18) | 0x32);
    CHECK(vlapic_read(g.get(), kIrr + 0x20) == (1u << 1)); // 0x41: IRR bits 95:64 at +0x20, bit 1
    CHECK(vlapic_pending_vector(&g->lapic) == 0x41);       // highest first
    vlapic_accept(&g->lapic, 0x41);
    CHECK(vlapic_read(g.get(), kIsr + 0x20) == (1u << 1));
    CHECK(vlapic_read(g.get(), kPpr) == 0x40u);
    CHECK(vlapic_pending_vector(&g->lapic) == -1); // 0x32 is in a lower class than 0x41
    vlapic_write(g.get(), kEoi, 0);
    CHECK(vlapic_read(g.get(), kIsr + 0x20) == 0u);
    CHECK(vlapic_pending_vector(&g->lapic) == 0x32);
    vlapic_write(g.get(), kTpr, 0x30); // TPR class 3 holds back vector 0x32
    CHECK(vlapic_pending_vector(&g->lapic) == -1);
    vlapic_write(g.get(), kTpr, 0x20);
    CHECK(vlapic_pending_vector(&g->lapic) == 0x32);
}

TEST_CASE("vlapic: periodic timer on its grid, divide configuration, masking") {
    auto g = make_guest();
    vlapic_write(g.get(), kSvr, 0x1FF);
    vlapic_write(g.get(), kDivide, 0x3); // divide by 16
    vlapic_write(g.get(), kLvtTimer, (1u << 17) | 0x20);
    vlapic_write(g.get(), kInitial, 100);
    const uint64_t first = vlapic_next_event(&g->lapic);
    REQUIRE(first != 0);
    vlapic_update_timer(g.get(), first - 1);
    CHECK(vlapic_pending_vector(&g->lapic) == -1);
    // Three periods late: one request (the IRR bit), the next deadline stays on the grid.
    vlapic_update_timer(g.get(), first + 3 * 1600 + 5);
    CHECK(vlapic_pending_vector(&g->lapic) == 0x20);
    CHECK(vlapic_next_event(&g->lapic) == first + 4 * 1600);
    CHECK(vlapic_read(g.get(), kInitial) == 100u);

    vlapic_write(g.get(), kDivide, 0xB); // divide by 1
    vlapic_write(g.get(), kInitial, 10);
    const uint64_t d1 = vlapic_next_event(&g->lapic);
    vlapic_write(g.get(), kLvtTimer, 0x20); // one-shot
    vlapic_update_timer(g.get(), d1);
    CHECK(vlapic_next_event(&g->lapic) == 0); // one-shot: disarmed after firing

    vlapic_accept(&g->lapic, 0x20);
    vlapic_write(g.get(), kEoi, 0);
    vlapic_write(g.get(), kLvtTimer, 0x10020); // masked: counts, but requests nothing
    vlapic_write(g.get(), kInitial, 10);
    vlapic_update_timer(g.get(), vlapic_next_event(&g->lapic));
    CHECK(vlapic_pending_vector(&g->lapic) == -1);
}

TEST_CASE("vlapic: TSC-deadline mode") {
    auto g = make_guest();
    vlapic_write(g.get(), kSvr, 0x1FF);
    vlapic_write(g.get(), kLvtTimer, (2u << 17) | 0x30);
    vlapic_write(g.get(), kInitial, 5); // ignored in TSC-deadline mode
    CHECK(vlapic_next_event(&g->lapic) == 0);
    g->tsc_offset = 1000;
    vlapic_write_tsc_deadline(g.get(), ~uint64_t{0} >> 1); // far in the future
    const uint64_t at = vlapic_next_event(&g->lapic);
    CHECK(at == (~uint64_t{0} >> 1) - 1000); // host TSC = guest TSC - offset
    vlapic_update_timer(g.get(), at);
    CHECK(vlapic_pending_vector(&g->lapic) == 0x30);
    CHECK(g->lapic.tsc_deadline == 0);      // "disarms itself and clears the MSR"
    vlapic_write(g.get(), kLvtTimer, 0x30); // leaving TSC-deadline mode disarms
    CHECK(vlapic_next_event(&g->lapic) == 0);
}
