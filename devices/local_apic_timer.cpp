// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "APIC Timer" and "TSC-Deadline Mode".
#include "devices/local_apic_timer.hpp"

#include <limits>
#include <utility>

namespace hvlab::devices {

namespace {
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

uint64_t saturating_add(uint64_t a, uint64_t b) {
    return b > kNever - a ? kNever : a + b;
}
} // namespace

ApicTimer::ApicTimer(DeviceClock& clock, DeviceTimer& timer, std::function<void()> on_expire)
    : clock_(clock), timer_(timer), on_expire_(std::move(on_expire)) {}

// Power-up state: counts 0, divide by 2, one-shot, nothing armed.
// SDM Vol. 3A, "Local APIC State After Power-Up or Reset".
void ApicTimer::reset() {
    disarm();
    mode_ = Mode::OneShot;
    initial_ = 0;
    dcr_ = 0;
    shift_ = divide_shift(0);
    running_ = false;
    tsc_deadline_ = 0;
}

// "The initial-count register is copied into the current-count register and count-down
// begins"; a write of 0 stops the timer in both one-shot and periodic mode. In TSC-deadline
// mode writes to the initial-count register are ignored (SDM Vol. 3A, "TSC-Deadline Mode").
void ApicTimer::write_initial_count(uint32_t value) {
    if (mode_ == Mode::TscDeadline) return;
    catch_up();
    initial_ = value;
    disarm();
    running_ = false;
    if (value != 0 && counting()) start_count(clock_.now(), value);
}

void ApicTimer::start_count(uint64_t now, uint64_t count) {
    running_ = true;
    base_time_ = now;
    base_count_ = count;
    arm(saturating_add(now, count << shift_));
}

uint32_t ApicTimer::current_count() const {
    if (!running_ || !counting()) return 0;
    return count_at(clock_.now());
}

// The count-down model of the header: base_count, then (periodic) initial .. 1 repeating.
uint32_t ApicTimer::count_at(uint64_t t) const {
    const uint64_t ticks = t <= base_time_ ? 0 : (t - base_time_) >> shift_;
    if (ticks < base_count_) return static_cast<uint32_t>(base_count_ - ticks);
    if (mode_ == Mode::OneShot || initial_ == 0) return 0;
    return static_cast<uint32_t>(initial_ - (ticks - base_count_) % initial_);
}

// A new divisor applies from now on: the count continues from its current value and the
// partly elapsed input-clock period is dropped (the prescaler restarts).
void ApicTimer::write_divide_config(uint32_t value) {
    catch_up();
    dcr_ = value & 0xB;
    const uint64_t now = clock_.now();
    const uint32_t current = running_ && counting() ? count_at(now) : 0;
    shift_ = divide_shift(dcr_);
    if (current != 0) {
        disarm();
        start_count(now, current);
    }
}

// One-shot <-> periodic keeps counting (the mode only matters when the count reaches zero).
// "Transitions between TSC-deadline mode and other timer modes also disarm the timer" (SDM
// Vol. 3A, "TSC-Deadline Mode"); the reserved mode 11 behaves as a stopped timer.
void ApicTimer::set_mode(Mode mode) {
    if (mode == mode_) return;
    catch_up();
    const bool keep = counting() && (mode == Mode::OneShot || mode == Mode::Periodic);
    mode_ = mode;
    if (keep) return;
    disarm();
    running_ = false;
    tsc_deadline_ = 0;
}

// "Writing a non-zero 64-bit value into IA32_TSC_DEADLINE arms the timer. An interrupt is
// generated when the logical processor's time-stamp counter equals or exceeds the target
// value"; writing 0 disarms; in other timer modes the MSR reads 0 and writes are ignored.
void ApicTimer::write_tsc_deadline(uint64_t value) {
    if (mode_ != Mode::TscDeadline) return;
    disarm();
    tsc_deadline_ = value;
    arm_tsc_deadline(clock_.now());
}

void ApicTimer::tsc_written() {
    if (mode_ != Mode::TscDeadline) return;
    disarm();
    arm_tsc_deadline(clock_.now());
}

// The virtual clock and the TSC advance together, so the deadline is (deadline - TSC) ticks
// of the virtual clock away; one already reached fires at once. `now` may be ahead of the clock
// when the machine reports a deadline early; the TSC is taken at that same moment.
void ApicTimer::arm_tsc_deadline(uint64_t now) {
    if (tsc_deadline_ == 0) return;
    const uint64_t tsc = clock_.tsc() + (now - clock_.now());
    if (tsc_deadline_ <= tsc)
        expire(now);
    else
        arm(saturating_add(now, tsc_deadline_ - tsc));
}

// The machine's timer reached `deadline`. It is processed even if the clock reads earlier (the
// deadline is authoritative), so an expiry is never lost.
void ApicTimer::fired(uint64_t deadline) {
    if (!armed_ || deadline != armed_deadline_) return; // stale: re-armed or disarmed since
    const uint64_t now = clock_.now();
    catch_up_at(now > deadline ? now : deadline);
}

void ApicTimer::catch_up() {
    catch_up_at(clock_.now());
}

void ApicTimer::catch_up_at(uint64_t now) {
    if (!armed_ || armed_deadline_ > now) return;
    uint64_t deadline = armed_deadline_;
    disarm();
    if (mode_ == Mode::TscDeadline) {
        arm_tsc_deadline(now); // fires if the TSC has reached the deadline, else re-arms
        return;
    }
    if (mode_ == Mode::Periodic && running_ && initial_ != 0) {
        // Several periods may have passed: one interrupt (the IRR bit collapses them), and the
        // next deadline stays on the period grid.
        const uint64_t period = uint64_t{initial_} << shift_;
        deadline += (now - deadline) / period * period;
    }
    expire(deadline);
}

// The timer reached zero (or its TSC deadline) at `deadline`.
void ApicTimer::expire(uint64_t deadline) {
    switch (mode_) {
    case Mode::OneShot: running_ = false; break;
    case Mode::Periodic: start_count(deadline, initial_); break;
    case Mode::TscDeadline: tsc_deadline_ = 0; break; // "disarms itself and clears the MSR"
    case Mode::Reserved: return;
    }
    on_expire_();
}

void ApicTimer::arm(uint64_t deadline) {
    armed_ = true;
    armed_deadline_ = deadline;
    timer_.arm(deadline);
}

void ApicTimer::disarm() {
    if (armed_) timer_.cancel();
    armed_ = false;
}

} // namespace hvlab::devices
