// The VMX instructions' front ends: VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE,
// VMLAUNCH, VMRESUME, INVEPT, INVVPID, VMCALL. Each follows its Operation section in order:
// #UD (not in VMX operation, CR0.PE = 0, virtual-8086 or compatibility mode), the VM exit in
// VMX non-root operation, #GP(0) for CPL > 0, the operand reads, then the VMX operation
// itself (cpu/vmx/vmx_operation.*, vm_entry.*, invalidation.*), which ends in VMsucceed or
// VMfail. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction Reference".
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/event_injection.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/instruction_information.hpp"
#include "cpu/vmx/invalidation.hpp"
#include "cpu/vmx/vm_entry.hpp"
#include "cpu/vmx/vm_exit.hpp"
#include "cpu/vmx/vmx_operation.hpp"

namespace hvlab::cpu {

namespace {

using vmx::ExitReason;
using vmx::VmxOutcome;

constexpr Fault kGp0 = fault_ec(GP, 0);

bool v86_or_compatibility(const CpuState& s) {
    return (s.rflags & rflags::VM) || ((s.efer & efer::LMA) && !s.seg[CS].l());
}

// "IF (not in VMX operation) or (CR0.PE = 0) or (RFLAGS.VM = 1) or (IA32_EFER.LMA = 1 and
// CS.L = 0) THEN #UD" (every VMX instruction but VMXON and VMCALL; the register forms of the
// memory-operand instructions are #UD in the decoder, which has no row for them).
bool vmx_instruction_ud(const CpuState& s) {
    return !s.vmx.operation || !(s.cr0 & cr0::PE) || v86_or_compatibility(s);
}

// VMREAD/VMWRITE/INVEPT/INVVPID register operands are 64-bit in 64-bit mode, 32-bit outside.
unsigned vmx_operand_size(const Exec& x) {
    return x.is64 ? 8 : 4;
}

// The RFLAGS conventions and the VM-instruction error field.
Fault finish(Exec& x, const VmxOutcome& o) {
    set_arith_flags(x, vmx::outcome_arith_flags(o));
    vmx::record_outcome(x.s, o);
    return kNoFault;
}

vmx::OperandInfo operand_info(const DecodedInsn& d) {
    vmx::OperandInfo op;
    op.scaling = d.scale;
    op.address_size = d.addrsize == 2 ? 0 : d.addrsize == 4 ? 1 : 2;
    op.is_register = !d.mem();
    op.segment = d.seg;
    if (d.index != kNoReg) op.index = d.index;
    if (d.base != kNoReg && d.base != kRipBase) op.base = d.base;
    return op;
}

// A VMX instruction in VMX non-root operation causes a VM exit (SDM Vol. 3C, "Instructions That
// Cause VM Exits Unconditionally"). The exit qualification of the memory-operand forms is the
// displacement, sign-extended ("Exit Qualification for VM Exits Due to ... VMX instructions");
// register operands have none.
Fault vmx_instruction_exit(Exec& x, const DecodedInsn& d, ExitReason reason, uint32_t info = 0) {
    vmx::ExitInfo e;
    e.reason = static_cast<uint32_t>(reason);
    e.qualification = d.mem() ? static_cast<uint64_t>(d.disp) : 0;
    e.instruction_length = d.length;
    e.instruction_info = info;
    return vmx::request_vm_exit(x.s, e);
}

Fault read_pointer_operand(Exec& x, const DecodedInsn& d, uint64_t& ptr) {
    return read_mem(x, d.seg, effective_address(x, d), 8, ptr);
}

// --- VMXON / VMXOFF ----------------------------------------------------------------------

Fault exec_vmxon(Exec& x, const DecodedInsn& d) {
    const CpuState& s = x.s;
    if (!(s.cr0 & cr0::PE) || !(s.cr4 & cr4::VMXE) || v86_or_compatibility(s)) return fault(UD);
    if (!s.vmx.operation) {
        if (Fault f = vmx::vmxon_privilege_checks(s)) return f;
        uint64_t ptr;
        if (Fault f = read_pointer_operand(x, d, ptr)) return f;
        auto c = x.sys();
        x.after_system_op();
        return finish(x, vmx::vmxon(c, ptr));
    }
    if (s.vmx.non_root)
        return vmx_instruction_exit(x, d, ExitReason::Vmxon,
                                    vmx::instruction_info_memory(operand_info(d)));
    if (s.cpl() != 0) return kGp0;
    return finish(x, vmx::vm_fail(s, vmx::VmInstructionError::VmxonInVmxRoot));
}

Fault exec_vmxoff(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root) return vmx_instruction_exit(x, d, ExitReason::Vmxoff);
    if (x.s.cpl() != 0) return kGp0;
    auto c = x.sys();
    x.after_system_op();
    return finish(x, vmx::vmxoff(c)); // no dual-monitor treatment: never error 23
}

// --- VMCLEAR / VMPTRLD / VMPTRST -----------------------------------------------------------

template <ExitReason Reason, VmxOutcome (*Op)(SystemContext&, uint64_t)>
Fault exec_vmcs_pointer(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, Reason, vmx::instruction_info_memory(operand_info(d)));
    if (x.s.cpl() != 0) return kGp0;
    uint64_t ptr;
    if (Fault f = read_pointer_operand(x, d, ptr)) return f;
    auto c = x.sys();
    return finish(x, Op(c, ptr));
}

