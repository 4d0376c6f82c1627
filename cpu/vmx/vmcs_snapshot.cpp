// Loading the VMCS into a VmcsSnapshot. Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/vmx/vmcs_snapshot.hpp"

#include "cpu/cpu_state.hpp"
#include "cpu/system/cpu_model.hpp"

namespace hvlab::cpu::vmx {
namespace {

// Field encodings of ES..GS are consecutive (step 2) in every width group, in SegReg order.
SegmentState load_segment(const VmcsStore& v, unsigned n) {
    return {static_cast<uint16_t>(v.get(vmcs::GUEST_ES_SELECTOR + 2 * n)),
            v.get(vmcs::GUEST_ES_BASE + 2 * n),
            static_cast<uint32_t>(v.get(vmcs::GUEST_ES_LIMIT + 2 * n)),
            static_cast<uint32_t>(v.get(vmcs::GUEST_ES_AR_BYTES + 2 * n))};
}

SegmentState load_system_segment(const VmcsStore& v, uint32_t sel, uint32_t base, uint32_t limit,
                                 uint32_t ar) {
    return {static_cast<uint16_t>(v.get(sel)), v.get(base), static_cast<uint32_t>(v.get(limit)),
            static_cast<uint32_t>(v.get(ar))};
}

uint32_t get32(const VmcsStore& v, uint32_t enc) {
    return static_cast<uint32_t>(v.get(enc));
}

ControlState load_controls(const VmcsStore& v) {
    using namespace vmcs;
    ControlState c;
    c.pin = PinBased(get32(v, PIN_BASED_VM_EXEC_CONTROL));
    c.proc = ProcBased(get32(v, CPU_BASED_VM_EXEC_CONTROL));
    c.proc2_raw = ProcBased2(get32(v, SECONDARY_VM_EXEC_CONTROL));
    // SDM Vol. 3C, "Secondary Processor-Based VM-Execution Controls": if "activate secondary
    // controls" is 0, the processor operates as if all the secondary controls were 0.
    c.proc2 = c.proc.activate_secondary_controls() ? c.proc2_raw : ProcBased2(0);
    c.exit = ExitControls(get32(v, VM_EXIT_CONTROLS));
    c.entry = EntryControls(get32(v, VM_ENTRY_CONTROLS));
    c.exception_bitmap = get32(v, EXCEPTION_BITMAP);
    c.pf_error_code_mask = get32(v, PAGE_FAULT_ERROR_CODE_MASK);
    c.pf_error_code_match = get32(v, PAGE_FAULT_ERROR_CODE_MATCH);
    c.cr3_target_count = get32(v, CR3_TARGET_COUNT);
    for (unsigned i = 0; i < 4; ++i)
        c.cr3_targets[i] = v.get(CR3_TARGET_VALUE0 + 2 * i);
    c.cr0_guest_host_mask = v.get(CR0_GUEST_HOST_MASK);
    c.cr4_guest_host_mask = v.get(CR4_GUEST_HOST_MASK);
    c.cr0_read_shadow = v.get(CR0_READ_SHADOW);
    c.cr4_read_shadow = v.get(CR4_READ_SHADOW);
    c.io_bitmap_a = v.get(IO_BITMAP_A);
    c.io_bitmap_b = v.get(IO_BITMAP_B);
    c.msr_bitmap = v.get(MSR_BITMAP);
    c.tsc_offset = v.get(TSC_OFFSET);
    c.ept_pointer = v.get(EPT_POINTER);
    c.vpid = static_cast<uint16_t>(v.get(VIRTUAL_PROCESSOR_ID));
    c.exit_msr_store_addr = v.get(VM_EXIT_MSR_STORE_ADDR);
    c.exit_msr_load_addr = v.get(VM_EXIT_MSR_LOAD_ADDR);
    c.entry_msr_load_addr = v.get(VM_ENTRY_MSR_LOAD_ADDR);
    c.exit_msr_store_count = get32(v, VM_EXIT_MSR_STORE_COUNT);
    c.exit_msr_load_count = get32(v, VM_EXIT_MSR_LOAD_COUNT);
    c.entry_msr_load_count = get32(v, VM_ENTRY_MSR_LOAD_COUNT);
    c.entry_interruption.raw = get32(v, VM_ENTRY_INTR_INFO_FIELD);
    c.entry_exception_error_code = get32(v, VM_ENTRY_EXCEPTION_ERROR_CODE);
    c.entry_instruction_length = get32(v, VM_ENTRY_INSTRUCTION_LEN);
    return c;
}

HostState load_host(const VmcsStore& v) {
    using namespace vmcs;
    HostState h;
    h.cr0 = v.get(HOST_CR0);
    h.cr3 = v.get(HOST_CR3);
    h.cr4 = v.get(HOST_CR4);
    h.rsp = v.get(HOST_RSP);
    h.rip = v.get(HOST_RIP);
    for (unsigned n = 0; n < 6; ++n)
        h.selector[n] = static_cast<uint16_t>(v.get(HOST_ES_SELECTOR + 2 * n));
    h.tr_selector = static_cast<uint16_t>(v.get(HOST_TR_SELECTOR));
    h.fs_base = v.get(HOST_FS_BASE);
    h.gs_base = v.get(HOST_GS_BASE);
    h.tr_base = v.get(HOST_TR_BASE);
    h.gdtr_base = v.get(HOST_GDTR_BASE);
    h.idtr_base = v.get(HOST_IDTR_BASE);
    h.sysenter_cs = get32(v, HOST_IA32_SYSENTER_CS);
    h.sysenter_esp = v.get(HOST_IA32_SYSENTER_ESP);
    h.sysenter_eip = v.get(HOST_IA32_SYSENTER_EIP);
    h.pat = v.get(HOST_IA32_PAT);
    h.efer = v.get(HOST_IA32_EFER);
    return h;
}

GuestState load_guest(const VmcsStore& v) {
    using namespace vmcs;
    GuestState g;
    g.cr0 = v.get(GUEST_CR0);
    g.cr3 = v.get(GUEST_CR3);
    g.cr4 = v.get(GUEST_CR4);
    g.dr7 = v.get(GUEST_DR7);
    g.rsp = v.get(GUEST_RSP);
    g.rip = v.get(GUEST_RIP);
    g.rflags = v.get(GUEST_RFLAGS);
    for (unsigned n = 0; n < 6; ++n)
        g.seg[n] = load_segment(v, n);
    g.ldtr = load_system_segment(v, GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
                                 GUEST_LDTR_AR_BYTES);
    g.tr =
        load_system_segment(v, GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES);
    g.gdtr_base = v.get(GUEST_GDTR_BASE);
    g.gdtr_limit = get32(v, GUEST_GDTR_LIMIT);
    g.idtr_base = v.get(GUEST_IDTR_BASE);
    g.idtr_limit = get32(v, GUEST_IDTR_LIMIT);
    g.debugctl = v.get(GUEST_IA32_DEBUGCTL);
    g.pat = v.get(GUEST_IA32_PAT);
    g.efer = v.get(GUEST_IA32_EFER);
    g.sysenter_cs = get32(v, GUEST_SYSENTER_CS);
    g.sysenter_esp = v.get(GUEST_SYSENTER_ESP);
    g.sysenter_eip = v.get(GUEST_SYSENTER_EIP);
    g.smbase = get32(v, GUEST_SMBASE);
    g.activity_state = get32(v, GUEST_ACTIVITY_STATE);
    g.interruptibility = get32(v, GUEST_INTERRUPTIBILITY_INFO);
    g.pending_debug_exceptions = v.get(GUEST_PENDING_DBG_EXCEPTIONS);
    g.vmcs_link_pointer = v.get(VMCS_LINK_POINTER);
    g.preemption_timer_value = get32(v, VMX_PREEMPTION_TIMER_VALUE);
    const uint32_t pdpte_fields[] = {GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3};
    for (unsigned i = 0; i < 4; ++i)
        g.pdpte[i] = v.get(pdpte_fields[i]);
    return g;
}

} // namespace

VmcsSnapshot load_snapshot(const VmcsStore& vmcs) {
    VmcsSnapshot s;
    s.facts.maxphyaddr = model::kMaxPhysAddrBits;
    s.facts.linear_bits = model::kLinearAddrBits;
    s.facts.efer_supported = model::kEferSupported;
    s.ctl = load_controls(vmcs);
    s.host = load_host(vmcs);
    s.guest = load_guest(vmcs);
    return s;
}

bool guest_uses_pae_pdptes(const VmcsSnapshot& s) {
    return (s.guest.cr0 & cr0::PG) && (s.guest.cr4 & cr4::PAE) && !s.ctl.entry.ia32e_mode_guest();
}

bool guest_pdptes_from_vmcs(const VmcsSnapshot& s) {
    return s.ctl.proc2.enable_ept();
}

} // namespace hvlab::cpu::vmx
