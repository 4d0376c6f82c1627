// Side-effect-free reads of guest memory for the memory panel, by guest-virtual (linear),
// guest-physical or host-physical address. Nothing here sets accessed/dirty bits, fills the
// TLB, raises a fault or touches an MMIO device: unreadable bytes are reported as such.
#pragma once
#include "machine/machine.hpp"

#include <cstddef>
#include <cstdint>

namespace hvlab::gui {

enum class AddressKind : uint8_t { Linear, GuestPhysical, HostPhysical };

const char* address_kind_name(AddressKind k); // "GVA", "GPA", "HPA"

// Reads n bytes at addr; valid[i] says whether dst[i] could be read.
void read_memory(machine::Machine& m, AddressKind kind, uint64_t addr, uint8_t* dst, bool* valid,
                 size_t n);

} // namespace hvlab::gui
