// The APIC timer on a fake virtual clock: one-shot, periodic (exact counts, no drift),
// TSC-deadline, divide configuration. Rule under test: input clock = 1 tick per retired
// instruction, then the divider.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

namespace {
constexpr uint32_t kOneShot = 0u << 17, kPeriodic = 1u << 17, kTscDeadline = 2u << 17;
constexpr uint32_t kDivBy1 = 0xB;
} // namespace

TEST_CASE("lapic timer: the eight divide encodings") {
    // DCR bits 3,1:0 -> divisor. SDM Vol. 3A, "APIC Timer".
    const struct {
        uint32_t dcr, divisor;
    } table[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
                 {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
    for (const auto& e : table) {
        INFO("DCR " << e.dcr);
        Rig r;
        r.enable();
        r.clock.t = 1000;
        r.wr(reg::kTimerDivide, e.dcr);
        r.wr(reg::kLvtTimer, kOneShot | 0x40);
        r.wr(reg::kTimerInitialCount, 10);
        CHECK(r.rd(reg::kTimerCurrentCount) == 10);
        r.advance_to(1000 + e.divisor - 1);
        CHECK(r.rd(reg::kTimerCurrentCount) == 10); // no full input period yet
        r.advance_to(1000 + e.divisor);
        CHECK(r.rd(reg::kTimerCurrentCount) == 9);
        r.advance_to(1000 + 7 * e.divisor + e.divisor / 2);
        CHECK(r.rd(reg::kTimerCurrentCount) == 3);
        CHECK(r.timer.deadline == 1000 + 10 * e.divisor);
        r.advance_to(1000 + 10 * e.divisor - 1);
        CHECK(r.apic.pending_vector() == -1);
        r.advance_to(1000 + 10 * e.divisor);
        CHECK(r.rd(reg::kTimerCurrentCount) == 0);
        CHECK(r.take() == 0x40);
    }
}

TEST_CASE("lapic timer: one-shot counts down once, interrupts once, then stays at 0") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, 0x0); // divide by 2
    r.wr(reg::kLvtTimer, kOneShot | 0x50);
    r.clock.t = 100;
    r.wr(reg::kTimerInitialCount, 1000);
    CHECK(r.rd(reg::kTimerInitialCount) == 1000);
    CHECK(r.timer.armed);
    CHECK(r.timer.deadline == 100 + 2000);
    r.advance_to(1100);
    CHECK(r.rd(reg::kTimerCurrentCount) == 500);
    r.advance_to(2099);
    CHECK(r.rd(reg::kTimerCurrentCount) == 1);
    CHECK(r.apic.pending_vector() == -1);
    r.advance_to(2100);
    CHECK(r.fired_at == std::vector<uint64_t>{2100});
    CHECK(r.take() == 0x50);
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    CHECK_FALSE(r.timer.armed);
    r.advance_to(100000);
    CHECK(r.fired_at.size() == 1);
    CHECK(r.rd(reg::kTimerInitialCount) == 1000); // initial count is not consumed
}

TEST_CASE("lapic timer: periodic current count is exact at every time, with no drift") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, 0x1); // divide by 4
    r.wr(reg::kLvtTimer, kPeriodic | 0x60);
    r.clock.t = 7;
    r.wr(reg::kTimerInitialCount, 25); // period = 100 ticks
    // Expected value at t: 25 - ((t - 7) / 4) % 25, where the count reloads at each period.
    for (uint64_t t = 7; t < 7 + 1000; t += 13) {
        r.advance_to(t);
        const uint64_t ticks = (t - 7) / 4;
        INFO("t = " << t);
        CHECK(r.rd(reg::kTimerCurrentCount) == 25 - ticks % 25);
    }
    r.advance_to(7 + 1000);
    std::vector<uint64_t> want;
    for (uint64_t k = 1; k <= 10; ++k)
        want.push_back(7 + 100 * k);
    CHECK(r.fired_at == want);
    CHECK(r.timer.deadline == 7 + 1100);
}

TEST_CASE("lapic timer: a late periodic callback does not shift later deadlines") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kPeriodic | 0x61);
    r.wr(reg::kTimerInitialCount, 50);
    CHECK(r.timer.deadline == 50);
    // The machine runs a long block and only gets round to the timer at t = 180 (deadline 50
    // missed by 130 ticks, two more periods passed): one interrupt, and the next deadline stays
    // on the 50-tick grid.
    r.clock.t = 180;
    r.timer.armed = false;
    r.apic.timer_fired(50);
    CHECK(r.timer.deadline == 200);
    CHECK(r.rd(reg::kTimerCurrentCount) == 20);
    CHECK(r.take() == 0x61);
    CHECK(r.take() == -1);
    // A stale callback for an old deadline is ignored.
    r.apic.timer_fired(50);
    CHECK(r.timer.deadline == 200);
    CHECK(r.take() == -1);
}

TEST_CASE("lapic timer: register reads catch up with a deadline the machine has not fired yet") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x62);
    r.wr(reg::kTimerInitialCount, 10);
    r.clock.t = 10; // deadline reached, callback still pending
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    CHECK(r.apic.irr(0x62));
    CHECK_FALSE(r.timer.armed);
}

