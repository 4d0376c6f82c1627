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
    bool flat64 = false;   // 64-bit mode: no segment checks, canonical addresses
    uint32_t ss_error = 0; // error code of the #SS a bad access raises
    Privilege who = Privilege::FromCpl;
};

// The current stack of state s (64-bit mode or SS-checked).
StackPointer current_stack(const CpuState& s, uint32_t ss_error = 0);

// as: the state whose CPL and paging translate the access (the post-transfer state when the
// stack belongs to the new privilege level).
Fault push(SystemContext& c, const CpuState& as, StackPointer& sp, uint64_t value, unsigned size);
// Pushes values[0..count) (count <= kMaxFrameItems), size bytes each, as one frame, the way
// event delivery and far calls build theirs (SDM Vol. 3A, Exception- or Interrupt-Handler
// Procedures; Vol. 2A, INT n/INTO/INT3/INT1 and CALL, Operation: the room for the whole frame
// is checked before anything is pushed). Every item's limit (or canonical) check comes first
// (#SS(sp.ss_error)), then write permission for every byte through paging and EPT (#PF, EPT
// exits), in push order; only then are the items stored. On a fault nothing is written and sp
// is unchanged.
inline constexpr unsigned kMaxFrameItems = 40;
// push_frame's first step alone: #SS(sp.ss_error) unless all count items of size bytes fit
// below sp.rsp within the stack's limit (canonical in 64-bit mode).
Fault frame_room(const StackPointer& sp, unsigned count, unsigned size);
Fault push_frame(SystemContext& c, const CpuState& as, StackPointer& sp, const uint64_t* values,
                 unsigned count, unsigned size);
// Reads size bytes at sp.rsp + offset without moving sp.
Fault peek_stack(SystemContext& c, const CpuState& as, const StackPointer& sp, uint64_t offset,
                 unsigned size, uint64_t& value);
// Moves sp up by n bytes, wrapping at the stack's width.
void release(StackPointer& sp, uint64_t n);

} // namespace hvlab::cpu::sys
