// Test doubles for the device interfaces: a byte sink that records output and an IRQ line that
// records its level and how often it changed.
#pragma once
#include "devices/port_device.hpp"

#include <string>
#include <vector>

namespace hvlab::test {

struct RecordingSink : devices::ByteSink {
    std::string bytes;
    void put(uint8_t b) override { bytes += static_cast<char>(b); }
};

struct RecordingIrq : devices::IrqLine {
    bool level = false;
    int edges = 0; // changes of level
    void set_level(bool asserted) override {
        if (asserted != level) ++edges;
        level = asserted;
    }
};

} // namespace hvlab::test
