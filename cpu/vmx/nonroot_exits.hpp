// Instruction-caused VM exits in VMX non-root operation: the decision, the exit qualification,
// instruction length and instruction information, and the changed instruction behaviour that
// comes with them (CR0/CR4 read shadows and masked bits, TSC offsetting, RDTSCP/INVPCID #UD).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Instructions That Cause VM Exits
// Unconditionally", "Instructions That Cause VM Exits Conditionally", "Changes to Instruction
// Behavior in VMX Non-Root Operation" and "Relative Priority of Faults and VM Exits".
//
// Each function is called from its instruction handler only when s.vmx.non_root, as one line
// placed where the SDM puts the exit among the instruction's own checks: the #UD, CPL and
// I/O-permission faults come first ("Certain exceptions have priority over VM exits. These
// include invalid-opcode exceptions, faults based on privilege level, and general-protection
// exceptions that are based on checking I/O permission bits in the task-state segment"), all
// other operand checks and memory accesses come after. A returned Fault is either
// vm_exit_fault() (details in s.vmx.pending_exit; the run loop performs the exit at the
// instruction's RIP) or an exception the SDM defines for non-root operation.
#pragma once
#include "cpu/exec_context.hpp"
#include "cpu/vmx/instruction_information.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

// Unconditional: CPUID (10), INVD (13), XSETBV (55; the CPU model has no XSAVE, so in practice
// XSETBV's #UD for CR4.OSXSAVE = 0 always comes first).
Fault exit_on_cpuid(Exec& x, const DecodedInsn& d);
Fault exit_on_invd(Exec& x, const DecodedInsn& d);
Fault exit_on_xsetbv(Exec& x, const DecodedInsn& d);

// Controlled by a single bit: HLT (12), RDPMC (15), PAUSE (40), MWAIT (36), MONITOR (39),
// WBINVD (54).
Fault exit_on_hlt(Exec& x, const DecodedInsn& d);
Fault exit_on_rdpmc(Exec& x, const DecodedInsn& d);
Fault exit_on_pause(Exec& x, const DecodedInsn& d);
Fault exit_on_mwait(Exec& x, const DecodedInsn& d);
Fault exit_on_monitor(Exec& x, const DecodedInsn& d);
Fault exit_on_wbinvd(Exec& x, const DecodedInsn& d);

// RDTSC (16) / RDTSCP (51) with "RDTSC exiting". rdtscp_undefined: RDTSCP and RDPID are #UD in
// non-root operation unless "enable RDTSCP" is 1 (checked first, before CR4.TSD).
Fault rdtscp_undefined(const Exec& x);
Fault exit_on_rdtsc(Exec& x, const DecodedInsn& d, bool rdtscp);

// INVLPG (14) with "INVLPG exiting"; the qualification is the operand's linear address.
Fault exit_on_invlpg(Exec& x, const DecodedInsn& d, uint64_t linear);
// INVPCID: #UD unless "enable INVPCID"; INVPCID exits (58) if "INVLPG exiting" is 1 too.
Fault invpcid_undefined(const Exec& x);
Fault exit_on_invpcid(Exec& x, const DecodedInsn& d);

// Control-register accesses (28). MOV to CR0/CR3/CR4/CR8: may exit; otherwise `value` becomes
// what is really written (CR0/CR4 bits owned by the host through the guest/host mask keep
// their current value). MOV from CR3/CR8 may exit; MOV from CR0/CR4 and SMSW read the shadow.
Fault mov_to_cr(Exec& x, const DecodedInsn& d, unsigned cr, uint64_t& value);
Fault mov_from_cr(Exec& x, const DecodedInsn& d, unsigned cr, uint64_t& value);
// CLTS and LMSW: `new_cr0` is the CR0 the instruction would write; on no exit the masked bits
// are put back. lmsw_source is the 16-bit operand.
Fault clts(Exec& x, const DecodedInsn& d, uint64_t& new_cr0);
Fault lmsw(Exec& x, const DecodedInsn& d, uint16_t lmsw_source, uint64_t& new_cr0);

// MOV DR (29) with "MOV-DR exiting" (the debug register is d.reg as encoded, 0-7).
Fault exit_on_mov_dr(Exec& x, const DecodedInsn& d, bool from_dr);

// I/O instructions (30): IN/OUT (immediate or DX) and INS/OUTS (string, maybe REP). Called
// after the I/O-permission check.
Fault exit_on_io(Exec& x, const DecodedInsn& d, uint16_t port, unsigned size, bool in, bool string,
                 bool immediate);

// RDMSR (31) / WRMSR (32) through the MSR bitmaps (ECX is the MSR index).
Fault exit_on_msr(Exec& x, const DecodedInsn& d, bool write);

// Descriptor-table exiting: LGDT/LIDT/SGDT/SIDT (46) and LLDT/LTR/SLDT/STR (47).
Fault exit_on_descriptor_table(Exec& x, const DecodedInsn& d, DescriptorTableInstruction which);
Fault exit_on_ldtr_tr(Exec& x, const DecodedInsn& d, LdtrTrInstruction which);

// The memory/register operand of d in the VM-exit instruction-information format.
OperandInfo operand_info(const DecodedInsn& d);

} // namespace hvlab::cpu::vmx