TEST_CASE("lapic timer: a masked timer keeps counting but raises nothing") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kPeriodic | 0x10000 | 0x63);
    r.wr(reg::kTimerInitialCount, 10);
    r.advance_to(35);
    CHECK(r.fired_at.size() == 3);
    CHECK(r.rd(reg::kTimerCurrentCount) == 5);
    CHECK(r.apic.pending_vector() == -1);
    r.wr(reg::kLvtTimer, kPeriodic | 0x63); // unmask: the next expiry interrupts
    r.advance_to(40);
    CHECK(r.take() == 0x63);
}

TEST_CASE("lapic timer: writing 0 to the initial count stops it; rewriting restarts it") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kPeriodic | 0x64);
    r.wr(reg::kTimerInitialCount, 100);
    r.advance_to(30);
    r.wr(reg::kTimerInitialCount, 0);
    CHECK_FALSE(r.timer.armed);
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    r.advance_to(500);
    CHECK(r.fired_at.empty());
    r.wr(reg::kTimerInitialCount, 40); // restart from now
    CHECK(r.timer.deadline == 540);
    r.advance_to(520);
    r.wr(reg::kTimerInitialCount, 40); // rewrite while running: restarts
    CHECK(r.timer.deadline == 560);
    CHECK(r.rd(reg::kTimerCurrentCount) == 40);
}

TEST_CASE("lapic timer: changing the divider mid-count continues from the current count") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x65);
    r.wr(reg::kTimerInitialCount, 100);
    r.advance_to(40);
    CHECK(r.rd(reg::kTimerCurrentCount) == 60);
    r.wr(reg::kTimerDivide, 0x2); // divide by 8 from now on
    CHECK(r.rd(reg::kTimerCurrentCount) == 60);
    CHECK(r.timer.deadline == 40 + 60 * 8);
    r.advance_to(40 + 8 * 10);
    CHECK(r.rd(reg::kTimerCurrentCount) == 50);
    r.advance_to(40 + 60 * 8);
    CHECK(r.take() == 0x65);
}

TEST_CASE("lapic timer: one-shot <-> periodic switch keeps counting") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x66);
    r.wr(reg::kTimerInitialCount, 20);
    r.advance_to(5);
    r.wr(reg::kLvtTimer, kPeriodic | 0x66);
    CHECK(r.rd(reg::kTimerCurrentCount) == 15);
    r.advance_to(45);
    CHECK(r.fired_at == std::vector<uint64_t>{20, 40});
    r.wr(reg::kLvtTimer, kOneShot | 0x66);
    r.advance_to(200);
    CHECK(r.fired_at == std::vector<uint64_t>{20, 40, 60});
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
}

TEST_CASE("lapic timer: TSC-deadline mode fires once at the deadline and clears the MSR") {
    Rig r;
    r.enable();
    uint64_t v = 123;
    bool gp = true;
    // Outside TSC-deadline mode the MSR reads 0 and ignores writes.
    REQUIRE(r.apic.write_msr(reg::kMsrTscDeadline, 5000, gp));
    CHECK_FALSE(gp);
    REQUIRE(r.apic.read_msr(reg::kMsrTscDeadline, v));
    CHECK(v == 0);
    CHECK_FALSE(r.timer.armed);

    r.wr(reg::kLvtTimer, kTscDeadline | 0x70);
    CHECK(r.rd(reg::kLvtTimer) == (kTscDeadline | 0x70));
    r.clock.t = 1000;
    r.apic.write_msr(reg::kMsrTscDeadline, 5000, gp);
    r.apic.read_msr(reg::kMsrTscDeadline, v);
    CHECK(v == 5000);
    CHECK(r.timer.deadline == 5000);
    // Initial-count writes are ignored and the current count reads 0 in this mode.
    r.wr(reg::kTimerInitialCount, 77);
    CHECK(r.rd(reg::kTimerInitialCount) == 0);
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    r.advance_to(4999);
    CHECK(r.apic.pending_vector() == -1);
    r.advance_to(5000);
    CHECK(r.take() == 0x70);
    r.apic.read_msr(reg::kMsrTscDeadline, v);
    CHECK(v == 0);
    r.advance_to(20000);
    CHECK(r.fired_at == std::vector<uint64_t>{5000});
}

TEST_CASE("lapic timer: TSC deadline in the past fires at once; 0 disarms; re-writes move it") {
    Rig r;
    r.enable();
    bool gp = false;
    uint64_t v = 0;
    r.wr(reg::kLvtTimer, kTscDeadline | 0x71);
    r.clock.t = 1000;
    r.apic.write_msr(reg::kMsrTscDeadline, 999, gp);
    CHECK(r.take() == 0x71);
    r.apic.read_msr(reg::kMsrTscDeadline, v);
    CHECK(v == 0);
    r.wr(reg::kEoi, 0);

    r.apic.write_msr(reg::kMsrTscDeadline, 3000, gp);
    r.apic.write_msr(reg::kMsrTscDeadline, 0, gp);
    CHECK_FALSE(r.timer.armed);
    r.advance_to(4000);
    CHECK(r.apic.pending_vector() == -1);

    r.apic.write_msr(reg::kMsrTscDeadline, 6000, gp);
    r.apic.write_msr(reg::kMsrTscDeadline, 5000, gp); // postpone/advance: last write wins
    r.advance_to(5000);
    CHECK(r.take() == 0x71);
    r.advance_to(7000);
    CHECK(r.fired_at == std::vector<uint64_t>{5000});
}

