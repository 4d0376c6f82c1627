// Stack pushes and pops on a stack that may not be the current one yet (far calls through
// call gates, interrupts with a stack switch, returns to an outer level). Nothing here changes
// CpuState: callers commit the new RSP/SS only when the whole transfer has succeeded.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "cpu/cpu_state.hpp"
#include "cpu/system.hpp"

#include <cstdint>

namespace hvlab::cpu::sys {

struct StackPointer {
    Segment ss;
    uint64_t rsp = 0;
    bool flat64 = false;       // 64-bit mode: no segment checks, canonical addresses
    uint32_t ss_error = 0;     // error code of the #SS a bad access raises
    Privilege who = Privilege::FromCpl;
};

// The current stack of state s (64-bit mode or SS-checked).
StackPointer current_stack(const CpuState& s, uint32_t ss_error = 0);

// as: the state whose CPL and paging translate the access (the post-transfer state when the
// stack belongs to the new privilege level).
Fault push(SystemContext& c, const CpuState& as, StackPointer& sp, uint64_t value, unsigned size);
// Reads size bytes at sp.rsp + offset without moving sp.
Fault peek_stack(SystemContext& c, const CpuState& as, const StackPointer& sp, uint64_t offset,
                 unsigned size, uint64_t& value);
// Moves sp up by n bytes, wrapping at the stack's width.
void release(StackPointer& sp, uint64_t n);

} // namespace hvlab::cpu::sys
