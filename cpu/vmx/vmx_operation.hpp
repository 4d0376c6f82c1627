// VMX operation and the VMCS-pointer instructions, after the instruction front ends
// (cpu/exec_vmx.cpp) have done the #UD / VM-exit / #GP checks and read the memory operand:
// VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMREAD, VMWRITE, plus the VMsucceed / VMfail conventions.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction Reference"
// ("Conventions" and each instruction's Operation section).
#pragma once
#include "cpu/system.hpp"
#include "cpu/vmx/vm_instruction_error.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

// How a VMX instruction that did not fault ends.
struct VmxOutcome {
    enum Kind : uint8_t { Succeed, FailInvalid, FailValid };
    Kind kind = Succeed;
    uint32_t error = 0; // VM-instruction error number, for FailValid

    static constexpr VmxOutcome succeed() { return {Succeed, 0}; }
    static constexpr VmxOutcome fail_invalid() { return {FailInvalid, 0}; }
    static constexpr VmxOutcome fail_valid(VmInstructionError e) {
        return {FailValid, static_cast<uint32_t>(e)};
    }
    bool operator==(const VmxOutcome&) const = default;
};

// VMfail(ErrorNumber): VMfailValid if there is a current VMCS, else VMfailInvalid.
VmxOutcome vm_fail(const CpuState& s, VmInstructionError e);
// The six arithmetic flags the outcome leaves: VMsucceed clears CF PF AF ZF SF OF,
// VMfailInvalid sets CF, VMfailValid sets ZF (the others cleared).
uint64_t outcome_arith_flags(const VmxOutcome& o);
// VMfailValid also writes the VM-instruction error field of the current VMCS.
void record_outcome(CpuState& s, const VmxOutcome& o);

// Whether a physical address operand (VMXON/VMCLEAR/VMPTRLD pointer) is 4 KiB aligned and
// within MAXPHYADDR.
bool valid_vmcs_pointer(uint64_t addr);

// VMXON outside VMX operation: the #GP(0) conditions (CPL > 0, CR0/CR4 not allowed by the
// FIXED MSRs, IA32_FEATURE_CONTROL not locked or VMX outside SMX disabled).
Fault vmxon_privilege_checks(const CpuState& s);
// VMXON with its memory operand read: pointer and revision checks, then enters VMX operation.
VmxOutcome vmxon(SystemContext& c, uint64_t vmxon_pointer);
VmxOutcome vmxoff(SystemContext& c);
VmxOutcome vmclear(SystemContext& c, uint64_t vmcs_pointer);
VmxOutcome vmptrld(SystemContext& c, uint64_t vmcs_pointer);
// VMREAD: on success `value` holds the field (zero-extended). The encoding is the whole
// register operand (bits 63:32 set name no field).
VmxOutcome vmread(const CpuState& s, uint64_t encoding, uint64_t& value);
// VMWRITE up to the store; the caller reads a memory operand only once the encoding was
// found writable (vmwrite_check), as the Operation section orders it.
VmxOutcome vmwrite_check(const CpuState& s, uint64_t encoding);
VmxOutcome vmwrite(CpuState& s, uint64_t encoding, uint64_t value);

} // namespace hvlab::cpu::vmx
