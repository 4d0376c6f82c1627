// The APIC timer's closed-form count-down model against a tick-by-tick reference: random
// register writes at random times (fixed seeds, printed), every current-count read and every
// interrupt time must agree.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

namespace {

// One virtual-clock tick at a time, written straight from the SDM's description ("APIC
// Timer"): every D input ticks the count drops by one; at zero one-shot stops and periodic
// reloads. hvlab's documented choice for a divider change: the prescaler restarts.
struct ReferenceTimer {
    bool periodic = false, running = false;
    uint32_t initial = 0, count = 0;
    unsigned divisor = 2, phase = 0;
    std::vector<uint64_t> fires;

    void tick(uint64_t t_after) {
        if (!running) return;
        if (++phase < divisor) return;
        phase = 0;
        if (--count != 0) return;
        fires.push_back(t_after);
        if (periodic)
            count = initial;
        else
            running = false;
    }
    void write_initial(uint32_t v) {
        initial = v;
        count = v;
        phase = 0;
        running = v != 0;
    }
    void write_divide(unsigned d) {
        divisor = d;
        phase = 0;
    }
};

struct Lcg {
    uint64_t s;
    uint64_t next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s >> 33;
    }
};

void run_seed(uint64_t seed) {
    INFO("seed " << seed);
    Lcg rng{seed};
    Rig r;
    r.enable();
    ReferenceTimer ref;
    const uint32_t dcr_codes[] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB};
    const unsigned divisors[] = {2, 4, 8, 16, 32, 64, 128, 1};
    uint64_t t = 0;
    for (int op = 0; op < 300; ++op) {
        const uint64_t step = rng.next() % 400;
        for (uint64_t i = 0; i < step; ++i)
            ref.tick(t + i + 1);
        t += step;
        r.advance_to(t);
        switch (rng.next() % 5) {
        case 0: {
            const auto v = static_cast<uint32_t>(rng.next() % 90);
            r.wr(reg::kTimerInitialCount, v);
            ref.write_initial(v);
            break;
        }
        case 1: {
            const unsigned k = rng.next() % 8;
            r.wr(reg::kTimerDivide, dcr_codes[k]);
            if (ref.running)
                ref.write_divide(divisors[k]);
            else
                ref.divisor = divisors[k];
            break;
        }
        case 2: {
            const bool periodic = rng.next() & 1;
            r.wr(reg::kLvtTimer, (periodic ? 1u << 17 : 0u) | 0x40);
            ref.periodic = periodic;
            break;
        }
        default: break; // just a read
        }
        INFO("t " << t);
        REQUIRE(r.rd(reg::kTimerCurrentCount) == (ref.running ? ref.count : 0));
    }
    CHECK(r.fired_at == ref.fires);
}

} // namespace

TEST_CASE("lapic timer: closed-form model equals a tick-by-tick reference") {
    for (uint64_t seed : {1u, 2u, 3u, 42u, 2024u, 0xC0FFEEu})
        run_seed(seed);
}
