// The decoder: bytes + mode in, a DecodedInsn out. Pure: no bus access, no state change.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, "Instruction Format".
#pragma once
#include "cpu/cpu_state.hpp"
#include "cpu/decode_info.hpp"
#include "cpu/decoded_insn.hpp"

#include <cstddef>
#include <cstdint>

namespace hvlab::cpu {

inline constexpr unsigned kMaxInsnLength = 15;

// Decodes one instruction from bytes[0..avail). On Ok, `d` is complete and d.length is set.
// Undefined: an #UD encoding. TooLong: the instruction would exceed 15 bytes (#GP(0)).
// Truncated: `avail` ended before the instruction did (the caller fetches more and retries).
DecodeInfo::Status decode(const uint8_t* bytes, size_t avail, CpuMode mode, DecodedInsn& d);

} // namespace hvlab::cpu
