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

// A near relative branch or a near RET (C3, C2 iw) with a 66h prefix in 64-bit mode: Intel
// ignores the prefix (the rel16 forms are "N.S." in 64-bit mode, SDM Vol. 2, Jcc/JMP/CALL; near
// RET's operand size is 64 bits in 64-bit mode, SDM "RET"), Capstone 4 and Unicorn use 16 bits
// (the AMD behaviour). Verified on the (Intel) host: `66 C3` popped a 64-bit return address.
// hvlab follows Intel (a 64-bit pop; observed as #GP for a non-canonical popped value where
// Unicorn popped 16 bits).
bool opsize_prefixed_near_branch(const cs_insn& insn, const uint8_t* bytes);

// 32-bit protected mode: a write through a CS override is #GP(0), a code segment is never
// writable ("#GP(0) If the destination is located in a non-writable segment", SDM Vol. 2,
// e.g. MOV; Vol. 3A, "Segment Descriptor Types"). Unicorn 2.0.1 does not check segment
// rights and performs the write.
bool code_segment_write(const cs_insn& insn);

// The #UD/#NM an SSE instruction raises before anything else when SSE is unavailable: CR0.EM = 1
// or CR4.OSFXSR = 0 is #UD, else CR0.TS = 1 is #NM (SDM Vol. 2, "Exceptions Type 4" and the
// other SSE exception classes; Vol. 3A, "Effect of CR0.EM/TS on SSE"). These are faults from
// decoding the instruction, which precede every fault from executing it, such as the #GP(0)
// of a write through CS (SDM Vol. 3A, "Priority Among Concurrent Exceptions and Interrupts").
// -1 if `insn` is not SSE or SSE is available.
int sse_unavailable_vector(const cs_insn& insn, uint64_t cr0, uint64_t cr4);

// SHLD/SHRD r/m, r, imm8 and RORX r, r/m, imm8 with a RIP-relative memory operand (64-bit
// mode): the SDM computes RIP-relative addresses from the address of the NEXT instruction,
// i.e. after the immediate ("RIP-Relative Addressing", SDM Vol. 2, 2.2.1.6). Unicorn 2.0.1
// leaves the imm8 out for these three (observed: `44 0F A4 25 db 19 01 00 27` at 0x40001E,
// shld [rip+0x119db], r12d, 0x27, wrote at 0x411A01 instead of 0x411A02; likewise
// `48 0F AC 15 ..` shrd and `C4 E3 7B F0 0D ..` rorx). hvlab uses the SDM address (its decoder
// adds the immediate length before resolving RIP-relative operands). Such instructions are
// skipped. True if `insn` is one of them.
bool unicorn_rip_relative_imm8(const cs_insn& insn);

// ENTER with 66h in 64-bit mode: the host (Intel) writes only BP (verified: `66 C8 00 00 00`
// with RBP = 0x1122334455667788 left RBP = 0x11223344556630xx), as hvlab does; Unicorn 2.0.1
// writes all of RBP (observed: `67 66 45 C8 E4 72 40` gave RBP = 0x420F5E). The SDM's
// pseudo-code ("IF StackSize = 64 THEN RBP <- FrameTemp") disagrees with the host; the
// combination is skipped rather than judged.
bool opsize_prefixed_enter(const cs_insn& insn, const uint8_t* bytes);

// Encodings the SDM does not define but Unicorn 2.0.1 executes (hvlab raises #UD):
// MOVNTI with 66h/F2h/F3h (it is "NP 0F C3 /r": "use of 66/F2/F3 prefixes ... not allowed",
// SDM Vol. 2, 3.1.1.2; observed `66 0F C3 5C D9 50` executed by Unicorn), and the register
// forms of MOVLPD/MOVHPD (66 0F 12/13/16/17 with ModRM.mod = 11: only m64 forms exist,
// "MOVHPD xmm1, m64"; observed `67 66 66 0F 16 C8` run by Unicorn as MOVLHPS). Skipped.
bool prefix_not_allowed(const cs_insn& insn);

