// Fan-out of the event stream to subscribers, each with the mask of types it wants.
#pragma once
#include "machine/event.hpp"

#include <vector>

namespace hvlab::machine {

class EventSink {
  public:
    virtual ~EventSink() = default;
    virtual void on_event(const Event& e) = 0;
};

class EventBus {
  public:
    void subscribe(EventSink* sink, EventMask mask) {
        subs_.push_back({sink, mask});
        wanted_ |= mask;
    }
    void unsubscribe(EventSink* sink);
    bool wants(EventType t) const { return wanted_ & event_bit(t); }
    void emit(const Event& e) {
        if (!wants(e.type)) return;
        for (auto& s : subs_)
            if (s.mask & event_bit(e.type)) s.sink->on_event(e);
    }

  private:
    struct Sub {
        EventSink* sink;
        EventMask mask;
    };
    std::vector<Sub> subs_;
    EventMask wanted_ = 0;
};

} // namespace hvlab::machine
