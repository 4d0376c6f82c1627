// Templates for the privileged (CPL 0) instructions that Unicorn 2.0.1 executes in its 32-bit
// and 64-bit modes: MOV to/from CR0/CR2/CR3/CR4 and DR0-DR7, SMSW/LMSW/CLTS, LGDT/LIDT/SGDT/
// SIDT, RDMSR/WRMSR of the MSRs both emulators model (system_regs.hpp), POPF/PUSHF with the
// system flags, CLI/STI, INVLPG, WBINVD/INVD, and IN/OUT/INS/OUTS (both sides read all ones
// from every port; the writes are logged and compared). Their instructions are emitted with
// StreamBuilder::emit_privileged, so only they are compared, and a stream that has them also
// compares the system registers after every step.
#pragma once
#include "tools/harness/insn_templates.hpp"

#include <vector>

namespace hvlab::tools {

std::vector<InsnTemplate> privileged_templates();

} // namespace hvlab::tools
