// Debug-register breakpoints: which of DR0-DR3 an instruction fetch, a data access or an I/O
// access matches under DR7 (SDM Vol. 3B, "Debug Registers", "Debug Exceptions"; Intel SDM,
// Dec 2023, Order 325462-081). Pure functions; the run loop and the memory and I/O paths
// call them only while DR7 enables a breakpoint, so they cost nothing otherwise.
#pragma once
#include "cpu/cpu_state.hpp"

#include <cstdint>

namespace hvlab::cpu {

namespace dr6 {
inline constexpr uint64_t kBreakpointBits = 0xF; // B0-B3
inline constexpr uint64_t BD = 1u << 13, BS = 1u << 14;
} // namespace dr6
namespace dr7 {
inline constexpr uint64_t kEnableBits = 0xFF; // L0 G0 ... L3 G3
inline constexpr uint64_t GD = 1u << 13;
} // namespace dr7

// DR7 enables at least one of DR0-DR3 (local or global).
inline bool breakpoints_enabled(const CpuState& s) { return s.dr[7] & dr7::kEnableBits; }

// B0-B3 bits of the enabled instruction breakpoints (R/W = 00) at this linear address of an
// instruction's first byte. "Instruction breakpoint addresses must have a length
// specification of 1 byte"; other lengths are undefined, hvlab matches the first byte then.
uint32_t instruction_breakpoint_hits(const CpuState& s, uint64_t linear);

// B0-B3 bits of the enabled data breakpoints that an access of `size` bytes at `linear`
// overlaps: R/W = 01 on writes, R/W = 11 on reads and writes. The breakpoint covers the
// LEN-aligned range at its address ("the unused low-order bits ... are ignored").
uint32_t data_breakpoint_hits(const CpuState& s, uint64_t linear, unsigned size, bool write);

// B0-B3 bits of the enabled I/O breakpoints (R/W = 10, only with CR4.DE = 1) that an access
// of `size` bytes at `port` overlaps.
uint32_t io_breakpoint_hits(const CpuState& s, uint16_t port, unsigned size);

} // namespace hvlab::cpu
