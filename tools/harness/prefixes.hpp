// The legacy prefix bytes (SDM Vol. 2, 2.1.1 "Instruction Prefixes": LOCK, REPNE, REP, the six
// segment overrides, operand size, address size), for the harness's byte-level rules.
#pragma once
#include <cstdint>

namespace hvlab::tools {

inline bool is_legacy_prefix(uint8_t b) {
    switch (b) {
    case 0xF0:
    case 0xF2:
    case 0xF3:
    case 0x2E:
    case 0x36:
    case 0x3E:
    case 0x26:
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67: return true;
    default: return false;
    }
}

} // namespace hvlab::tools
