// The instruction templates of the differential tests: one row per opcode form (mnemonic,
// opcode, operand sizes, immediate, operand constraints), in the spirit of a decoder that is
// data (STYLE.md, cpu/). A row is instantiated with random (or edge) registers, memory
// operands in the data region, prefixes and immediates; forms that need setup or a branch
// target have a small generator function instead.
#pragma once
#include "tools/harness/stream_builder.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::tools {

struct InsnTemplate {
    const char* name;  // e.g. "shld r/m,r,imm8"
    const char* klass; // instruction class of issue 3, e.g. "shift"
    void (*generate)(StreamBuilder& b, const InsnTemplate& t);
    const void* row;   // the table row for row-driven templates, else nullptr
    bool needs_bmi = false; // emitted only if hvlab's CPUID advertises BMI1/BMI2
};

// Every template, for both modes (a template that does not apply to a mode emits what the
// mode makes of its bytes, e.g. #UD for MOVSXD... in 32-bit mode it is ARPL).
const std::vector<InsnTemplate>& insn_templates();

// Appends one instance of `t` (its setup instructions included) to the builder.
inline void instantiate(StreamBuilder& b, const InsnTemplate& t) { t.generate(b, t); }

} // namespace hvlab::tools
