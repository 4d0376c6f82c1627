// Events in VMX non-root operation. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Other
// Causes of VM Exits", "Changes to Event Blocking", "Monitor Trap Flag", "VMX-Preemption
// Timer", "Information for VM Exits Due to Vectored Events", "Information for VM Exits That
// Occur During Event Delivery"; the boundary priority order is Vol. 3A, "Priority Among
// Events" as refined by each of those sections.
#include "cpu/vmx/nonroot_events.hpp"

#include "cpu/vmx/exception_exit.hpp"
#include "cpu/vmx/exit_qualification.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vm_exit.hpp"
#include "cpu/vmx/vmcs_fields.hpp"

namespace hvlab::cpu::vmx {

namespace {

constexpr uint64_t kDr6Bs = 1u << 14; // single step (DR6.BS; same bit in the qualification)

uint32_t encode_event(EventKind kind, uint8_t vector, bool has_error_code, bool nmi_unblocking) {
    const EventInformation e{vector, static_cast<uint8_t>(interruption_type(kind)), has_error_code,
                             nmi_unblocking};
    return e.encode();
}

ExitInfo reason_only(ExitReason r) {
    ExitInfo e;
    e.reason = static_cast<uint32_t>(r);
    return e;
}

BoundaryOutcome exit_now(SystemContext& c, const ExitInfo& info) {
    perform_vm_exit(c, info);
    return c.s.activity == CpuState::Activity::Shutdown ? BoundaryOutcome::Shutdown
                                                        : BoundaryOutcome::Exited;
}

// An NMI or interrupt that does not exit is delivered through the guest IDT; its delivery may
// still end in a VM exit (a nested exception in the exception bitmap, an EPT violation).
BoundaryOutcome deliver(SystemContext& c, EventKind kind, uint8_t vector) {
    c.s.activity = CpuState::Activity::Active;
    switch (deliver_event(c, kind, vector, false, 0, c.s.rip)) {
    case DeliveryOutcome::Delivered:
        // "A pending event ... delivered before an instruction can execute": the MTF VM exit
        // is pending on the boundary after its delivery (Monitor Trap Flag).
        if (c.s.vmx.proc.monitor_trap_flag()) c.s.vmx.mtf_pending = true;
        return BoundaryOutcome::Delivered;
    case DeliveryOutcome::VmExit: return exit_now(c, c.s.vmx.pending_exit);
    case DeliveryOutcome::Shutdown: break;
    }
    return BoundaryOutcome::Shutdown;
}

} // namespace

InterruptionType interruption_type(EventKind kind) {
    switch (kind) {
    case EventKind::Exception: return InterruptionType::HardwareException;
    case EventKind::ExternalInterrupt: return InterruptionType::ExternalInterrupt;
    case EventKind::Nmi: return InterruptionType::Nmi;
    case EventKind::SoftwareInterrupt: return InterruptionType::SoftwareInterrupt;
    case EventKind::SoftwareException: return InterruptionType::SoftwareException;
    case EventKind::PrivSoftwareException: return InterruptionType::PrivilegedSoftwareException;
    }
    return InterruptionType::HardwareException;
}

uint64_t guest_tsc_offset(const CpuState& s) {
    if (!s.vmx.non_root || !s.vmx.proc.use_tsc_offsetting()) return 0;
    return s.vmx.vmcs.get(vmcs::TSC_OFFSET);
}

// "Exceptions. Exceptions (faults, traps, and aborts) cause VM exits based on the exception
// bitmap"; "NMIs. An NMI causes a VM exit if the 'NMI exiting' VM-execution control is 1."
bool event_causes_exit(const CpuState& s, EventKind kind, uint8_t vector, uint32_t error_code) {
    const VmxCpuState& v = s.vmx;
    switch (kind) {
    case EventKind::Exception:
    case EventKind::SoftwareException:
    case EventKind::PrivSoftwareException: {
        const auto bitmap = static_cast<uint32_t>(v.vmcs.get(vmcs::EXCEPTION_BITMAP));
        const auto mask = static_cast<uint32_t>(v.vmcs.get(vmcs::PAGE_FAULT_ERROR_CODE_MASK));
        const auto match = static_cast<uint32_t>(v.vmcs.get(vmcs::PAGE_FAULT_ERROR_CODE_MATCH));
        return exception_causes_exit(bitmap, vector, error_code, mask, match);
    }
    case EventKind::Nmi: return v.pin.nmi_exiting();
    default: return false;
    }
}

void request_event_exit(CpuState& s, EventKind kind, uint8_t vector, bool has_error_code,
                        uint32_t error_code, uint64_t qualification, uint32_t instruction_length) {
    ExitInfo e = reason_only(ExitReason::ExceptionOrNmi);
    // Bit 12 "NMI unblocking due to IRET" is undefined when the IDT-vectoring information is
    // valid, for #DF, and with "NMI exiting" = 1 and "virtual NMIs" = 0; hvlab writes 0 there.
    const bool nmi_unblocking = s.vmx.nmi_unblocked_by_iret && !(s.vmx.idt_vectoring_info >> 31) &&
                                !(kind == EventKind::Exception && vector == DF);
    e.interruption_info = encode_event(kind, vector, has_error_code, nmi_unblocking);
    e.interruption_error = has_error_code ? error_code : 0;
    e.qualification = qualification;
    e.instruction_length = instruction_length;
    s.vmx.pending_exit = e;
}

void set_idt_vectoring(CpuState& s, EventKind kind, uint8_t vector, bool has_error_code,
                       uint32_t error_code) {
    // Bit 12 of the IDT-vectoring information is undefined; hvlab leaves it 0.
    s.vmx.idt_vectoring_info = encode_event(kind, vector, has_error_code, false);
    s.vmx.idt_vectoring_error = has_error_code ? error_code : 0;
}

void clear_idt_vectoring(CpuState& s) {
    s.vmx.idt_vectoring_info = s.vmx.idt_vectoring_error = 0;
}

void request_triple_fault_exit(CpuState& s) {
    // "A VM exit is not considered to occur during event delivery [if] the VM exit is caused
    // by a triple fault."
    clear_idt_vectoring(s);
    s.vmx.pending_exit = reason_only(ExitReason::TripleFault);
}

void iret_unblocks_nmis(CpuState& s) {
    VmxCpuState& v = s.vmx;
    if (v.pin.virtual_nmis()) {
        v.nmi_unblocked_by_iret = v.virtual_nmi_blocked;
        v.virtual_nmi_blocked = false;
    } else if (!v.pin.nmi_exiting()) {
        v.nmi_unblocked_by_iret = s.nmi_blocked;
        s.nmi_blocked = false;
    }
}

bool boundary_watch(const CpuState& s) {
    const VmxCpuState& v = s.vmx;
    return v.mtf_pending || v.preemption_armed || v.proc.monitor_trap_flag() ||
           v.proc.interrupt_window_exiting() || v.proc.nmi_window_exiting();
}

BoundaryOutcome boundary_events(SystemContext& c, bool poll) {
    CpuState& s = c.s;
    VmxCpuState& v = s.vmx;
    // "INIT signals. Such exits do not modify register state or clear pending events as they
    // would outside of VMX operation" (Other Causes of VM Exits); INIT is not blocked in
    // non-root operation by RFLAGS.IF or the shadows.
    if (poll && c.env.init_pending()) {
        c.env.acknowledge_init();
        return exit_now(c, reason_only(ExitReason::InitSignal));
    }
    // "SMIs, INITs, and higher priority events take priority over MTF VM exits. MTF VM exits
    // take priority over debug-trap exceptions and lower priority events." A pending MTF exit
    // here follows the delivery of an event (a fault, or an event injected by VM entry).
    if (v.mtf_pending) {
        v.mtf_pending = false;
        return exit_now(c, reason_only(ExitReason::MonitorTrapFlag));
    }
    // "Debug-trap exceptions and higher priority events take priority over VM exits caused by
    // the VMX-preemption timer. VM exits caused by the VMX-preemption timer take priority over
    // VM exits caused by the 'NMI-window exiting' VM-execution control and lower priority
    // events." The timer counts in the HLT state too.
    if (v.preemption_armed && c.clock >= v.preemption_deadline) {
        v.preemption_armed = false;
        return exit_now(c, reason_only(ExitReason::PreemptionTimer));
    }
    // "If the 'NMI-window exiting' VM-execution control is 1, a VM exit occurs before
    // execution of any instruction if there is no virtual-NMI blocking and there is no
    // blocking of events by MOV SS." It wakes the processor from HLT.
    if (v.proc.nmi_window_exiting() && !v.virtual_nmi_blocked && !s.movss_shadow)
        return exit_now(c, reason_only(ExitReason::NmiWindow));
    if (poll && !s.nmi_blocked && !s.movss_shadow && c.env.nmi_pending()) {
        c.env.acknowledge_nmi();
        if (!v.pin.nmi_exiting()) return deliver(c, EventKind::Nmi, NMI);
        ExitInfo e = reason_only(ExitReason::ExceptionOrNmi);
        e.interruption_info = encode_event(EventKind::Nmi, NMI, false, false);
        return exit_now(c, e);
    }
    // "If the 'interrupt-window exiting' VM-execution control is 1, a VM exit occurs before
    // execution of any instruction if RFLAGS.IF = 1 and there is no blocking of events by
    // STI or by MOV SS."
    const bool interrupts_open = (s.rflags & rflags::IF) && !s.sti_shadow && !s.movss_shadow;
    if (v.proc.interrupt_window_exiting() && interrupts_open)
        return exit_now(c, reason_only(ExitReason::InterruptWindow));
    // "If the 'external-interrupt exiting' VM-execution control is 1, RFLAGS.IF does not
    // control the blocking of external interrupts. In this case, an external interrupt that
    // is not blocked for other reasons causes a VM exit (even if RFLAGS.IF = 0)" (Changes to
    // Event Blocking); hvlab keeps the STI and MOV SS shadows as such other reasons.
    const bool exiting = v.pin.external_interrupt_exiting();
    const bool unblocked = exiting ? !s.sti_shadow && !s.movss_shadow : interrupts_open;
    if (poll && unblocked) {
        const int vector = c.env.pending_interrupt();
        if (vector < 0) return BoundaryOutcome::None;
        const auto vec = static_cast<uint8_t>(vector);
        if (!exiting) {
            c.env.acknowledge_interrupt(vec);
            return deliver(c, EventKind::ExternalInterrupt, vec);
        }
        // "External interrupts. An external interrupt causes a VM exit if the 'external-
        // interrupt exiting' VM-execution control is 1." With "acknowledge interrupt on exit"
        // the processor acknowledges it and reports its vector; without, it stays pending in
        // the interrupt controller and the interruption information is invalid.
        ExitInfo e = reason_only(ExitReason::ExternalInterrupt);
        if (v.exit_ctl.acknowledge_interrupt_on_exit()) {
            c.env.acknowledge_interrupt(vec);
            e.interruption_info = encode_event(EventKind::ExternalInterrupt, vec, false, false);
        }
        return exit_now(c, e);
    }
    return BoundaryOutcome::None;
}

void mtf_exit(SystemContext& c, bool single_step_pending) {
    c.s.vmx.mtf_pending = false;
    perform_vm_exit(c, reason_only(ExitReason::MonitorTrapFlag));
    // The single-step trap the MTF exit pre-empted is not lost: "the pending debug exceptions
    // field" records it (BS) for the next VM entry.
    if (single_step_pending) c.s.vmx.vmcs.set(vmcs::GUEST_PENDING_DBG_EXCEPTIONS, kDr6Bs);
}

void perform_pending_exit(SystemContext& c) {
    perform_vm_exit(c, c.s.vmx.pending_exit);
}

} // namespace hvlab::cpu::vmx
