#include "machine/event_bus.hpp"

#include <algorithm>

namespace hvlab::machine {

void EventBus::unsubscribe(EventSink* sink) {
    std::erase_if(subs_, [&](const Sub& s) { return s.sink == sink; });
    wanted_ = 0;
    for (auto& s : subs_) wanted_ |= s.mask;
}

} // namespace hvlab::machine
