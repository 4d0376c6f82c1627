// Events in VMX non-root operation: which exceptions, NMIs and interrupts cause VM exits, the
// exits at an instruction boundary (monitor trap flag, VMX-preemption timer, NMI window, NMI,
// interrupt window, external interrupt) in the SDM's priority order, IDT-vectoring
// information for exits during event delivery, and IRET's effect on (virtual-)NMI blocking.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Other Causes of VM Exits", "Changes to
// Event Blocking", "Monitor Trap Flag", "VMX-Preemption Timer", "Information for VM Exits
// Due to Vectored Events" and "Information for VM Exits That Occur During Event Delivery".
//
// The system layer (event_delivery.cpp, iret.cpp, msr.cpp) and the run loop (cpu.cpp) call
// these only while s.vmx.non_root (except guest_tsc_offset, which checks it itself).
#pragma once
#include "cpu/system.hpp"
#include "cpu/vmx/vmx_cpu_state.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

// Interruption types of the VM-exit interruption-information, IDT-vectoring information and
// VM-entry interruption-information fields.
enum class InterruptionType : uint8_t {
    ExternalInterrupt = 0,
    Nmi = 2,
    HardwareException = 3,
    SoftwareInterrupt = 4,
    PrivilegedSoftwareException = 5,
    SoftwareException = 6,
    OtherEvent = 7, // VM entry only: vector 0 is a pending MTF VM exit
};
InterruptionType interruption_type(EventKind kind);

// "use TSC offsetting": what RDTSC, RDTSCP and RDMSR(IA32_TSC) add; 0 outside non-root
// operation or without the control.
uint64_t guest_tsc_offset(const CpuState& s);

// --- Event delivery (called by deliver_event) --------------------------------------------
// Whether an exception or NMI that is about to be delivered causes a VM exit instead (the
// exception bitmap with the #PF error-code mask/match; "NMI exiting"). External interrupts
// are decided at the boundary, before they are acknowledged; INT n never exits.
bool event_causes_exit(const CpuState& s, EventKind kind, uint8_t vector, uint32_t error_code);
// Stores the exception-or-NMI exit (reason 0) in s.vmx.pending_exit. qualification: the
// linear address for #PF, the DR6-style bits for #DB, else 0. instruction_length: for
// INT3/INTO/INT1 (software and privileged software exceptions), else 0.
void request_event_exit(CpuState& s, EventKind kind, uint8_t vector, bool has_error_code,
                        uint32_t error_code, uint64_t qualification, uint32_t instruction_length);
// IDT-vectoring information of the event being delivered (cleared when delivery completes or
// when the exit is "not considered to occur during event delivery").
void set_idt_vectoring(CpuState& s, EventKind kind, uint8_t vector, bool has_error_code,
                       uint32_t error_code);
void clear_idt_vectoring(CpuState& s);
// "Triple fault. A VM exit occurs if the logical processor encounters an exception while
// attempting to call the double-fault handler": reason 2 instead of shutdown.
void request_triple_fault_exit(CpuState& s);

// --- IRET (SDM Vol. 3C, "Changes to Instruction Behavior in VMX Non-Root Operation") -------
// "NMI exiting" = 0: IRET unblocks NMIs as usual; = 1: it leaves NMI blocking alone; with
// "virtual NMIs" = 1 it removes virtual-NMI blocking. Records whether it unblocked anything,
// for bit 12 of the interruption information of an exit due to a fault on that IRET.
void iret_unblocks_nmis(CpuState& s);

// --- Instruction boundary (called by the run loop) ----------------------------------------
// Something must be checked before or after every instruction: MTF, the preemption timer,
// the interrupt or NMI window.
bool boundary_watch(const CpuState& s);
enum class BoundaryOutcome : uint8_t { None, Exited, Delivered, Shutdown };
// The boundary events in priority order (INIT signal, "pending MTF VM exit", "VMX-preemption
// timer expired", NMI-window exiting, NMI, interrupt-window exiting, external interrupt). `poll`
// says whether the machine may have raised an NMI or interrupt since the last check. An exit
// is performed here (RIP is the next instruction); an NMI or interrupt that does not exit is
// delivered through the guest IDT.
BoundaryOutcome boundary_events(SystemContext& c, bool poll);
// The monitor trap flag after an instruction retired in non-root operation with the control
// set: the MTF VM exit, which has priority over a single-step trap; that trap is then saved
// as a pending debug exception (BS) instead of being delivered.
void mtf_exit(SystemContext& c, bool single_step_pending);

// Performs the pending exit (s.vmx.pending_exit) at the current RIP: for events whose exit was
// decided during delivery.
void perform_pending_exit(SystemContext& c);

} // namespace hvlab::cpu::vmx
