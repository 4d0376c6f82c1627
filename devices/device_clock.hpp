// Time as a device sees it, without including machine/ (ARCHITECTURE.md, Layers): the machine
// implements both interfaces over its virtual clock and timer queue and hands them to devices.
#pragma once
#include <cstdint>

namespace hvlab::devices {

// The virtual clock: the count of retired instructions. Timer deadlines are on this clock.
// tsc() is the guest-visible time-stamp counter: the virtual clock plus whatever offset a
// WRMSR to IA32_TIME_STAMP_COUNTER introduced (none by default).
class DeviceClock {
  public:
    virtual ~DeviceClock() = default;
    virtual uint64_t now() const = 0;
    virtual uint64_t tsc() const { return now(); }
};

// One device-owned timer on the virtual clock. arm() replaces an armed deadline. When the clock
// reaches the deadline the machine calls the device back with that deadline (not the possibly
// later current time), so a periodic device can re-arm at deadline + period without drift.
class DeviceTimer {
  public:
    virtual ~DeviceTimer() = default;
    virtual void arm(uint64_t deadline) = 0;
    virtual void cancel() = 0;
};

} // namespace hvlab::devices
