// The LOCK-prefix rule, checked from the bytes alone: "An undefined opcode exception will
// also be generated if the LOCK prefix is used with any instruction not in the above list"
// or when "the destination operand is not a memory operand" (SDM Vol. 2, "LOCK—Assert LOCK#
// Signal Prefix"). Unicorn 2.0.1 gets this wrong both ways: it executes LOCK XADD/XCHG/BSF/
// NOP with register operands, and it aborts the whole process ("tcg fatal error") on LOCK
// BT/BTS/BTR/BTC with a register operand. So the harness never hands a LOCK-prefixed
// instruction that must raise #UD to Unicorn; it checks hvlab against this rule instead.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <cstddef>
#include <cstdint>

namespace hvlab::tools {

// True if `bytes` start with an instruction that carries LOCK and, by the rule above, must
// raise #UD. False if there is no LOCK prefix, if LOCK is legal, or if the prefixes alone are
// too long to decide (the 15-byte limit may then apply first).
bool lock_prefix_must_fault(const uint8_t* bytes, size_t avail, Mode mode);

} // namespace hvlab::tools

namespace hvlab::tools {

// LOCK BT/BTS/BTR/BTC with a register operand, and LOCK CMP with a memory operand: Unicorn
// 2.0.1 aborts the process ("tcg fatal error") while merely translating them (it translates
// ahead of the instruction it is asked to run), so such bytes are never placed in a stream.
bool unicorn_aborts_on(const uint8_t* bytes, size_t avail, Mode mode);

} // namespace hvlab::tools
