#include "machine/port_bus.hpp"

#include <stdexcept>

namespace hvlab::machine {

PortBus::PortBus() { names_.push_back("unassigned"); }

void PortBus::map(uint16_t first, uint16_t count, devices::PortDevice* dev, std::string name) {
    for (uint32_t p = first; p < uint32_t{first} + count; ++p)
        if (slots_[p].dev)
            throw std::logic_error("port " + std::to_string(p) + " of " + name +
                                   " already belongs to " + names_[slots_[p].name_index]);
    names_.push_back(std::move(name));
    const auto idx = static_cast<uint16_t>(names_.size() - 1);
    for (uint32_t p = first; p < uint32_t{first} + count; ++p) slots_[p] = {dev, first, idx};
}

const std::string& PortBus::name_of(uint16_t port) const {
    return names_[slots_[port].name_index];
}

} // namespace hvlab::machine
