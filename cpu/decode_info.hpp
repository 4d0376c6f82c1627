// Decoder facts for tools and the Capstone cross-check (tests/decoder), independent of how the
// interpreter stores its decoded form. CONTRACT implemented by the decoder (cpu/decoder*).
#pragma once
#include "cpu/cpu_state.hpp"

#include <cstddef>
#include <cstdint>

namespace hvlab::cpu {

struct DecodeInfo {
    enum class Status : uint8_t {
        Ok,          // a complete, defined instruction of `length` bytes
        Undefined,   // #UD encoding (length = bytes consumed up to the point of the decision)
        TooLong,     // more than 15 bytes: #GP(0) (SDM Vol. 2, Instruction Format)
        Truncated,   // `avail` ended inside the instruction
    };
    Status status = Status::Undefined;
    uint8_t length = 0;
    const char* mnemonic = ""; // lower-case Intel mnemonic as Capstone spells it, "" if unknown
};

DecodeInfo decode_info(const uint8_t* bytes, size_t avail, CpuMode mode);

} // namespace hvlab::cpu