Fault exec_vmptrst(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, ExitReason::Vmptrst,
                                    vmx::instruction_info_memory(operand_info(d)));
    if (x.s.cpl() != 0) return kGp0;
    // "64-bit in-memory destination operand := current-VMCS pointer; VMsucceed"
    if (Fault f = write_mem(x, d.seg, effective_address(x, d), 8, x.s.vmx.current_vmcs)) return f;
    return finish(x, VmxOutcome::succeed());
}

// --- VMREAD / VMWRITE ----------------------------------------------------------------------

uint32_t vmread_vmwrite_info(const DecodedInsn& d) {
    return vmx::instruction_info_vmread_vmwrite(operand_info(d), d.mem() ? 0 : d.rm, d.reg);
}

// VMREAD r/m, r: the register operand (ModRM.reg) holds the field encoding.
Fault exec_vmread(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    // No VMCS shadowing: every VMREAD in VMX non-root operation exits.
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, ExitReason::Vmread, vmread_vmwrite_info(d));
    if (x.s.cpl() != 0) return kGp0;
    const unsigned size = vmx_operand_size(x);
    uint64_t value = 0;
    const VmxOutcome o = vmx::vmread(x.s, get_reg(x, d, d.reg, size), value);
    if (o.kind == VmxOutcome::Succeed)
        if (Fault f = write_rm(x, d, size, value)) return f;
    return finish(x, o);
}

// VMWRITE r, r/m: ModRM.reg holds the field encoding, r/m the value.
Fault exec_vmwrite(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, ExitReason::Vmwrite, vmread_vmwrite_info(d));
    if (x.s.cpl() != 0) return kGp0;
    const unsigned size = vmx_operand_size(x);
    const uint64_t encoding = get_reg(x, d, d.reg, size);
    const VmxOutcome check = vmx::vmwrite_check(x.s, encoding);
    if (check.kind != VmxOutcome::Succeed) return finish(x, check);
    uint64_t value;
    if (Fault f = read_rm(x, d, size, value)) return f;
    return finish(x, vmx::vmwrite(x.s, encoding, value));
}

// --- VMLAUNCH / VMRESUME -------------------------------------------------------------------

template <bool Launch> Fault exec_vm_entry(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, Launch ? ExitReason::Vmlaunch : ExitReason::Vmresume);
    if (x.s.cpl() != 0) return kGp0;
    auto c = x.sys();
    const vmx::VmEntryResult r = vmx::vm_entry(c, Launch);
    switch (r.kind) {
    case vmx::VmEntryResult::VmFail: return finish(x, r.outcome);
    case vmx::VmEntryResult::Aborted: x.request_shutdown(); break;
    case vmx::VmEntryResult::FailureExit: break; // host state loaded, RFLAGS = 2
    case vmx::VmEntryResult::Entered:
        // Blocking by STI / MOV SS loaded from the guest interruptibility state covers the
        // guest's first instruction: re-arm it the way STI and MOV SS do.
        if (x.s.sti_shadow) x.inhibit_events(true);
        if (x.s.movss_shadow) {
            x.inhibit_events(false);
            // Pending debug exceptions that the MOV-SS blocking holds back: a #DB (or its
            // exit) after the guest's first instruction.
            x.debug_hits |= vmx::pending_debug_held_by_movss(x.s);
        }
        break;
    }
    // The host's single-step trap for this instruction does not follow it into the guest or
    // past the host-state load.
    x.tf_active = false;
    x.after_system_op();
    return kNoFault;
}

