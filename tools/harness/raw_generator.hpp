// The share of raw random bytes: instructions nobody chose, which both emulators must still
// agree about (including #UD and every fault).
#pragma once
#include "tools/harness/disassembler.hpp"
#include "tools/harness/hvlab_features.hpp"
#include "tools/harness/stream_builder.hpp"

namespace hvlab::tools {

// Appends one raw instruction (and, often, setup that points its memory operand into the data
// region). Bytes Capstone decodes to something that cannot be compared are redrawn.
void emit_raw_insn(StreamBuilder& b, Disassembler& dis, const HvlabFeatures& features);

} // namespace hvlab::tools
