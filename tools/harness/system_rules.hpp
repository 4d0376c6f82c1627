// What the harness can compare of a privileged write (MOV to CRn/DRn, WRMSR, RDMSR), given the
// value and the current system registers. The templates only produce comparable writes, but a
// branch may enter a template's sequence after its set-up, so any value can reach them.
#pragma once
#include "tools/harness/arch_state.hpp"
#include "tools/harness/system_regs.hpp"

#include <capstone/capstone.h>

namespace hvlab::tools {

struct SystemWriteRule {
    enum class Kind : uint8_t {
        Compare, // both emulators run it and are compared
        MustGp,  // the SDM demands #GP(0) and Unicorn 2.0.1 does not raise it: hvlab is checked
        Skip,    // not comparable (reason in `why`)
    };
    Kind kind = Kind::Compare;
    const char* why = nullptr;
};

SystemWriteRule classify_system_write(const cs_insn& insn, const ArchState& pre,
                                      const SystemRegs& cur, Mode mode);

} // namespace hvlab::tools
