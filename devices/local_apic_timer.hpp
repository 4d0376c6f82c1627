// The local APIC timer: one-shot, periodic and TSC-deadline modes on the virtual clock.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "APIC Timer" and "TSC-Deadline Mode".
//
// Timer-rate rule (hvlab): the timer's input clock is the virtual clock itself, one tick per
// retired instruction (= one TSC tick), before the divide configuration. So with divide-by-D
// the current count drops by one every D instructions, and CPUID leaf 0x15/0x16 can report the
// same frequency for the TSC and the APIC timer's input ("core crystal") clock.
//
// Count-down model: the timer keeps (base_time, base_count): the current count was base_count
// at virtual time base_time and drops by one every D ticks. At base_time + base_count * D it
// reaches zero: one-shot stops at 0, periodic reloads the initial count and re-arms at exactly
// the previous deadline + initial * D, so no drift accumulates however late the callback is.
#pragma once
#include "devices/device_clock.hpp"

#include <cstdint>
#include <functional>

namespace hvlab::devices {

class ApicTimer {
  public:
    // LVT timer bits 18:17. SDM Vol. 3A, "Local Vector Table" (11 is reserved).
    enum class Mode : uint8_t { OneShot = 0, Periodic = 1, TscDeadline = 2, Reserved = 3 };

    // on_expire is called each time the timer reaches zero / its TSC deadline; the owner decides
    // whether the LVT timer entry lets the interrupt through (mask, vector check).
    ApicTimer(DeviceClock& clock, DeviceTimer& timer, std::function<void()> on_expire);

    void reset();

    // Register interface (offsets 0x380, 0x390, 0x3E0 and the LVT timer mode field).
    void write_initial_count(uint32_t value);
    uint32_t initial_count() const { return initial_; }
    uint32_t current_count() const;
    void write_divide_config(uint32_t value);
    uint32_t divide_config() const { return dcr_; }
    void set_mode(Mode mode);
    Mode mode() const { return mode_; }

    // IA32_TSC_DEADLINE (MSR 0x6E0), compared against DeviceClock::tsc().
    uint64_t tsc_deadline() const { return mode_ == Mode::TscDeadline ? tsc_deadline_ : 0; }
    void write_tsc_deadline(uint64_t value);
    // The guest wrote the TSC: the armed deadline is now a different distance away.
    void tsc_written();

    // The machine's timer reached `deadline`.
    void fired(uint64_t deadline);
    // Processes an expiry that is due (deadline <= now) but whose callback has not run yet, so
    // that register accesses always see the state at now().
    void catch_up();

    // Divide configuration (bits 3, 1:0) -> log2 of the divisor: 000 -> /2 ... 110 -> /128,
    // 111 -> /1. SDM Vol. 3A, "APIC Timer" (Divide Configuration Register).
    static unsigned divide_shift(uint32_t dcr) {
        const uint32_t code = ((dcr >> 1) & 4) | (dcr & 3);
        return (code + 1) & 7;
    }

    bool armed() const { return armed_; }
    uint64_t armed_deadline() const { return armed_deadline_; }

  private:
    bool counting() const { return mode_ == Mode::OneShot || mode_ == Mode::Periodic; }
    uint32_t count_at(uint64_t t) const;
    void start_count(uint64_t now, uint64_t count);
    void expire(uint64_t deadline);
    void arm(uint64_t deadline);
    void disarm();
    void arm_tsc_deadline(uint64_t now);
    void catch_up_at(uint64_t now);

    DeviceClock& clock_;
    DeviceTimer& timer_;
    std::function<void()> on_expire_;

    Mode mode_ = Mode::OneShot;
    uint32_t initial_ = 0;
    uint32_t dcr_ = 0;
    unsigned shift_ = 1;
    bool running_ = false;   // counting down (one-shot not yet expired, or periodic)
    uint64_t base_time_ = 0; // see the count-down model above
    uint64_t base_count_ = 0;
    uint64_t tsc_deadline_ = 0; // armed TSC deadline; 0 = disarmed
    bool armed_ = false;
    uint64_t armed_deadline_ = 0;
};

} // namespace hvlab::devices
