// Intel SDM, Dec 2023 (Order 325462-081).
// Rules the harness checks against the SDM directly, where Unicorn is known to be wrong or
// where the SDM leaves the outcome open.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <capstone/capstone.h>
#include <cstddef>
#include <cstdint>

namespace hvlab::tools {

// A legacy-SSE instruction with a 128-bit memory operand that is not 16-byte aligned:
// "#GP(0) ... If a memory operand is not aligned on a 16-byte boundary, regardless of
// segment" (SDM Vol. 2, the "Exceptions" of e.g. MOVDQA/PXOR; Vol. 1, "Alignment of
// SIMD Floating-Point and Integer Data"); MOVUPS/MOVUPD/MOVDQU/LDDQU and the SSE4.2
// string compares are exempt. Unicorn 2.0.1 never checks this alignment.
bool sse_alignment_must_fault(const cs_insn& insn, const ArchState& pre);

// Prefix combinations whose effect the SDM does not define: two different segment overrides,
// or both REPNE (F2) and REP (F3) ("it is only useful to include up to one prefix code from
// each of the four groups", SDM Vol. 2, "Instruction Prefixes"), and 66h together with F2h/F3h
// on an SSE instruction (which of them is the mandatory prefix). nullptr if none applies.
const char* undefined_prefix_combination(const cs_insn& insn, const uint8_t* bytes);

// Effective address (offset, before the segment base) of the first memory operand.
bool memory_offset(const cs_insn& insn, const ArchState& pre, uint64_t& offset, unsigned& size);

// LOCK NEG: the arithmetic flags the SDM defines ("NEG—Two's Complement Negation": CF = 0
// if the source is 0, else 1; OF, SF, ZF, AF, PF from the result), computed from the result
// that was stored. Unicorn 2.0.1 computes them wrongly for the LOCK form only (observed:
// LOCK NEG of 5 leaves SF = 0), so for it hvlab is checked against this instead.
uint64_t neg_flags(uint64_t result, unsigned size);

// REX followed by a legacy prefix in 64-bit mode: the REX is ignored ("REX prefixes ... must
// immediately precede the opcode ... other placements are ignored", SDM Vol. 2, "REX
// Prefixes"). Unicorn 2.0.1 applies it anyway (observed: 4E F3 BA imm32 ran as MOV RDX,
// imm64). True if `bytes` contain such a misplaced REX.
bool misplaced_rex(const uint8_t* bytes, size_t avail);

// A near relative branch with a 66h prefix in 64-bit mode: Intel ignores the prefix (the rel16
// forms are "N.S." in 64-bit mode, SDM Vol. 2, Jcc/JMP/CALL), Capstone 4 and Unicorn decode a
// rel16 (the AMD behaviour).
bool opsize_prefixed_near_branch(const cs_insn& insn, const uint8_t* bytes);

// 32-bit protected mode: a write through a CS override is #GP(0), a code segment is never
// writable ("#GP(0) If the destination is located in a non-writable segment", SDM Vol. 2,
// e.g. MOV; Vol. 3A, "Segment Descriptor Types"). Unicorn 2.0.1 does not check segment
// rights and performs the write.
bool code_segment_write(const cs_insn& insn);

// RET imm16: "RSP <- RSP + SRC" after the pop, at the stack-address size (SDM Vol. 2, RET).
// Unicorn 2.0.1 adds the immediate modulo 2^16 (observed: ESP 0x421098, RET 0xF611 ->
// 0x4206AD instead of 0x4306AD). Returns the architected RSP for a retired RET imm16.
bool ret_imm_rsp(const cs_insn& insn, const ArchState& pre, Mode mode, uint64_t& rsp);

} // namespace hvlab::tools
