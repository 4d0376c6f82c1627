// I/O port dispatch: a 64 Ki-entry table from port number to device, so an IN/OUT costs one
// load and one virtual call. A port with no device reads as all ones and ignores writes, as on
// a PC (reported as an Unassigned event by the machine, never an error).
#pragma once
#include "devices/port_device.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::machine {

class PortBus {
  public:
    PortBus();
    // Claims ports [first, first + count). Throws std::logic_error on overlap (a wiring bug).
    void map(uint16_t first, uint16_t count, devices::PortDevice* dev, std::string name);

    struct Hit {
        devices::PortDevice* dev; // nullptr: nothing there
        uint16_t offset;
    };
    Hit find(uint16_t port) const {
        const Slot& s = slots_[port];
        return {s.dev, static_cast<uint16_t>(port - s.first)};
    }
    const std::string& name_of(uint16_t port) const;

  private:
    struct Slot {
        devices::PortDevice* dev = nullptr;
        uint16_t first = 0;
        uint16_t name_index = 0;
    };
    std::array<Slot, 65536> slots_{};
    std::vector<std::string> names_;
};

} // namespace hvlab::machine
