#include "machine/timer_queue.hpp"

namespace hvlab::machine {

void TimerHandle::arm(uint64_t deadline) {
    if (queue_) queue_->timers_[id_].deadline = deadline;
}
void TimerHandle::cancel() {
    if (queue_) queue_->timers_[id_].deadline = TimerQueue::kNever;
}
bool TimerHandle::armed() const {
    return queue_ && queue_->timers_[id_].deadline != TimerQueue::kNever;
}

TimerHandle TimerQueue::add(std::function<void(uint64_t)> on_fire) {
    timers_.push_back({kNever, std::move(on_fire)});
    return TimerHandle(this, timers_.size() - 1);
}

uint64_t TimerQueue::next_deadline() const {
    uint64_t next = kNever;
    for (auto& t : timers_)
        if (t.deadline < next) next = t.deadline;
    return next;
}

void TimerQueue::fire_due(uint64_t now) {
    // Earliest deadline first; ties in handle order. A callback may re-arm any timer, so the
    // scan restarts after each firing.
    for (;;) {
        Timer* due = nullptr;
        for (auto& t : timers_)
            if (t.deadline <= now && (!due || t.deadline < due->deadline)) due = &t;
        if (!due) return;
        const uint64_t deadline = due->deadline;
        due->deadline = kNever;
        due->on_fire(deadline);
    }
}

} // namespace hvlab::machine
