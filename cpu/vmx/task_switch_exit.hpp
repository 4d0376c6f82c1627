// Task switches in VMX non-root operation. hvlab has no hardware task switching, but a guest
// outside IA-32e mode that attempts one must get the VM exit the SDM describes (basic exit
// reason 9), after the checks that come before it. Intel SDM, Dec 2023 (Order 325462-081),
// Vol. 3C, "Task Switches" (VMX non-root operation) and "Exit Qualification for Task
// Switches"; Vol. 2A, CALL, JMP, IRET and INT n (their task-gate and TSS paths).
#pragma once
#include "cpu/fault.hpp"
#include "cpu/system.hpp"
#include "cpu/system/descriptor.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

// Bits 31:30 of the exit qualification.
enum class TaskSwitchSource : uint8_t { Call = 0, Iret = 1, Jmp = 2, IdtTaskGate = 3 };

// True for the descriptors a far CALL/JMP switches tasks through: a TSS or a task gate.
bool is_task_switch_target(const sys::Descriptor& d);

// Far CALL/JMP (outside IA-32e mode) to `sel`, whose descriptor `d` is a TSS or a task gate:
// the privilege, type, present and limit checks, then the VM exit. Returns the fault the
// checks raise, or the VM-exit fault.
Fault task_switch_far_transfer(SystemContext& c, uint16_t sel, const sys::Descriptor& d,
                               bool is_call);

// IRET with RFLAGS.NT = 1 outside IA-32e mode: the back link of the current TSS is checked as
// the TSS to return to, then the VM exit.
Fault task_switch_iret(SystemContext& c);

// An event delivered through a task gate in the IDT (gate DPL and present already checked by
// the caller): the TSS checks with the event's EXT bit, then the VM exit.
Fault task_switch_idt_gate(SystemContext& c, uint16_t tss_sel, uint32_t ext);

} // namespace hvlab::cpu::vmx
