// What the SDM leaves undefined for one executed instruction, so that the comparison masks
// exactly that and nothing more: RFLAGS bits, and in rare cases the destination itself.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <capstone/capstone.h>
#include <cstdint>

namespace hvlab::tools {

struct UndefinedParts {
    uint64_t flags = 0;           // RFLAGS bits not compared
    uint32_t skip_gpr = 0;        // GPRs (bit per register) whose result is undefined
    bool memory_undefined = false; // a memory destination is undefined: end the stream
};

// `pre` is the state before the instruction (shift counts come from CL or the immediate).
UndefinedParts undefined_parts(const cs_insn& insn, const ArchState& pre);

// The GPR number (0..15) behind a Capstone register of any width, or -1.
int capstone_gpr(unsigned reg);

} // namespace hvlab::tools
