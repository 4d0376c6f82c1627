#include "devices/debug_exit.hpp"

#include <utility>

namespace hvlab::devices {

DebugExit::DebugExit(std::function<void(int status)> on_exit) : on_exit_(std::move(on_exit)) {}

uint32_t DebugExit::port_read(uint16_t offset, unsigned size) {
    if (size != 1 && size != 2 && size != 4) ++odd_size_accesses_;
    return 0;
}

void DebugExit::port_write(uint16_t offset, unsigned size, uint32_t value) {
    // QEMU accepts 1..4-byte accesses; the value is what the bus carried for that width.
    if (size != 1 && size != 2 && size != 4) {
        ++odd_size_accesses_;
        return;
    }
    const uint32_t v = size == 4 ? value : value & ((1u << (8 * size)) - 1);
    if (on_exit_) on_exit_(status_for(v));
}

} // namespace hvlab::devices
