// Intel SDM, Dec 2023 (Order 325462-081).
// The LOCK-prefix rule, checked from the bytes alone: "An undefined opcode exception will
// also be generated if the LOCK prefix is used with any instruction not in the above list"
// or when "the destination operand is not a memory operand" (SDM Vol. 2, "LOCK—Assert LOCK#
// Signal Prefix"). Unicorn 2.0.1 gets this wrong both ways: it executes LOCK XADD/XCHG/BSF/
// NOP with register operands, and it aborts the whole process ("tcg fatal error") while
// translating LOCK BT/BTS/BTR/BTC with a register operand, LOCK CMP with a memory operand or
// LOCK CMPSB. So the harness never lets Unicorn translate a LOCK-prefixed instruction that
// must raise #UD; it checks hvlab against this rule instead.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <cstddef>
#include <cstdint>

namespace hvlab::tools {

// True if `bytes` start with an instruction that carries LOCK and, by the rule above, must
// raise #UD. False if there is no LOCK prefix, if LOCK is legal, or if the prefixes alone are
// too long to decide (the 15-byte limit may then apply first).
bool lock_prefix_must_fault(const uint8_t* bytes, size_t avail, Mode mode);

// The LOCK forms that make Unicorn 2.0.1 abort the process ("qemu/tcg/tcg.c:3073: tcg fatal
// error") while translating them, found by trying every LOCK-prefixed one-byte and 0F opcode
// with a memory and a register ModRM in a child process: BT/BTS/BTR/BTC (0F A3/AB/B3/BB,
// 0F BA /4-/7) with a register operand, CMP r/m,r (38/39) and CMP r/m,imm (80-83 /7) with a
// memory operand, CMPS (A6/A7); and, with or without LOCK, FF /3 and FF /5 (far CALL/JMP)
// with a register operand, which the SDM makes #UD. Unicorn translates
// ahead of the instruction it is asked to run (also across a branch it just executed), so such
// bytes are never placed in a stream.
bool unicorn_aborts_on(const uint8_t* bytes, size_t avail, Mode mode);

} // namespace hvlab::tools
