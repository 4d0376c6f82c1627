// The event side of VM entry (SDM Vol. 3C, "Event Injection" and "Special Features of VM
// Entry"; Intel SDM, Dec 2023, Order 325462-081).
//
// CONTRACT with VM entry (cpu/vmx/vm_entry.*): after the guest state has been loaded and the
// VM-entry MSR-load list processed, with s.vmx.non_root = true and the cached controls
// (s.vmx.pin/proc/proc2/exit_ctl/entry_ctl) set, VM entry calls finish_vm_entry_events as its
// LAST step. It reads the VM-entry interruption-information field, exception error code and
// instruction length, the guest activity state, interruptibility state, pending debug
// exceptions and the VMX-preemption timer value from s.vmx.vmcs, and:
//   - applies the interruptibility state (blocking by STI / MOV SS / NMI) and the activity
//     state (active or HLT);
//   - arms the monitor trap flag and the VMX-preemption timer (deadline on c.clock);
//   - injects the event, if the valid bit is set, through the guest IDT right away (a fault
//     during that delivery may itself cause a VM exit, with IDT-vectoring information);
//   - clears the valid bit of the VM-entry interruption-information field.
// If the injected event's delivery causes a VM exit, finish_vm_entry_events performs it
// (perform_vm_exit) itself, so after it returns the CPU is either in non-root operation at
// the guest's first instruction or back in root operation at the host RIP.
#pragma once
#include "cpu/system.hpp"

namespace hvlab::cpu::vmx {

void finish_vm_entry_events(SystemContext& c);

// B3-B0 of valid pending debug exceptions (BS or enabled breakpoint set) that blocking by
// MOV SS holds back after a VM entry, 0 if none. The run loop keeps them for one instruction,
// as it keeps the breakpoint hits of a MOV SS (SDM Vol. 3C, "Delivery of Pending Debug
// Exceptions after VM Entry": "held pending or lost as would normally be the case"); BS needs
// nothing, since TF = 1 then and the first guest instruction single-steps anyway.
uint32_t pending_debug_held_by_movss(const CpuState& s);

} // namespace hvlab::cpu::vmx
