// Capstone 4 as the harness's independent view of an instruction: its mnemonic and operands
// decide which flags are undefined and whether Unicorn can be compared at all.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <capstone/capstone.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace hvlab::tools {

class Disassembler {
  public:
    explicit Disassembler(Mode mode);
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // Decodes one instruction; nullptr if Capstone does not know the bytes. The result stays
    // valid until the next call.
    const cs_insn* decode(const uint8_t* bytes, size_t avail, uint64_t address);
    std::string text(const cs_insn* insn) const;

  private:
    csh handle_ = 0;
    cs_insn* insn_ = nullptr;
};

} // namespace hvlab::tools