// --- INVEPT / INVVPID ----------------------------------------------------------------------

template <ExitReason Reason, VmxOutcome (*TypeCheck)(const CpuState&, uint64_t),
          VmxOutcome (*Op)(SystemContext&, uint64_t, uint64_t, uint64_t)>
Fault exec_invalidation(Exec& x, const DecodedInsn& d) {
    if (vmx_instruction_ud(x.s)) return fault(UD);
    if (x.s.vmx.non_root)
        return vmx_instruction_exit(x, d, Reason,
                                    vmx::instruction_info_invalidation(operand_info(d), d.reg));
    if (x.s.cpl() != 0) return kGp0;
    const uint64_t type = get_reg(x, d, d.reg, vmx_operand_size(x));
    // The type is checked before the 128-bit descriptor is read.
    const VmxOutcome check = TypeCheck(x.s, type);
    if (check.kind != VmxOutcome::Succeed) return finish(x, check);
    uint64_t desc[2];
    if (Fault f = read_mem_bytes(x, d.seg, effective_address(x, d), desc, 16)) return f;
    auto c = x.sys();
    x.after_system_op(); // the interpreter's page fast paths may hold what was invalidated
    return finish(x, Op(c, type, desc[0], desc[1]));
}

// --- VMCALL ----------------------------------------------------------------------------------

// "IF not in VMX operation THEN #UD; ELSIF in VMX non-root operation THEN VM exit; ELSIF
// (RFLAGS.VM = 1) or (IA32_EFER.LMA = 1 and CS.L = 0) THEN #UD; ELSIF CPL > 0 THEN #GP(0);
// ELSIF ... the logical processor does not support the dual-monitor treatment of SMIs and
// SMM ... THEN VMfail(VMCALL executed in VMX root operation)".
Fault exec_vmcall(Exec& x, const DecodedInsn& d) {
    if (!x.s.vmx.operation) return fault(UD);
    if (x.s.vmx.non_root) return vmx_instruction_exit(x, d, ExitReason::Vmcall);
    if (v86_or_compatibility(x.s)) return fault(UD);
    if (x.s.cpl() != 0) return kGp0;
    return finish(x, vmx::vm_fail(x.s, vmx::VmInstructionError::VmcallInVmxRoot));
}

using namespace rowf;
constexpr OpcodeRow kRows[] = {
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC1), "vmcall", "", 0, exec_vmcall},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC2), "vmlaunch", "", 0, exec_vm_entry<true>},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC3), "vmresume", "", 0, exec_vm_entry<false>},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC4), "vmxoff", "", 0, exec_vmxoff},
    {Map::Two, 0xC7, Pfx::NP, slash_mem(6), "vmptrld", "Mq", 0,
     exec_vmcs_pointer<ExitReason::Vmptrld, vmx::vmptrld>},
    {Map::Two, 0xC7, Pfx::P66, slash_mem(6), "vmclear", "Mq", 0,
     exec_vmcs_pointer<ExitReason::Vmclear, vmx::vmclear>},
    {Map::Two, 0xC7, Pfx::F3, slash_mem(6), "vmxon", "Mq", 0, exec_vmxon},
    {Map::Two, 0xC7, Pfx::NP, slash_mem(7), "vmptrst", "Mq", 0, exec_vmptrst},
    {Map::Two, 0x78, Pfx::NP, kAnyExt, "vmread", "Ey,Gy", 0, exec_vmread},
    {Map::Two, 0x79, Pfx::NP, kAnyExt, "vmwrite", "Gy,Ey", 0, exec_vmwrite},
    {Map::Three38, 0x80, Pfx::P66, kMemOnly, "invept", "Gy,Mdq", 0,
     exec_invalidation<ExitReason::Invept, vmx::invept_type_check, vmx::invept>},
    {Map::Three38, 0x81, Pfx::P66, kMemOnly, "invvpid", "Gy,Mdq", 0,
     exec_invalidation<ExitReason::Invvpid, vmx::invvpid_type_check, vmx::invvpid>},
};

} // namespace

std::span<const OpcodeRow> vmx_rows() {
    return kRows;
}

} // namespace hvlab::cpu
