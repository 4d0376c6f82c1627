// A local APIC on a fake virtual clock and timer, for the tests in this folder. advance_to()
// behaves like the machine's run loop: every deadline that falls inside the step fires with the
// clock set to exactly that deadline, earliest first.
#pragma once
#include "devices/device_clock.hpp"
#include "devices/local_apic.hpp"
#include "devices/local_apic_regs.hpp"

#include <cstdint>
#include <vector>

namespace lapic_test {

using namespace hvlab::devices;
namespace reg = hvlab::devices::lapic;

struct FakeClock : DeviceClock {
    uint64_t t = 0;
    uint64_t now() const override { return t; }
};

struct FakeTimer : DeviceTimer {
    bool armed = false;
    uint64_t deadline = 0;
    unsigned cancels = 0;
    void arm(uint64_t d) override {
        armed = true;
        deadline = d;
    }
    void cancel() override {
        armed = false;
        ++cancels;
    }
};

struct Rig {
    FakeClock clock;
    FakeTimer timer;
    LocalApic apic{clock, timer, 0};
    std::vector<uint64_t> fired_at; // clock values at which the timer callback ran

    uint32_t rd(uint32_t off) { return static_cast<uint32_t>(apic.mmio_read(off, 4)); }
    void wr(uint32_t off, uint32_t v) { apic.mmio_write(off, 4, v); }

    // SVR = 0x1FF: software-enabled, spurious vector 0xFF.
    void enable() { wr(reg::kSvr, 0x1FF); }

    void advance_to(uint64_t t) {
        while (timer.armed && timer.deadline <= t) {
            clock.t = timer.deadline;
            timer.armed = false;
            fired_at.push_back(clock.t);
            apic.timer_fired(clock.t);
        }
        clock.t = t;
    }

    // Takes the interrupt the CPU would take now (INTA), or returns -1.
    int take() {
        const int v = apic.pending_vector();
        if (v >= 0) apic.acknowledge(static_cast<uint8_t>(v));
        return v;
    }

    // Sends a fixed, edge-triggered IPI with the self shorthand.
    void self_ipi(uint8_t vector) { wr(reg::kIcrLow, (1u << 18) | vector); }

    // ESR as software reads it: write, then read.
    uint32_t esr() {
        wr(reg::kEsr, 0);
        return rd(reg::kEsr);
    }
};

} // namespace lapic_test