TEST_CASE("lapic timer: switching into or out of TSC-deadline mode disarms the timer") {
    Rig r;
    r.enable();
    bool gp = false;
    uint64_t v = 1;
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x72);
    r.wr(reg::kTimerInitialCount, 100);
    r.wr(reg::kLvtTimer, kTscDeadline | 0x72);
    CHECK_FALSE(r.timer.armed);
    r.apic.write_msr(reg::kMsrTscDeadline, 50, gp);
    CHECK(r.timer.armed);
    r.wr(reg::kLvtTimer, kPeriodic | 0x72);
    CHECK_FALSE(r.timer.armed);
    r.apic.read_msr(reg::kMsrTscDeadline, v);
    CHECK(v == 0);
    r.advance_to(1000);
    CHECK(r.fired_at.empty());
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    CHECK(r.apic.pending_vector() == -1);
}

TEST_CASE("lapic timer: the reserved timer mode 11 is a stopped timer") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, (3u << 17) | 0x73);
    CHECK(r.rd(reg::kLvtTimer) == ((3u << 17) | 0x73));
    r.wr(reg::kTimerInitialCount, 10);
    CHECK_FALSE(r.timer.armed);
    CHECK(r.rd(reg::kTimerCurrentCount) == 0);
    r.advance_to(100);
    CHECK(r.apic.pending_vector() == -1);
}

TEST_CASE("lapic timer: a timer LVT entry with an illegal vector logs Receive Illegal Vector") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x0F);
    CHECK(r.esr() == 0); // writing the vector is not itself an error in hvlab
    r.wr(reg::kTimerInitialCount, 5);
    r.advance_to(5);
    CHECK(r.apic.pending_vector() == -1);
    CHECK(r.esr() == reg::kEsrReceiveIllegalVector);
}

namespace {
struct OffsetClock : DeviceClock {
    uint64_t t = 0;
    int64_t offset = 0; // guest TSC - virtual clock
    uint64_t now() const override { return t; }
    uint64_t tsc() const override { return t + static_cast<uint64_t>(offset); }
};
} // namespace

TEST_CASE("lapic timer: the TSC deadline is compared with the guest TSC, also after a TSC write") {
    OffsetClock clock;
    FakeTimer timer;
    LocalApic apic(clock, timer, 0);
    apic.mmio_write(reg::kSvr, 4, 0x1FF);
    apic.mmio_write(reg::kLvtTimer, 4, kTscDeadline | 0x74);
    clock.t = 100;
    clock.offset = 1'000'000; // guest TSC = 1'000'100
    bool gp = false;
    apic.write_msr(reg::kMsrTscDeadline, 1'000'600, gp);
    CHECK(timer.armed);
    CHECK(timer.deadline == 600); // 500 TSC ticks away on the virtual clock
    // The guest moves its TSC forward by 400: the deadline is now 100 ticks away.
    clock.offset += 400;
    apic.tsc_written();
    CHECK(timer.deadline == 200);
    // ...and backwards: a callback that arrives before the TSC reached the deadline re-arms.
    clock.offset -= 1000;
    clock.t = 200;
    timer.armed = false;
    apic.timer_fired(200); // TSC = 999'400 + 200 = 999'600 < 1'000'600
    CHECK(apic.pending_vector() == -1);
    CHECK(timer.armed);
    CHECK(timer.deadline == 1200);
    clock.t = 1200;
    timer.armed = false;
    apic.timer_fired(1200);
    CHECK(apic.pending_vector() == 0x74);
    uint64_t v = 1;
    apic.read_msr(reg::kMsrTscDeadline, v);
    CHECK(v == 0);
    // A TSC write that jumps past an armed deadline fires it at once.
    apic.write_msr(reg::kMsrTscDeadline, 5'000'000, gp);
    apic.acknowledge(0x74);
    apic.mmio_write(reg::kEoi, 4, 0);
    clock.offset = 5'000'000;
    apic.tsc_written();
    CHECK(apic.pending_vector() == 0x74);
    CHECK_FALSE(timer.armed);
}

TEST_CASE("lapic timer: a deadline reported before the clock reaches it is still honoured") {
    Rig r;
    r.enable();
    r.wr(reg::kTimerDivide, kDivBy1);
    r.wr(reg::kLvtTimer, kOneShot | 0x75);
    r.wr(reg::kTimerInitialCount, 100);
    r.clock.t = 90; // the machine's notion of "reached" is the deadline it armed
    r.timer.armed = false;
    r.apic.timer_fired(100);
    CHECK(r.take() == 0x75);
    CHECK_FALSE(r.timer.armed);
}