// MOV r/m8, imm8 / MOV r/m, imm (C6 /0, C7 /0) with REX.R = 1: ModRM.reg is an opcode
// extension, which REX.R does not change ("REX Prefixes", SDM Vol. 2: REX.R extends ModRM.reg
// only where it names a register). Verified on the host: `44 C6 00 CE` stored 0xCE. Unicorn
// 2.0.1 raises #UD (observed: `44 C6 82 ..`). Skipped.
bool mov_imm_with_rex_r(const cs_insn& insn);

// MOV r/m, Sreg (8C) and MOV Sreg, r/m (8E) that Capstone 4 cannot decode (observed: `4D 8C E4`,
// mov r12, fs with REX.WRB). Segment selectors differ by design (Unicorn has no GDT; the
// MOV-from-Sreg filter in insn_filter.cpp covers the forms Capstone decodes). Skipped.
bool segment_move_unknown_to_capstone(const uint8_t* bytes, size_t avail, bool long_mode);

// Legacy-SSE CMPPS/CMPPD/CMPSS/CMPSD (0F C2 /r ib) with imm8 > 7: only imm8[2:0] select the
// predicate, bits 7:3 are reserved (SDM Vol. 2, "CMPPS": "for 128-bit legacy SSE version ...
// bits 2:0 of the immediate define the type of comparison"). The real host CPU executes them
// (verified: `0F C2 D5 D8` = cmpps xmm2, xmm5, 0xD8 compared for equality, `F3 0F C2 D5 D9`
// for less-than); Unicorn 2.0.1 raises #UD (QEMU rejects predicates >= 8 without VEX).
// Such instructions are skipped. `bytes` are the instruction's bytes.
bool legacy_cmp_high_predicate(const cs_insn& insn, const uint8_t* bytes);

// An MMX-register form of a 0F-map opcode: no 66h (and no F2h/F3h) on 0F 60-76, 7E, 7F,
// D1-FE (except 6C, 6D, D6, E6, F0, which have no MMX form), 0F 38 00-0B/1C-1E, 0F 3A 0F. hvlab
// advertises no MMX, so these are #UD on hvlab and outside its CPU model (MMX state is not
// compared). Capstone 4 names such an instruction with XMM operands when REX.W is present (e.g. `48
// 0F 74 C2` shown as pcmpeqb xmm0, xmm2; Unicorn runs it as pcmpeqb mm0, mm2), so the MMX-register
// filter in insn_filter.cpp misses it. Such instructions are skipped.
bool mmx_form(const cs_insn& insn);

// RET imm16: "RSP <- RSP + SRC" after the pop, at the stack-address size (SDM Vol. 2, RET).
// Unicorn 2.0.1 adds the immediate modulo 2^16 (observed: ESP 0x421098, RET 0xF611 ->
// 0x4206AD instead of 0x4306AD). Returns the architected RSP for a retired RET imm16.
bool ret_imm_rsp(const cs_insn& insn, const ArchState& pre, Mode mode, uint64_t& rsp);

// AMD SVM instructions (0F 01 D8-DF: VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT,
// INVLPGA). hvlab is an Intel model: the SDM's opcode map has no such instructions, so they are
// #UD. Unicorn 2.0.1 executes STGI/CLGI/SKINIT because its feature set includes SKINIT.
bool amd_svm_instruction(const cs_insn& insn);

// 66h with RCPPS/RSQRTPS (66 0F 52/53): blank in the SDM's opcode map (Table A-3), so #UD;
// Capstone 4 and Unicorn 2.0.1 take it as RCPPS/RSQRTPS.
bool undefined_sse_form(const cs_insn& insn);

// CLFLUSH/CLFLUSHOPT of an address outside the test regions: the SDM ("CLFLUSH", 64-Bit Mode
// Exceptions) has #PF for a page fault and #GP(0)/#SS(0) for a non-canonical address; Unicorn
// 2.0.1 does not translate the address and retires it. Gives the vector hvlab must raise.
bool clflush_must_fault(const cs_insn& insn, const ArchState& pre, uint64_t seg_base, bool long64,
                        int& vector, int& alt_vector);

// Two different segment overrides before the opcode (REX bytes in between allowed): hvlab
// takes the first, Unicorn the last; the SDM leaves it open. For bytes Capstone cannot decode.
bool two_segment_overrides(const uint8_t* b, size_t avail);

} // namespace hvlab::tools
