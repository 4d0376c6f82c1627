// The event side of VM entry. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Event
// Injection", "Special Features of VM Entry" (activity state, interruptibility state,
// pending debug exceptions, VMX-preemption timer, monitor trap flag) and "Delivery of Virtual
// NMIs".
#include "cpu/vmx/event_injection.hpp"

#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/nonroot_events.hpp"
#include "cpu/vmx/vm_exit.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"

namespace hvlab::cpu::vmx {

namespace {

constexpr uint32_t kValid = 1u << 31;
constexpr uint32_t kDeliverErrorCode = 1u << 11;
// Pending debug exceptions: B3-B0 (bits 3:0), "enabled breakpoint" (bit 12), BS (bit 14).
// "There are valid pending debug exceptions if either the BS bit (bit 14) or the
// enable-breakpoint bit (bit 12) is 1" (Delivery of Pending Debug Exceptions after VM Entry).
constexpr uint64_t kPendingB30 = 0xF, kPendingEnabledBreakpoint = 1u << 12, kPendingBs = 1u << 14;

// "Loading Guest State": the activity and interruptibility state.
void load_non_register_state(CpuState& s) {
    const VmcsStore& v = s.vmx.vmcs;
    const auto activity = static_cast<uint32_t>(v.get(vmcs::GUEST_ACTIVITY_STATE));
    s.activity = activity == static_cast<uint32_t>(ActivityState::Hlt) ? CpuState::Activity::Hlt
                                                                       : CpuState::Activity::Active;
    const auto irq = static_cast<uint32_t>(v.get(vmcs::GUEST_INTERRUPTIBILITY_INFO));
    s.sti_shadow = irq & interruptibility::kBlockingBySti;
    s.movss_shadow = irq & interruptibility::kBlockingByMovSs;
    // "If the 'virtual NMIs' VM-execution control is 1, bit 3 (blocking by NMI) ... indicates
    // virtual-NMI blocking"; NMIs themselves are then not blocked.
    const bool nmi_bit = irq & interruptibility::kBlockingByNmi;
    if (s.vmx.pin.virtual_nmis()) {
        s.vmx.virtual_nmi_blocked = nmi_bit;
        s.nmi_blocked = false;
    } else {
        s.vmx.virtual_nmi_blocked = false;
        s.nmi_blocked = nmi_bit;
    }
}

EventKind kind_of(InterruptionType t) {
    switch (t) {
    case InterruptionType::ExternalInterrupt: return EventKind::ExternalInterrupt;
    case InterruptionType::Nmi: return EventKind::Nmi;
    case InterruptionType::SoftwareInterrupt: return EventKind::SoftwareInterrupt;
    case InterruptionType::PrivilegedSoftwareException: return EventKind::PrivSoftwareException;
    case InterruptionType::SoftwareException: return EventKind::SoftwareException;
    default: return EventKind::Exception;
    }
}

// "Event Injection": the event is delivered through the guest IDT "as if [it] had been
// generated normally"; software interrupts and exceptions push RIP + VM-entry instruction
// length. Returns false if its delivery ended in a VM exit (performed here).
bool inject(SystemContext& c, uint32_t info) {
    CpuState& s = c.s;
    VmxCpuState& v = s.vmx;
    const auto type = static_cast<InterruptionType>((info >> 8) & 7);
    const auto vector = static_cast<uint8_t>(info & 0xFF);
    if (type == InterruptionType::OtherEvent) {
        // Vector 0 of type 7: "a pending MTF VM exit" is delivered right after VM entry.
        if (vector == 0) v.mtf_pending = true;
        return true;
    }
    const EventKind kind = kind_of(type);
    const bool has_error = info & kDeliverErrorCode;
    const auto error = static_cast<uint32_t>(v.vmcs.get(vmcs::VM_ENTRY_EXCEPTION_ERROR_CODE));
    const bool software = kind == EventKind::SoftwareInterrupt ||
                          kind == EventKind::SoftwareException ||
                          kind == EventKind::PrivSoftwareException;
    const uint64_t length = software ? v.vmcs.get(vmcs::VM_ENTRY_INSTRUCTION_LEN) : 0;
    // "If the 'virtual NMIs' VM-execution control is 1 and VM entry injects an NMI,
    // virtual-NMI blocking is in effect" (also if its delivery then causes a VM exit).
    if (kind == EventKind::Nmi && v.pin.virtual_nmis()) v.virtual_nmi_blocked = true;
    const DeliveryOutcome o =
        deliver_injected_event(c, kind, vector, has_error, error, s.rip + length);
    if (o == DeliveryOutcome::Delivered) return true;
    if (o == DeliveryOutcome::VmExit) perform_vm_exit(c, v.pending_exit);
    return false;
}

// Pending debug exceptions (B3-B0, BS) that VM entry delivers as a #DB trap when it does not
// inject an event and MOV SS does not block them ("Delivery of Pending Debug Exceptions after
// VM Entry"). They set DR6 or, if #DB is in the exception bitmap, cause a VM exit.
bool deliver_pending_debug(SystemContext& c) {
    CpuState& s = c.s;
    const uint64_t field = s.vmx.vmcs.get(vmcs::GUEST_PENDING_DBG_EXCEPTIONS);
    if (!(field & (kPendingBs | kPendingEnabledBreakpoint)) || s.movss_shadow) return true;
    // The #DB reports B3-B0 and BS (in DR6, or in the exit qualification).
    const uint64_t pending = field & (kPendingB30 | kPendingBs);
    DeliveryOutcome o = DeliveryOutcome::VmExit;
    if (event_causes_exit(s, EventKind::Exception, DB, 0)) {
        request_event_exit(s, EventKind::Exception, DB, false, 0, pending, 0);
    } else {
        s.dr[6] = (s.dr[6] & ~(kPendingB30 | kPendingBs)) | pending;
        o = deliver_event(c, EventKind::Exception, DB, false, 0, s.rip);
    }
    if (o == DeliveryOutcome::Delivered) {
        // MTF after a pending event delivered before the first instruction (Monitor Trap Flag).
        if (s.vmx.proc.monitor_trap_flag()) s.vmx.mtf_pending = true;
        return true;
    }
    if (o == DeliveryOutcome::VmExit) perform_vm_exit(c, s.vmx.pending_exit);
    return false;
}

} // namespace

uint32_t pending_debug_held_by_movss(const CpuState& s) {
    if (!s.movss_shadow) return 0;
    const uint64_t field = s.vmx.vmcs.get(vmcs::GUEST_PENDING_DBG_EXCEPTIONS);
    if (!(field & (kPendingBs | kPendingEnabledBreakpoint))) return 0;
    return static_cast<uint32_t>(field & kPendingB30);
}

void finish_vm_entry_events(SystemContext& c) {
    CpuState& s = c.s;
    VmxCpuState& v = s.vmx;
    v.mtf_pending = false;
    v.nmi_unblocked_by_iret = false;
    v.entry_in_progress = true; // cleared when the VMLAUNCH/VMRESUME retires
    // VM entry "clear[s] address-range monitoring" (SDM Vol. 3C, "VM Entries").
    s.monitor_armed = false;
    v.pending_exit = {};
    clear_idt_vectoring(s);
    load_non_register_state(s);

    // "If the 'activate VMX-preemption timer' VM-execution control is 1, VM entry starts the
    // VMX-preemption timer with the unsigned value in the VMX-preemption timer-value field";
    // it counts down by 1 each time bit X of the TSC changes, X = IA32_VMX_MISC[4:0]. The TSC
    // is the virtual clock, so the deadline is exact. A value of 0 exits before the first
    // guest instruction (after any injection).
    v.preemption_armed = v.pin.preemption_timer();
    if (v.preemption_armed) {
        const unsigned rate = hvlab_vmx_capabilities().misc.preemption_timer_rate;
        const uint64_t value = v.vmcs.get(vmcs::VMX_PREEMPTION_TIMER_VALUE) & 0xFFFF'FFFFull;
        // Align to the next change of TSC bit X, as the hardware counter does.
        const uint64_t period = uint64_t{1} << rate;
        const uint64_t start = c.clock & ~(period - 1);
        v.preemption_deadline = start + (value << rate);
    }

    const auto info = static_cast<uint32_t>(v.vmcs.get(vmcs::VM_ENTRY_INTR_INFO_FIELD));
    if (info & kValid) {
        // The valid bit stays set until the next VM exit clears it (perform_vm_exit), as
        // the SDM says ("VM-Entry Controls for Event Injection").
        const bool vectoring =
            ((info >> 8) & 7) != static_cast<uint32_t>(InterruptionType::OtherEvent);
        if (!inject(c, info)) return; // exited during delivery: now in root operation
        // "If the 'monitor trap flag' VM-execution control is 1 and VM entry is injecting a
        // vectored event, an MTF VM exit is pending on the instruction boundary before the
        // first instruction following VM entry."
        if (vectoring && v.proc.monitor_trap_flag()) v.mtf_pending = true;
        return;
    }
    deliver_pending_debug(c);
}

} // namespace hvlab::cpu::vmx
