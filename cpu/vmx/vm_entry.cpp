// VM entry. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, VMLAUNCH/VMRESUME (Operation)
// and chapter "VM Entries": "Checks on VMX Controls and Host-State Area", "Checking and
// Loading Guest State", "Loading MSRs", "VM-Entry Failures During or After Loading Guest
// State".
#include "cpu/vmx/vm_entry.hpp"

#include "common/bits.hpp"
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/event_injection.hpp"
#include "cpu/vmx/host_state_load.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"

namespace hvlab::cpu::vmx {
namespace {

// "Loading Guest Control Registers, Debug Registers, and MSRs": CR0 bits VM entry does not
// modify (ET, CD, NW, 63:32, 28:19, 17, 15:6) -- the same set VM exits keep (as Bochs does).
constexpr uint64_t kCr0Kept = cr0::ET | cr0::CD | cr0::NW | mask_bits(63, 32) | mask_bits(28, 19) |
                              bit(17) | mask_bits(15, 6);

// Steps 1-2 of docs/vmx-design.md: the snapshot plus the facts and memory values the VMCS
// cannot supply.
VmcsSnapshot take_snapshot(SystemContext& c) {
    const CpuState& s = c.s;
    VmcsSnapshot snap = load_snapshot(s.vmx.vmcs);
    snap.facts.ia32e_mode = s.efer & efer::LMA;
    snap.facts.current_vmcs_pointer = s.vmx.current_vmcs;
    mmu::PhysBus& bus = c.mem.bus();
    // Only a pointer the alignment/width checks accept is read: the others fail anyway.
    if (snap.guest.vmcs_link_pointer != ~uint64_t{0} &&
        valid_vmcs_pointer(snap.guest.vmcs_link_pointer))
        snap.guest.vmcs_link_region_dword0 =
            static_cast<uint32_t>(bus.read(Hpa(snap.guest.vmcs_link_pointer), 4));
    // Without EPT the PDPTEs of a PAE guest come from guest memory at CR3[31:5] (guest-
    // physical = host-physical then).
    if (guest_uses_pae_pdptes(snap) && !guest_pdptes_from_vmcs(snap)) {
        const uint64_t table = snap.guest.cr3 & 0xFFFF'FFE0ull;
        for (unsigned i = 0; i < 4; ++i)
            snap.guest.pdpte[i] = bus.read(Hpa(table + 8 * i), 8);
    }
    return snap;
}

Segment to_segment(const SegmentState& g) {
    return Segment{g.selector, g.base, g.limit, g.access_rights & 0x1F0FF};
}

// SDM Vol. 3C, "Loading Guest State" (control registers, debug registers, MSRs; segment and
// descriptor-table registers; RIP, RSP, RFLAGS; PDPTEs). Activity and interruptibility state,
// pending debug exceptions and event injection are finish_vm_entry_events' part.
void load_guest_state(SystemContext& c, const VmcsSnapshot& snap) {
    CpuState& s = c.s;
    const GuestState& g = snap.guest;
    const ControlState& ctl = snap.ctl;
    s.cr0 = (g.cr0 & ~kCr0Kept) | (s.cr0 & kCr0Kept);
    s.cr3 = g.cr3;
    s.cr4 = g.cr4;
    if (ctl.entry.load_debug_controls()) {
        // "DR7 is loaded from the DR7 field with the exception that bit 12 and bits 15:14 are
        // always 0 and bit 10 is always 1."
        s.dr[7] = (g.dr7 & ~uint64_t{0xD000}) | 0x400;
        s.msr.debugctl = g.debugctl;
    }
    s.msr.sysenter_cs = g.sysenter_cs;
    s.msr.sysenter_esp = g.sysenter_esp;
    s.msr.sysenter_eip = g.sysenter_eip;
    if (ctl.entry.load_ia32_pat()) s.msr.pat = g.pat;
    if (ctl.entry.load_ia32_efer()) {
        s.efer = g.efer;
    } else {
        // "IA32_EFER.LMA and IA32_EFER.LME are loaded with the IA-32e mode guest control."
        const uint64_t lm = efer::LMA | efer::LME;
        s.efer = ctl.entry.ia32e_mode_guest() ? (s.efer | lm) : (s.efer & ~lm);
    }

    for (unsigned n = 0; n < 6; ++n) {
        Segment sg = to_segment(g.seg[n]);
        // "Bits 63:32 of the base addresses for SS, DS, and ES" of an unusable segment "are
        // cleared to 0".
        if (sg.unusable() && (n == SS || n == DS || n == ES)) sg.base &= 0xFFFF'FFFF;
        s.seg[n] = sg;
    }
    s.ldtr = to_segment(g.ldtr);
    // An unusable LDTR gets "an undefined but canonical" base.
    if (s.ldtr.unusable()) s.ldtr.base = sign_extend(s.ldtr.base, 48);
    s.tr = to_segment(g.tr);
    s.gdtr = DescriptorTable{g.gdtr_base, g.gdtr_limit & 0xFFFF};
    s.idtr = DescriptorTable{g.idtr_base, g.idtr_limit & 0xFFFF};

    s.rip = g.rip;
    s.gpr[RSP] = g.rsp;
    s.rflags = g.rflags | rflags::kFixed1;

    // "Loading Page-Directory-Pointer-Table Entries": a PAE guest gets the PDPTEs from the
    // VMCS with EPT, else the ones just read (and checked) from memory.
    if (guest_uses_pae_pdptes(snap)) s.pdpte = g.pdpte;
}

// Caches the controls of the running guest and switches the TLB tags (SDM Vol. 3C, "VPID":
// with "enable VPID" 0, VM entries invalidate the mappings of VPID 0000H).
void enter_non_root(SystemContext& c, const VmcsSnapshot& snap) {
    CpuState& s = c.s;
    VmxCpuState& v = s.vmx;
    v.pin = snap.ctl.pin;
    v.proc = snap.ctl.proc;
    v.proc2 = snap.ctl.proc2;
    v.exit_ctl = snap.ctl.exit;
    v.entry_ctl = snap.ctl.entry;
    v.pending_exit = {};
    v.idt_vectoring_info = v.idt_vectoring_error = 0;
    v.mtf_pending = v.preemption_armed = false;
    v.virtual_nmi_blocked = false;
    v.non_root = true;
    const bool vpid_on = snap.ctl.proc2.enable_vpid();
    c.mem.set_guest_context(vpid_on ? snap.ctl.vpid : 0, snap.ctl.proc2.enable_ept(),
                            snap.ctl.ept_pointer);
    if (!vpid_on) c.mem.invvpid(1, 0, Gva(0));
}

// A VM-entry failure after the VMX-control and host-state checks (SDM Vol. 3C, "VM-Entry
// Failures During or After Loading Guest State"): the exit reason (bit 31 set) and
// qualification are recorded, then the host state is loaded as on a VM exit; no guest
// state is saved.
VmEntryResult failure_exit(SystemContext& c, const EntryFailure& f) {
    CpuState& s = c.s;
    s.vmx.vmcs.set(vmcs::VM_EXIT_REASON, f.exit_reason());
    s.vmx.vmcs.set(vmcs::EXIT_QUALIFICATION, f.exit_qualification());
    s.vmx.non_root = false;
    c.mem.set_guest_context(0, false, 0);
    const auto abort = load_host_state(c, s.efer & efer::LMA);
    c.env.vm_entry_failed(f.check_id, f.section, f.diagnostic(), f.exit_reason());
    if (abort) {
        vmx_abort(c, *abort);
        return {VmEntryResult::Aborted, {}};
    }
    return {VmEntryResult::FailureExit, VmxOutcome::succeed()};
}

} // namespace

VmEntryResult vm_entry(SystemContext& c, bool launch) {
    CpuState& s = c.s;
    // The instruction's own checks, in the order of the Operation section.
    if (s.vmx.current_vmcs == kInvalidVmcsPointer)
        return {VmEntryResult::VmFail, VmxOutcome::fail_invalid()};
    if (s.movss_shadow)
        return {VmEntryResult::VmFail,
                VmxOutcome::fail_valid(VmInstructionError::EntryEventsBlockedByMovSs)};
    const LaunchState ls = s.vmx.vmcs.launch_state;
    if (launch && ls != LaunchState::Clear)
        return {VmEntryResult::VmFail,
                VmxOutcome::fail_valid(VmInstructionError::VmlaunchNonClearVmcs)};
    if (!launch && ls != LaunchState::Launched)
        return {VmEntryResult::VmFail,
                VmxOutcome::fail_valid(VmInstructionError::VmresumeNonLaunchedVmcs)};

    const VmxCapabilities& caps = hvlab_vmx_capabilities();
    const VmcsSnapshot snap = take_snapshot(c);
    if (auto f = run_entry_checks(snap, caps)) {
        if (f->is_vmfail()) {
            c.env.vm_entry_failed(f->check_id, f->section, f->diagnostic(),
                                  f->vm_instruction_error());
            return {VmEntryResult::VmFail, VmxOutcome::fail_valid(static_cast<VmInstructionError>(
                                               f->vm_instruction_error()))};
        }
        return failure_exit(c, *f);
    }

    load_guest_state(c, snap);
    // SDM Vol. 3C, "Loading MSRs": the VM-entry MSR-load list, in order, as WRMSR at CPL 0.
    if (snap.ctl.entry_msr_load_count) {
        const auto entries =
            read_msr_list(c, snap.ctl.entry_msr_load_addr, snap.ctl.entry_msr_load_count);
        const auto f = check_msr_load_list(entries, caps, false, [&c](uint32_t i, uint64_t v) {
            return write_msr_as_cpl0(c, i, v).raised();
        });
        if (f) return failure_exit(c, *f);
    }
    if (launch) s.vmx.vmcs.launch_state = LaunchState::Launched;

    enter_non_root(c, snap);
    c.env.vm_entered(launch, s.rip);
    finish_vm_entry_events(c);
    return {VmEntryResult::Entered, VmxOutcome::succeed()};
}

} // namespace hvlab::cpu::vmx
