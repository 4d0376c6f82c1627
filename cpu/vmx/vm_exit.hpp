// VM exits: the one place that saves guest state, writes the exit-information fields, and loads
// host state (SDM Vol. 3C, "VM Exits"; Intel SDM, Dec 2023, Order 325462-081).
//
// CONTRACT. Exit triggers never perform the exit themselves. An instruction handler or a system
// operation that finds "this causes a VM exit" calls request_vm_exit() and returns its Fault;
// the run loop then restores RIP to the instruction (as for a fault) and calls perform_vm_exit.
// Exits at an instruction boundary (interrupt, NMI, windows, MTF, preemption timer) call
// perform_vm_exit directly from the run loop with RIP at the next instruction.
#pragma once
#include "cpu/fault.hpp"
#include "cpu/system.hpp"
#include "cpu/vmx/vmx_cpu_state.hpp"

namespace hvlab::cpu::vmx {

// Stores the exit's details in s.vmx.pending_exit; returns vm_exit_fault().
inline Fault request_vm_exit(CpuState& s, const ExitInfo& info) {
    s.vmx.pending_exit = info;
    return vm_exit_fault();
}

// Performs a VM exit from non-root operation with c.s.rip as the guest RIP to save: writes
// the exit reason, qualification, guest-linear/physical address, instruction length and
// information, interruption and IDT-vectoring information; saves guest state (registers,
// segments, non-register state, MSRs per the exit controls, the VM-exit MSR-store list);
// loads host state and the VM-exit MSR-load list; on a failure there, a VMX abort (shutdown
// with the abort indicator written: s.activity is then Shutdown, which the caller must check).
// Reports the exit through CpuEnv::vm_exited. Does nothing outside VMX non-root operation.
void perform_vm_exit(SystemContext& c, const ExitInfo& info);

} // namespace hvlab::cpu::vmx
