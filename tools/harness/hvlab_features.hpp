// The optional instruction-set extensions hvlab's CPUID advertises. Unicorn runs a Broadwell
// model; an instruction of an extension hvlab does not advertise is not compared (its #UD is a
// CPU-model choice, not an emulation error).
#pragma once
#include <capstone/capstone.h>
#include <cstdint>

namespace hvlab::tools {

struct HvlabFeatures {
    uint32_t leaf1_ecx = 0, leaf1_edx = 0, leaf7_ebx = 0, ext_ecx = 0, ext_edx = 0;

    static HvlabFeatures query();
    bool bmi1() const { return leaf7_ebx & (1u << 3); }
    bool bmi2() const { return leaf7_ebx & (1u << 8); }
    // nullptr if hvlab advertises what `insn` needs, else the reason not to compare it.
    const char* missing_for(const cs_insn& insn, bool long64) const;
};

} // namespace hvlab::tools
