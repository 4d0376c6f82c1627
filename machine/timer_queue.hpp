// Device timers on the virtual clock. Each device gets a TimerHandle that can arm and cancel
// only its own timer (STYLE.md, machine/: after event-manager's EventOps); the run loop asks
// for the next deadline and fires what is due. Deterministic: ties fire in handle order.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace hvlab::machine {

class TimerQueue;

class TimerHandle {
  public:
    TimerHandle() = default;
    // Fire the callback when the virtual clock reaches `deadline` (replaces an armed one).
    void arm(uint64_t deadline);
    void cancel();
    bool armed() const;

  private:
    friend class TimerQueue;
    TimerHandle(TimerQueue* q, size_t id) : queue_(q), id_(id) {}
    TimerQueue* queue_ = nullptr;
    size_t id_ = 0;
};

class TimerQueue {
  public:
    static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

    // on_fire receives the deadline it was armed for (not the possibly later current time),
    // so a periodic timer re-armed at deadline + period never drifts.
    TimerHandle add(std::function<void(uint64_t deadline)> on_fire);
    uint64_t next_deadline() const;
    // Fires every timer whose deadline is <= now, earliest first.
    void fire_due(uint64_t now);

  private:
    friend class TimerHandle;
    struct Timer {
        uint64_t deadline = kNever;
        std::function<void(uint64_t)> on_fire;
    };
    std::vector<Timer> timers_; // few timers: a linear scan beats a heap here
};

} // namespace hvlab::machine
