// The system structures hvlab needs to run a test stream and to deliver its exceptions to
// recognisable stubs: GDT, IDT, TSS, exception stack, stubs and (64-bit mode) 4-level page
// tables that identity-map exactly the test regions (guest_layout.hpp has the map).
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/phys_bus.hpp"
#include "tools/harness/arch_state.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::tools {

// Image of physical [0, layout::kSystemEnd) holding every system structure for `mode`.
std::vector<uint8_t> system_image(Mode mode);

// Control registers, segments, descriptor-table registers and TR for `mode`: 64-bit long
// mode with paging (CR0.PE|PG, CR4.PAE|OSFXSR, EFER.LME|LMA, CS.L) or flat 32-bit protected
// mode without paging.
void set_system_state(cpu::CpuState& s, Mode mode, uint64_t fs_base, uint64_t gs_base);

// Linear address of the first exception stub (vector v's stub is at + 16 * v).
uint64_t stub_base(Mode mode);

} // namespace hvlab::tools
