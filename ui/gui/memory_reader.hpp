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

// Reads n bytes at addr; valid[i] says whether dst[i] could be read. A guest-physical
// address goes through the EPT at `eptp` when it is non-zero (a side-effect-free EPT walk),
// and equals the host-physical address otherwise.
void read_memory(machine::Machine& m, AddressKind kind, uint64_t addr, uint8_t* dst, bool* valid,
                 size_t n, uint64_t eptp = 0);

// The EPTP of the guest the inspector looks at: the current VMCS's, if its controls enable
// EPT (SDM Vol. 3C, "Secondary Processor-Based VM-Execution Controls"), else 0.
uint64_t inspected_eptp(const cpu::CpuState& s);

} // namespace hvlab::gui
