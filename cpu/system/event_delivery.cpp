// Delivering exceptions and interrupts through the IDT (SDM Vol. 3A, Interrupt and Exception
// Handling: Exception and Interrupt Handling in 64-bit Mode; Interrupt Descriptor Table;
// Interrupt 8—Double Fault Exception (#DF); Vol. 2A, INT n/INTO/INT3/INT1).
// Intel SDM, Dec 2023 (Order 325462-081).
//
// Task gates in the IDT (a task switch) are not modelled and raise #GP(vector*8+2+EXT), the
// error a bad gate type gets, except in VMX non-root operation, where they are a task-switch
// VM exit; IA-32e mode has no task gates at all.
#include "cpu/system/descriptor.hpp"
#include "cpu/system/segment_checks.hpp"
#include "cpu/system/stack.hpp"
#include "cpu/vmx/nonroot_events.hpp"
#include "cpu/vmx/task_switch_exit.hpp"

namespace hvlab::cpu {

using namespace sys;

namespace {

struct Event {
    EventKind kind;
    uint8_t vector;
    bool has_error;
    uint32_t error;
    uint64_t rip;
};

// EXT (error-code bit 0): the fault happened while delivering an event not caused by the
// program's INT n / INT3 / INTO.
uint32_t ext_bit(EventKind k) {
    return (k == EventKind::SoftwareInterrupt || k == EventKind::SoftwareException) ? 0 : 1;
}

uint32_t idt_error(uint8_t vector, uint32_t ext) { return uint32_t{vector} * 8 + 2 + ext; }

bool gate_type_ok(const CpuState& s, const Descriptor& g) {
    using namespace desc_type;
    if (g.s()) return false;
    if (s.long_mode_active()) return g.type() == kIntGate || g.type() == kTrapGate;
    const uint8_t t = g.type();
    return t == kIntGate || t == kTrapGate || t == kIntGate16 || t == kTrapGate16;
}

// The gate, then the code segment it names (SDM Vol. 3A, Protection of Exception- and
// Interrupt-Handler Procedures): software interrupts also need gate DPL >= CPL.
Fault resolve_handler(SystemContext& c, const Event& ev, DescriptorFetch& gate,
                      DescriptorFetch& code) {
    const CpuState& s = c.s;
    const uint32_t ext = ext_bit(ev.kind);
    const Fault bad_gate = fault_ec(GP, idt_error(ev.vector, ext));
    gate = fetch_idt_gate(c, ev.vector);
    if (gate.fault) return gate.fault;
    const bool software =
        ev.kind == EventKind::SoftwareInterrupt || ev.kind == EventKind::SoftwareException;
    // A task gate outside IA-32e mode in VMX non-root operation: the gate checks, then the
    // task-switch VM exit (cpu/vmx/task_switch_exit.hpp); the event is the IDT-vectoring
    // information. Elsewhere task gates are not modelled (#GP, below).
    const bool task_gate = gate.in_limit && s.vmx.non_root && !s.long_mode_active() &&
                           !gate.d.s() && gate.d.type() == desc_type::kTaskGate;
    if (!task_gate && (!gate.in_limit || !gate_type_ok(s, gate.d))) return bad_gate;
    if (software && gate.d.dpl() < s.cpl()) return fault_ec(GP, idt_error(ev.vector, 0));
    if (!gate.d.present()) return fault_ec(NP, idt_error(ev.vector, ext));
    if (task_gate) return vmx::task_switch_idt_gate(c, gate.d.gate_selector(), ext);
    const uint16_t sel = gate.d.gate_selector();
    if (is_null_selector(sel)) return fault_ec(GP, ext);
    const uint32_t err = selector_error(sel, ext);
    code = fetch_descriptor(c, sel);
    if (code.fault) return code.fault;
    if (!code.in_limit || !code.d.is_code() || code.d.dpl() > s.cpl()) return fault_ec(GP, err);
    if (!code.d.present()) return fault_ec(NP, err);
    if (s.long_mode_active() && !code.d.code64()) return fault_ec(GP, err);
    return kNoFault;
}

// The TSS field for the new stack: IST n or RSPn (64-bit TSS), SSn:ESPn (32-bit TSS) or
// SSn:SPn (16-bit TSS). Too short a TSS is #TS(TSS selector + EXT).
Fault tss_read(SystemContext& c, uint64_t off, unsigned size, uint32_t ext, uint64_t& v) {
    const CpuState& s = c.s;
    if (off + size - 1 > s.tr.limit) return fault_ec(TS, selector_error(s.tr.selector, ext));
    v = 0;
    return read_system(c, system_linear(s, s.tr.base, off), &v, size);
}

// IA-32e mode: the stack is IST n if the gate names one, else RSP[new CPL] on a privilege
// change, else the current one; it is aligned down to 16 bytes and SS becomes null with RPL =
// new CPL on a privilege change (SDM Vol. 3A, 64-Bit Mode Stack Frame; Interrupt Stack Table).
Fault select_stack64(SystemContext& c, const Descriptor& gate, uint8_t new_cpl, uint32_t ext,
                     CpuState& n, StackPointer& sp) {
    const CpuState& s = c.s;
    uint64_t rsp = s.gpr[RSP];
    if (gate.gate_ist() != 0) {
        if (Fault f = tss_read(c, 36 + 8 * (gate.gate_ist() - 1), 8, ext, rsp)) return f;
    } else if (new_cpl < s.cpl()) {
        if (Fault f = tss_read(c, 4 + 8 * new_cpl, 8, ext, rsp)) return f;
    }
    if (!is_canonical48(rsp)) return fault_ec(SS_, ext);
    if (new_cpl < s.cpl()) {
        n.seg[SS] = null_segment(new_cpl);
        n.seg[SS].attr |= uint32_t{new_cpl} << 5;
    }
    sp.ss = n.seg[SS];
    sp.rsp = rsp & ~uint64_t{0xF};
    sp.flat64 = true;
    sp.ss_error = ext;
    return kNoFault;
}

// Legacy protected mode: a privilege change takes SSn:ESPn from the TSS and checks SS like a
// stack switch (#TS for a bad SS, #SS if not present).
Fault select_stack32(SystemContext& c, uint8_t new_cpl, uint32_t ext, CpuState& n,
                     StackPointer& sp) {
    const CpuState& s = c.s;
    if (new_cpl == s.cpl()) {
        sp = current_stack(s, ext);
        return kNoFault;
    }
    const bool tss16 = !(s.tr.type() & 8); // busy 16-bit TSS is type 3, 32-bit type 11
    const unsigned w = tss16 ? 2 : 4;
    const uint64_t off = tss16 ? 2 + 4 * new_cpl : 4 + 8 * new_cpl;
    uint64_t esp = 0, ss_sel = 0;
    if (Fault f = tss_read(c, off, w, ext, esp)) return f;
    if (Fault f = tss_read(c, off + w, 2, ext, ss_sel)) return f;
    const auto sel = static_cast<uint16_t>(ss_sel);
    DescriptorFetch sf;
    if (Fault f = check_stack_segment(c, sel, new_cpl, TS, ext, sf)) return f;
    if (Fault f = mark_accessed(c, sf)) return f;
    n.seg[SS] = make_segment(sel, sf.d);
    sp.ss = n.seg[SS];
    sp.rsp = esp;
    sp.ss_error = selector_error(sel, ext);
    return kNoFault;
}

unsigned gate_push_size(const CpuState& s, const Descriptor& gate) {
    if (s.long_mode_active()) return 8;
    return (gate.type() == desc_type::kIntGate16 || gate.type() == desc_type::kTrapGate16) ? 2 : 4;
}

// The frame: [SS, RSP,] RFLAGS, CS, RIP[, error code]. SS:RSP are always pushed in IA-32e
// mode and on a privilege change otherwise. Returns the number of items.
unsigned frame_items(const CpuState& s, const Event& ev, bool with_stack, uint64_t (&items)[6]) {
    unsigned count = 0;
    if (with_stack) {
        items[count++] = s.seg[SS].selector;
        items[count++] = s.gpr[RSP];
    }
    items[count++] = s.rflags;
    items[count++] = s.seg[CS].selector;
    items[count++] = ev.rip;
    if (ev.has_error) items[count++] = ev.error;
    return count;
}

// One attempt to deliver ev. On a fault nothing in CpuState has changed.
Fault deliver_once(SystemContext& c, const Event& ev) {
    const CpuState& s = c.s;
    const uint32_t ext = ext_bit(ev.kind);
    DescriptorFetch gate, code;
    if (Fault f = resolve_handler(c, ev, gate, code)) return f;
    const uint8_t new_cpl = code.d.conforming() ? s.cpl() : code.d.dpl();
    const uint64_t rip = s.long_mode_active() ? gate.d.gate_offset_wide()
                         : gate_push_size(s, gate.d) == 2 ? gate.d.gate_offset() & 0xFFFF
                                                          : gate.d.gate_offset();
    // IA-32e mode checks that RIP is canonical before it picks the stack; legacy mode checks
    // EIP against the CS limit after the stack checks (below).
    if (s.long_mode_active() && !rip_ok(s, code.d, rip)) return fault_ec(GP, ext);
    CpuState n = s;
    n.seg[CS] = make_segment(static_cast<uint16_t>((gate.d.gate_selector() & ~3) | new_cpl), code.d);
    StackPointer sp;
    if (s.long_mode_active()) {
        if (Fault f = select_stack64(c, gate.d, new_cpl, ext, n, sp)) return f;
    } else {
        if (Fault f = select_stack32(c, new_cpl, ext, n, sp)) return f;
    }
    // The pushes are explicit accesses at the new CPL: the SDM's implicit supervisor accesses
    // are those to the GDT/LDT, IDT and TSS (SDM Vol. 3A, Access Rights), so SMAP lets a
    // ring-0 push reach a user page when RFLAGS.AC = 1.
    sp.who = Privilege::FromCpl;
    const bool with_stack = s.long_mode_active() || new_cpl < s.cpl();
    uint64_t items[6];
    const unsigned count = frame_items(s, ev, with_stack, items);
    const unsigned size = gate_push_size(s, gate.d);
    // SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation: "IF stack limit does not allow push of 20
    // bytes (24 with error code; 10/12 for a 16-bit gate) THEN #SS(error_code(NewSS,0,EXT))",
    // or for the same level "IF current stack does not have room for 12 bytes (16; 6/8) THEN
    // #SS(EXT)", then "IF instruction pointer not within code segment limit THEN #GP(EXT)",
    // then the pushes. The whole frame is checked (limits, then paging) before anything is
    // written, so a #SS or #PF on the new stack leaves no part of it in memory.
    if (!s.long_mode_active()) {
        if (Fault f = frame_room(sp, count, size)) return f;
        if (!rip_ok(s, code.d, rip)) return fault_ec(GP, ext);
    }
    if (Fault f = push_frame(c, n, sp, items, count, size)) return f;
    if (Fault f = mark_accessed(c, code)) return f;
    n.seg[CS].attr |= 1; // accessed
    n.gpr[RSP] = sp.rsp;
    n.rip = rip;
    // SDM Vol. 3A, Exception- or Interrupt-Handler Procedures: TF, NT, RF and VM are cleared;
    // an interrupt gate also clears IF.
    n.rflags &= ~(rflags::TF | rflags::NT | rflags::RF | rflags::VM);
    const uint8_t t = gate.d.type();
    if (t == desc_type::kIntGate || t == desc_type::kIntGate16) n.rflags &= ~rflags::IF;
    n.activity = CpuState::Activity::Active;
    n.sti_shadow = n.movss_shadow = false;
    // An NMI injected by VM entry with "virtual NMIs" = 1 sets virtual-NMI blocking instead
    // (SDM Vol. 3C, "Delivery of Virtual NMIs"); that is done before delivery starts.
    if (ev.kind == EventKind::Nmi && !(s.vmx.non_root && s.vmx.pin.virtual_nmis()))
        n.nmi_blocked = true;
    c.s = n;
    return kNoFault;
}

// Exception classes of the double-fault rules (SDM Vol. 3A, Interrupt 8—Double Fault
// Exception (#DF), Table "Exception Classes").
enum class Class { Benign, Contributory, PageFault, DoubleFault };

Class class_of(const Event& ev) {
    if (ev.kind != EventKind::Exception) return Class::Benign;
    switch (ev.vector) {
    case DE:
    case TS:
    case NP:
    case SS_:
    case GP: return Class::Contributory;
    case PF: return Class::PageFault;
    case DF: return Class::DoubleFault;
    default: return Class::Benign;
    }
}

// Table "Conditions for Generating a Double Fault": contributory then contributory, or page
// fault then contributory or page fault, is #DF; anything else is handled serially.
bool makes_double_fault(Class first, Class second) {
    const bool second_bad = second == Class::Contributory || second == Class::PageFault;
    if (first == Class::Contributory) return second == Class::Contributory;
    return first == Class::PageFault && second_bad;
}

void notify(SystemContext& c, const Event& ev) {
    const bool interrupt = ev.kind == EventKind::ExternalInterrupt ||
                           ev.kind == EventKind::Nmi || ev.kind == EventKind::SoftwareInterrupt;
    if (interrupt) c.env.interrupt_delivered(ev.vector, ev.rip);
    else c.env.exception_delivered(ev.vector, ev.has_error, ev.error, ev.rip);
}

DeliveryOutcome triple_fault(SystemContext& c) {
    // In VMX non-root operation a triple fault is a VM exit (SDM Vol. 3C, "Other Causes of VM
    // Exits"), not shutdown.
    if (c.s.vmx.non_root) {
        vmx::request_triple_fault_exit(c.s);
        return DeliveryOutcome::VmExit;
    }
    c.s.activity = CpuState::Activity::Shutdown;
    c.env.shutdown("triple fault");
    return DeliveryOutcome::Shutdown;
}

// One event and whatever its delivery raises. pf_address: CR2 for a #PF being delivered (it is
// loaded only when the #PF is delivered, not when it causes a VM exit). injected: VM-entry
// injection, which never exits directly.
DeliveryOutcome deliver(SystemContext& c, Event ev, uint64_t pf_address, bool injected) {
    // A fault while delivering INT n / INT3 / INTO / INT1 points at that instruction, which the
    // caller leaves in s.rip (rip_for_push is the next one); otherwise it saves the same RIP
    // as the event it replaces.
    const bool software = ev.kind == EventKind::SoftwareInterrupt ||
                          ev.kind == EventKind::SoftwareException ||
                          ev.kind == EventKind::PrivSoftwareException;
    const uint64_t fault_rip = software ? c.s.rip : ev.rip;
    const bool guest = c.s.vmx.non_root;
    // VM exits during the delivery of a software event report its instruction length (SDM
    // Vol. 3C, "Information for VM Exits That Occur During Event Delivery").
    const auto software_length = software ? static_cast<uint32_t>(ev.rip - fault_rip) : 0u;
    bool direct_exit_possible = !injected;
    // Each round either delivers or moves up the benign -> contributory/#PF -> #DF -> shutdown
    // ladder, so a few rounds always suffice; the bound is only a guard.
    for (int round = 0; round < 8; ++round) {
        if (guest && direct_exit_possible &&
            vmx::event_causes_exit(c.s, ev.kind, ev.vector, ev.error)) {
            const bool sw_exception = ev.kind == EventKind::SoftwareException ||
                                      ev.kind == EventKind::PrivSoftwareException;
            vmx::request_event_exit(c.s, ev.kind, ev.vector, ev.has_error, ev.error,
                                    ev.vector == PF && ev.kind == EventKind::Exception ? pf_address : 0,
                                    sw_exception || round > 0 ? software_length : 0);
            c.s.rip = fault_rip;
            return DeliveryOutcome::VmExit;
        }
        direct_exit_possible = true; // nested exceptions may exit, injected or not
        if (ev.kind == EventKind::Exception && ev.vector == PF) c.s.cr2 = pf_address;
        if (guest) vmx::set_idt_vectoring(c.s, ev.kind, ev.vector, ev.has_error, ev.error);
        const Fault f = deliver_once(c, ev);
        if (!f) {
            if (guest) vmx::clear_idt_vectoring(c.s);
            notify(c, ev);
            return DeliveryOutcome::Delivered;
        }
        if (is_vm_exit(f)) {
            // An EPT violation or misconfiguration while delivering: the exit reports this
            // event as IDT-vectoring information.
            vmx::ExitInfo info;
            if (c.mem.take_ept_exit(info)) c.s.vmx.pending_exit = info;
            c.s.vmx.pending_exit.instruction_length = software_length;
            c.s.rip = fault_rip;
            return DeliveryOutcome::VmExit;
        }
        const Class first = class_of(ev);
        const Event second{EventKind::Exception, f.vector, f.has_error_code, f.error_code,
                           fault_rip};
        if (first == Class::DoubleFault) return triple_fault(c);
        if (makes_double_fault(first, class_of(second))) {
            if (f.vector == PF) c.s.cr2 = f.cr2; // a #PF that became #DF still loads CR2
            ev = Event{EventKind::Exception, DF, true, 0, fault_rip};
            // "A VM exit is not considered to occur during event delivery [if] the original
            // event results in a double-fault exception that causes the VM exit directly."
            if (guest) vmx::clear_idt_vectoring(c.s);
        } else {
            ev = second;
            if (f.vector == PF) pf_address = f.cr2; // loaded when this #PF is delivered
        }
    }
    return triple_fault(c);
}

} // namespace

DeliveryOutcome deliver_event(SystemContext& c, EventKind kind, uint8_t vector,
                              bool has_error_code, uint32_t error_code, uint64_t rip_for_push) {
    // A #PF passed here had CR2 loaded by the caller.
    return deliver(c, Event{kind, vector, has_error_code, error_code, rip_for_push}, c.s.cr2, false);
}

DeliveryOutcome deliver_fault(SystemContext& c, const Fault& f, uint64_t rip_for_push) {
    return deliver(c, Event{EventKind::Exception, f.vector, f.has_error_code, f.error_code, rip_for_push},
                   f.cr2, false);
}

DeliveryOutcome deliver_injected_event(SystemContext& c, EventKind kind, uint8_t vector,
                                       bool has_error_code, uint32_t error_code,
                                       uint64_t rip_for_push) {
    return deliver(c, Event{kind, vector, has_error_code, error_code, rip_for_push}, c.s.cr2, true);
}

} // namespace hvlab::cpu
