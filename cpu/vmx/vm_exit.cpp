// perform_vm_exit: record the exit information, save the guest state, save the guest MSRs,
// load the host state. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, chapter "VM Exits".
#include "cpu/vmx/vm_exit.hpp"

#include "common/bits.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/host_state_load.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"

#include <algorithm>

namespace hvlab::cpu::vmx {
namespace {

constexpr uint32_t kValid = 1u << 31;        // valid bit of the interruption-information fields
constexpr uint32_t kHasErrorCode = 1u << 11; // "error code valid"

bool has_instruction_information(uint32_t reason) {
    switch (static_cast<ExitReason>(reason)) {
    case ExitReason::Vmclear:
    case ExitReason::Vmptrld:
    case ExitReason::Vmptrst:
    case ExitReason::Vmread:
    case ExitReason::Vmwrite:
    case ExitReason::Vmxon:
    case ExitReason::IoInstruction: // INS/OUTS (IA32_VMX_BASIC[54])
    case ExitReason::GdtrIdtrAccess:
    case ExitReason::LdtrTrAccess:
    case ExitReason::Invept:
    case ExitReason::Invvpid:
    case ExitReason::Invpcid:
    case ExitReason::Rdrand:
    case ExitReason::Rdseed: return true;
    default: return false;
    }
}

bool has_guest_linear_address(uint32_t reason) {
    switch (static_cast<ExitReason>(reason)) {
    case ExitReason::CrAccess:      // LMSW with a memory operand
    case ExitReason::IoInstruction: // INS/OUTS
    case ExitReason::EptViolation: return true;
    default: return false;
    }
}

// SDM Vol. 3C, "Recording VM-Exit Information and Updating VM-Entry Control Fields".
void record_exit_information(CpuState& s, const ExitInfo& info) {
    VmcsStore& v = s.vmx.vmcs;
    v.set(vmcs::VM_EXIT_REASON, info.reason);
    // "For all other VM exits, the field [exit qualification] is cleared": the triggers leave
    // it 0 when their reason defines none.
    v.set(vmcs::EXIT_QUALIFICATION, info.qualification);
    // Fields the SDM calls undefined for other reasons are left as they were.
    if (has_guest_linear_address(info.reason)) v.set(vmcs::GUEST_LINEAR_ADDRESS, info.guest_linear);
    const auto reason = static_cast<ExitReason>(info.reason);
    if (reason == ExitReason::EptViolation || reason == ExitReason::EptMisconfiguration)
        v.set(vmcs::GUEST_PHYSICAL_ADDRESS, info.guest_physical);
    // Interruption information: valid only for exceptions/NMI and acknowledged external
    // interrupts; every other exit clears the valid bit.
    v.set(vmcs::VM_EXIT_INTR_INFO, info.interruption_info);
    if ((info.interruption_info & kValid) && (info.interruption_info & kHasErrorCode))
        v.set(vmcs::VM_EXIT_INTR_ERROR_CODE, info.interruption_error);
    // IDT-vectoring information: the event being delivered when the exit happened, if any.
    v.set(vmcs::IDT_VECTORING_INFO_FIELD, s.vmx.idt_vectoring_info);
    if ((s.vmx.idt_vectoring_info & kValid) && (s.vmx.idt_vectoring_info & kHasErrorCode))
        v.set(vmcs::IDT_VECTORING_ERROR_CODE, s.vmx.idt_vectoring_error);
    s.vmx.idt_vectoring_info = s.vmx.idt_vectoring_error = 0;
    if (info.instruction_length) v.set(vmcs::VM_EXIT_INSTRUCTION_LEN, info.instruction_length);
    if (has_instruction_information(info.reason))
        v.set(vmcs::VMX_INSTRUCTION_INFO, info.instruction_info);
    // "VM exits clear the valid bit in the VM-entry interruption-information field"
    // (SDM Vol. 3C, "VM-Entry Controls for Event Injection").
    v.set(vmcs::VM_ENTRY_INTR_INFO_FIELD,
          v.get(vmcs::VM_ENTRY_INTR_INFO_FIELD) & ~uint64_t{kValid});
}

// Exceptions whose delivery pushes RF = 1: the faults (SDM Vol. 3B, "Debug Exceptions":
// the processor sets RF in the image of every fault except instruction breakpoints).
bool is_fault_vector(uint8_t v) {
    switch (v) {
    case DE:
    case BR:
    case UD:
    case NM:
    case TS:
    case NP:
    case SS_:
    case GP:
    case PF:
    case MF:
    case AC:
    case XM:
    case VE: return true;
    default: return false;
    }
}

// SDM Vol. 3C, "Saving RIP, RSP, and RFLAGS": the RF value saved depends on the cause.
uint64_t saved_rflags(const CpuState& s, const ExitInfo& info, uint32_t idt_vectoring) {
    const uint64_t without_rf = s.rflags & ~rflags::RF;
    const auto reason = static_cast<ExitReason>(info.reason);
    if (reason == ExitReason::ExceptionOrNmi) {
        // The RF of the image the event would have pushed: 1 for faults. A #DB is a fault only
        // when it is the general-detect condition (exit qualification bit 13, BD); the
        // instruction-breakpoint fault is the SDM's exception to the rule.
        const unsigned type = (info.interruption_info >> 8) & 7;
        const uint8_t vector = info.interruption_info & 0xFF;
        const bool general_detect = vector == DB && (info.qualification & (1u << 13));
        if ((info.interruption_info & kValid) && type == 3 &&
            (is_fault_vector(vector) || general_detect))
            return without_rf | rflags::RF;
        return s.rflags;
    }
    if (reason == ExitReason::EptViolation || reason == ExitReason::EptMisconfiguration) {
        // 1 unless the exit happened while delivering an event through the IDT; then the RF
        // of that event's image, which for hvlab's boundary events is RF as it is.
        return (idt_vectoring & kValid) ? s.rflags : without_rf | rflags::RF;
    }
    // An instruction that causes a VM exit (unconditionally or through a control) saves 0.
    if (info.instruction_length != 0) return without_rf;
    return s.rflags; // windows, MTF, timer, external interrupts: RF as it was
}

// Segment as saved: bits 31:17 and 11:8 of the access rights cleared, bit 16 = unusable
// (SDM Vol. 3C, "Saving Segment Registers and Descriptor-Table Registers").
uint32_t saved_access_rights(const Segment& sg) {
    return sg.attr & 0x1F0FF;
}

void save_segment(VmcsStore& v, const Segment& sg, uint32_t sel, uint32_t base, uint32_t limit,
                  uint32_t ar) {
    v.set(sel, sg.selector);
    v.set(base, sg.base);
    v.set(limit, sg.limit);
    v.set(ar, saved_access_rights(sg));
}

// The VMX-preemption timer value that remains (SDM Vol. 3C, "VMX-Preemption Timer"): the
// timer counts down by 1 each time bit X (IA32_VMX_MISC[4:0]) of the TSC changes.
uint32_t remaining_preemption_timer(const CpuState& s, uint64_t clock) {
    if (!s.vmx.preemption_armed || s.vmx.preemption_deadline <= clock) return 0;
    const unsigned rate = hvlab_vmx_capabilities().misc.preemption_timer_rate;
    const uint64_t left = (s.vmx.preemption_deadline - clock + (1ull << rate) - 1) >> rate;
    return static_cast<uint32_t>(std::min<uint64_t>(left, 0xFFFF'FFFF));
}

// SDM Vol. 3C, "Saving Guest State".
void save_guest_state(SystemContext& c, const ExitInfo& info, uint32_t idt_vectoring) {
    CpuState& s = c.s;
    VmcsStore& v = s.vmx.vmcs;
    const VmxCpuState& vx = s.vmx;
    // "Saving Control Registers, Debug Registers, and MSRs"
    v.set(vmcs::GUEST_CR0, s.cr0);
    v.set(vmcs::GUEST_CR3, s.cr3);
    v.set(vmcs::GUEST_CR4, s.cr4);
    if (vx.exit_ctl.save_debug_controls()) {
        v.set(vmcs::GUEST_DR7, s.dr[7]);
        v.set(vmcs::GUEST_IA32_DEBUGCTL, s.msr.debugctl);
    }
    v.set(vmcs::GUEST_SYSENTER_CS, s.msr.sysenter_cs & 0xFFFF'FFFF);
    v.set(vmcs::GUEST_SYSENTER_ESP, s.msr.sysenter_esp);
    v.set(vmcs::GUEST_SYSENTER_EIP, s.msr.sysenter_eip);
    if (vx.exit_ctl.save_ia32_pat()) v.set(vmcs::GUEST_IA32_PAT, s.msr.pat);
    if (vx.exit_ctl.save_ia32_efer()) v.set(vmcs::GUEST_IA32_EFER, s.efer);
    // The "IA-32e mode guest" VM-entry control receives IA32_EFER.LMA.
    uint64_t entry = v.get(vmcs::VM_ENTRY_CONTROLS) & ~uint64_t{EntryControls::kIa32eModeGuest};
    if (s.efer & efer::LMA) entry |= EntryControls::kIa32eModeGuest;
    v.set(vmcs::VM_ENTRY_CONTROLS, entry);

    // "Saving Segment Registers and Descriptor-Table Registers" (field encodings of ES..GS
    // are consecutive in SegReg order).
    for (unsigned n = 0; n < 6; ++n) {
        Segment sg = s.seg[n];
        // An unusable SS keeps its DPL, which is the CPL.
        if (n == SS && sg.unusable()) sg.attr = kSegUnusable | (uint32_t{s.cpl()} << 5);
        save_segment(v, sg, vmcs::GUEST_ES_SELECTOR + 2 * n, vmcs::GUEST_ES_BASE + 2 * n,
                     vmcs::GUEST_ES_LIMIT + 2 * n, vmcs::GUEST_ES_AR_BYTES + 2 * n);
    }
    // "LDTR. The value saved for the base address is always canonical."
    Segment ldtr = s.ldtr;
    ldtr.base = sign_extend(ldtr.base, 48);
    save_segment(v, ldtr, vmcs::GUEST_LDTR_SELECTOR, vmcs::GUEST_LDTR_BASE, vmcs::GUEST_LDTR_LIMIT,
                 vmcs::GUEST_LDTR_AR_BYTES);
    save_segment(v, s.tr, vmcs::GUEST_TR_SELECTOR, vmcs::GUEST_TR_BASE, vmcs::GUEST_TR_LIMIT,
                 vmcs::GUEST_TR_AR_BYTES);
    v.set(vmcs::GUEST_GDTR_BASE, s.gdtr.base);
    v.set(vmcs::GUEST_GDTR_LIMIT, s.gdtr.limit);
    v.set(vmcs::GUEST_IDTR_BASE, s.idtr.base);
    v.set(vmcs::GUEST_IDTR_LIMIT, s.idtr.limit);

    // "Saving RIP, RSP, and RFLAGS"
    v.set(vmcs::GUEST_RIP, s.rip);
    v.set(vmcs::GUEST_RSP, s.gpr[RSP]);
    v.set(vmcs::GUEST_RFLAGS, saved_rflags(s, info, idt_vectoring));

    // "Saving Non-Register State"
    v.set(vmcs::GUEST_ACTIVITY_STATE, static_cast<uint32_t>(s.activity));
    uint32_t irq = 0;
    if (s.sti_shadow) irq |= interruptibility::kBlockingBySti;
    if (s.movss_shadow) irq |= interruptibility::kBlockingByMovSs;
    // With "virtual NMIs", bit 3 records virtual-NMI blocking instead of NMI blocking.
    if (vx.pin.virtual_nmis() ? vx.virtual_nmi_blocked : s.nmi_blocked)
        irq |= interruptibility::kBlockingByNmi;
    v.set(vmcs::GUEST_INTERRUPTIBILITY_INFO, irq);
    // hvlab delivers debug exceptions at once; only MOV SS holds some back for one
    // instruction, and an exit in that shadow (cpu.cpp, perform_instruction_vm_exit) or an MTF
    // exit (nonroot_events) writes them over this 0 afterwards.
    v.set(vmcs::GUEST_PENDING_DBG_EXCEPTIONS, 0);
    if (vx.exit_ctl.save_preemption_timer())
        v.set(vmcs::VMX_PREEMPTION_TIMER_VALUE,
              static_cast<ExitReason>(info.reason) == ExitReason::PreemptionTimer
                  ? 0
                  : remaining_preemption_timer(s, c.clock));
    // "If enable EPT is 1 and the logical processor was using PAE paging", the PDPTEs in use
    // are saved.
    if (vx.proc2.enable_ept() && (s.cr0 & cr0::PG) && (s.cr4 & cr4::PAE) && !(s.efer & efer::LMA)) {
        const uint32_t fields[] = {vmcs::GUEST_PDPTE0, vmcs::GUEST_PDPTE1, vmcs::GUEST_PDPTE2,
                                   vmcs::GUEST_PDPTE3};
        for (unsigned i = 0; i < 4; ++i)
            v.set(fields[i], s.pdpte[i]);
    }
}

// SDM Vol. 3C, "Saving MSRs": the VM-exit MSR-store list, RDMSR at CPL 0 for each entry.
bool save_guest_msrs(SystemContext& c) {
    VmcsStore& v = c.s.vmx.vmcs;
    const auto n = static_cast<uint32_t>(v.get(vmcs::VM_EXIT_MSR_STORE_COUNT));
    if (n == 0) return true;
    const uint64_t base = v.get(vmcs::VM_EXIT_MSR_STORE_ADDR);
    const auto entries = read_msr_list(c, base, n);
    size_t stored = 0;
    const auto violation =
        find_msr_store_violation(entries, hvlab_vmx_capabilities(), false, [&](uint32_t index) {
            uint64_t value = 0;
            if (read_msr_as_cpl0(c, index, value)) return true;
            // Entries are checked in order: this is entry `stored`.
            c.mem.bus().write(Hpa(base + 16ull * stored + 8), 8, value);
            ++stored;
            return false;
        });
    return !violation;
}

} // namespace

void perform_vm_exit(SystemContext& c, const ExitInfo& requested) {
    CpuState& s = c.s;
    if (!s.vmx.non_root) return; // only VMX non-root operation has a VM exit to perform
    // A copy: callers may pass s.vmx.pending_exit, which the exit clears.
    const ExitInfo info = requested;
    const uint64_t guest_rip = s.rip;
    const uint32_t idt_vectoring = s.vmx.idt_vectoring_info;
    // An event that causes a VM exit indirectly (the exit comes during its delivery, so the
    // IDT-vectoring information is valid): there is no blocking by STI or MOV SS when the exit
    // commences, and an NMI blocks further NMIs before it (virtual-NMI blocking with "virtual
    // NMIs") (SDM Vol. 3C, "Architectural State Before a VM Exit").
    if (idt_vectoring & kValid) {
        s.sti_shadow = s.movss_shadow = false;
        if (((idt_vectoring >> 8) & 7) == 2)
            (s.vmx.pin.virtual_nmis() ? s.vmx.virtual_nmi_blocked : s.nmi_blocked) = true;
    }
    record_exit_information(s, info);
    save_guest_state(c, info, idt_vectoring);
    const bool msrs_saved = save_guest_msrs(c);
    const bool was_ia32e = s.efer & efer::LMA;
    const bool vpid_enabled = s.vmx.proc2.enable_vpid();

    // Back to VMX root operation. An NMI that caused the exit blocks further NMIs once the
    // exit completes (SDM Vol. 3C, "Architectural State Before a VM Exit").
    s.vmx.non_root = false;
    s.vmx.mtf_pending = false;
    s.vmx.preemption_armed = false;
    s.vmx.pending_exit = {};
    if (static_cast<ExitReason>(info.reason) == ExitReason::ExceptionOrNmi &&
        (info.interruption_info & kValid) && ((info.interruption_info >> 8) & 7) == 2)
        s.nmi_blocked = true;
    c.mem.set_guest_context(0, false, 0);
    // "If the enable VPID VM-execution control is 0, VM exits invalidate linear and combined
    // mappings associated with VPID 0000H" (SDM Vol. 3C, "VPID").
    if (!vpid_enabled) c.mem.invvpid(1, 0, Gva(0));

    std::optional<VmxAbortIndicator> abort;
    if (!msrs_saved)
        abort = VmxAbortIndicator::SavingGuestMsrs;
    else
        abort = load_host_state(c, was_ia32e);
    if (abort) vmx_abort(c, *abort);
    c.env.vm_exited(info, guest_rip);
}

} // namespace hvlab::cpu::vmx
