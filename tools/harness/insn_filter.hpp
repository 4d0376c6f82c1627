// Instructions whose outcome Unicorn cannot tell us, so comparing would test Unicorn's
// environment rather than hvlab's CPU. Each entry says why; tests/difftest/KNOWN_MISMATCHES.md
// lists them for readers.
#pragma once
#include <capstone/capstone.h>

namespace hvlab::tools {

// nullptr if the instruction can be compared, else the reason it cannot.
const char* not_comparable_reason(const cs_insn& insn);

} // namespace hvlab::tools
