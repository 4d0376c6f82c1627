// The optional instruction-set extensions hvlab's CPUID advertises. Unicorn runs a Broadwell
// model; an instruction of an extension hvlab does not advertise is not compared (its #UD,
// or what the CPU does instead, is a CPU-model choice, not an emulation error).
#pragma once
#include <capstone/capstone.h>

namespace hvlab::tools {

struct HvlabFeatures {
    bool bmi1 = false, bmi2 = false, adx = false, lzcnt = false, lahf64 = false;

    static HvlabFeatures query();
    // nullptr if hvlab advertises what `insn` needs, else the reason not to compare it.
    const char* missing_for(const cs_insn& insn) const;
};

} // namespace hvlab::tools
