// The processor's VMX state: VMX operation, root/non-root, the current-VMCS pointer and the
// cached current VMCS, plus what non-root operation tracks between instructions.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Virtual Machine Control Structures" and
// "VMX Non-Root Operation".
//
// CONTRACT shared by the VMX instructions and VM entry/exit (cpu/vmx/, cpu/exec_vmx*.cpp), the
// non-root exit triggers and event handling (cpu/, cpu/system/), EPT (mmu/, LinearMemory) and
// the inspector. Plain data: it lives in CpuState (CpuState::vmx) so snapshots copy it.
#pragma once
#include "cpu/vmx/controls.hpp"
#include "cpu/vmx/vmcs_store.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

inline constexpr uint64_t kInvalidVmcsPointer = ~uint64_t{0};

// Everything a VM exit writes into the VM-exit information fields besides the guest state
// (SDM Vol. 3C, "VM-Exit Information Fields"). A trigger fills the fields its exit reason
// defines; the others stay 0 and are written as 0 where the SDM says "cleared", or left alone
// where it says "undefined".
struct ExitInfo {
    uint32_t reason = 0;             // basic exit reason (ExitReason), bits 15:0 of the field
    uint64_t qualification = 0;
    uint64_t guest_linear = 0;       // guest-linear-address field, when the reason defines it
    uint64_t guest_physical = 0;     // guest-physical-address field (EPT violation/misconfig)
    uint32_t instruction_length = 0; // exits caused by an instruction (incl. software events)
    uint32_t instruction_info = 0;   // VM-exit instruction-information field
    uint32_t interruption_info = 0;  // exceptions, NMI, external interrupts (valid bit 31)
    uint32_t interruption_error = 0;
};

struct VmxCpuState {
    bool operation = false; // in VMX operation (VMXON executed, no VMXOFF since)
    bool non_root = false;  // VMX non-root operation
    uint64_t vmxon_pointer = 0;
    uint64_t current_vmcs = kInvalidVmcsPointer;
    VmcsStore vmcs; // the processor's cache of the current VMCS

    // Controls of the running guest, decoded at VM entry (valid while non_root) so the exit
    // triggers test one bit instead of looking up the VMCS.
    PinBased pin;
    ProcBased proc;
    ProcBased2 proc2; // 0 when "activate secondary controls" is 0
    ExitControls exit_ctl;
    EntryControls entry_ctl;

    // Non-root bookkeeping (SDM Vol. 3C, "Changes to Instruction Behavior in VMX Non-Root
    // Operation", "VMX-Preemption Timer", "Monitor Trap Flag").
    bool virtual_nmi_blocked = false;  // blocking by NMI with "virtual NMIs" = 1
    // The IRET being executed removed (virtual-)NMI blocking: bit 12 ("NMI unblocking due to
    // IRET") of an exit caused by a fault on it. Cleared once the instruction is over.
    bool nmi_unblocked_by_iret = false;
    // Set by VM entry's event side: the instruction retiring next is the VMLAUNCH/VMRESUME
    // itself, so no MTF exit or single-step trap follows it in the guest.
    bool entry_in_progress = false;
    bool mtf_pending = false;          // an MTF VM exit is due at the next boundary
    bool preemption_armed = false;
    uint64_t preemption_deadline = 0;  // virtual clock at which the timer counts down to 0

    // The event being delivered through the guest IDT; a VM exit during its delivery reports
    // it as IDT-vectoring information (SDM Vol. 3C, "Information for VM Exits That Occur
    // During Event Delivery"). Bit 31 of idt_vectoring_info is the valid bit.
    uint32_t idt_vectoring_info = 0;
    uint32_t idt_vectoring_error = 0;

    // An instruction handler (or the system layer) that decides "this causes a VM exit" stores
    // the details here and returns vm_exit_fault() (cpu/fault.hpp); the run loop performs the
    // exit at the instruction's own RIP. See request_vm_exit() in cpu/vmx/vm_exit.hpp.
    ExitInfo pending_exit;
};

} // namespace hvlab::cpu::vmx
