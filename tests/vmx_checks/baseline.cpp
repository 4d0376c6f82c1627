#include "baseline.hpp"

#include "cpu/cpu_state.hpp"
#include "cpu/vmx/controls.hpp"

#include <stdexcept>

namespace hvlab::test_vmx {

using namespace cpu;
using namespace cpu::vmx;

namespace {

void put(VmcsStore& v, uint32_t enc, uint64_t value) {
    if (v.write(enc, value) != VmcsAccess::Ok) throw std::logic_error("baseline VMWRITE failed");
}

void controls(VmcsStore& v, const VmxCapabilities& c) {
    using namespace vmcs;
    put(v, PIN_BASED_VM_EXEC_CONTROL,
        adjust_controls(PinBased::kExternalInterruptExiting | PinBased::kNmiExiting |
                            PinBased::kVirtualNmis,
                        c.effective_pinbased()));
    put(v, CPU_BASED_VM_EXEC_CONTROL,
        adjust_controls(ProcBased::kHltExiting | ProcBased::kUseIoBitmaps |
                            ProcBased::kUseMsrBitmaps | ProcBased::kActivateSecondaryControls,
                        c.effective_procbased()));
    put(v, SECONDARY_VM_EXEC_CONTROL,
        adjust_controls(ProcBased2::kEnableEpt | ProcBased2::kEnableVpid |
                            ProcBased2::kEnableRdtscp,
                        c.procbased2));
    put(v, VM_EXIT_CONTROLS,
        adjust_controls(ExitControls::kHostAddressSpaceSize |
                            ExitControls::kAcknowledgeInterruptOnExit | ExitControls::kSavePat |
                            ExitControls::kLoadPat | ExitControls::kSaveEfer |
                            ExitControls::kLoadEfer,
                        c.effective_exit()));
    put(v, VM_ENTRY_CONTROLS,
        adjust_controls(EntryControls::kIa32eModeGuest | EntryControls::kLoadPat |
                            EntryControls::kLoadEfer,
                        c.effective_entry()));
    put(v, IO_BITMAP_A, 0x10000);
    put(v, IO_BITMAP_B, 0x11000);
    put(v, MSR_BITMAP, 0x12000);
    put(v, EPT_POINTER, 0x13000 | (3 << 3) | 6); // WB, 4-level walk
    put(v, VIRTUAL_PROCESSOR_ID, 1);
    put(v, VM_EXIT_MSR_STORE_ADDR, 0x14000);
    put(v, VM_EXIT_MSR_STORE_COUNT, 2);
    put(v, VM_EXIT_MSR_LOAD_ADDR, 0x14100);
    put(v, VM_EXIT_MSR_LOAD_COUNT, 2);
    put(v, VM_ENTRY_MSR_LOAD_ADDR, 0x14200);
    put(v, VM_ENTRY_MSR_LOAD_COUNT, 2);
}

void host(VmcsStore& v) {
    using namespace vmcs;
    put(v, HOST_CR0, cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG);
    put(v, HOST_CR3, 0x1000);
    put(v, HOST_CR4, cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT | cr4::VMXE);
    put(v, HOST_RSP, 0x300000);
    put(v, HOST_RIP, 0x200000);
    put(v, HOST_CS_SELECTOR, 0x08);
    for (uint32_t enc : {HOST_SS_SELECTOR, HOST_DS_SELECTOR, HOST_ES_SELECTOR})
        put(v, enc, 0x10);
    put(v, HOST_TR_SELECTOR, 0x18);
    put(v, HOST_TR_BASE, 0x5000);
    put(v, HOST_GDTR_BASE, 0x4000);
    put(v, HOST_IDTR_BASE, 0x4100);
    put(v, HOST_FS_BASE, 0xFFFF800000001000);
    put(v, HOST_IA32_PAT, 0x0007040600070406);
    put(v, HOST_IA32_EFER, efer::SCE | efer::LME | efer::LMA | efer::NXE);
}

void guest_segment(VmcsStore& v, unsigned n, uint16_t sel, uint32_t limit, uint32_t ar) {
    put(v, vmcs::GUEST_ES_SELECTOR + 2 * n, sel);
    put(v, vmcs::GUEST_ES_BASE + 2 * n, 0);
    put(v, vmcs::GUEST_ES_LIMIT + 2 * n, limit);
    put(v, vmcs::GUEST_ES_AR_BYTES + 2 * n, ar);
}

void guest(VmcsStore& v) {
    using namespace vmcs;
    put(v, GUEST_CR0, cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG);
    put(v, GUEST_CR3, 0x2000);
    put(v, GUEST_CR4, cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT | cr4::VMXE);
    put(v, GUEST_DR7, 0x400);
    put(v, GUEST_RSP, 0x8000);
    put(v, GUEST_RIP, 0x100000);
    put(v, GUEST_RFLAGS, rflags::kFixed1);
    guest_segment(v, CS, 0x08, 0xFFFFFFFF, 0xA09B); // 64-bit code: type 11, S, P, L, G
    for (unsigned n : {SS, DS, ES})
        guest_segment(v, n, 0x10, 0xFFFFFFFF, 0xC093);
    for (unsigned n : {FS, GS})
        guest_segment(v, n, 0, 0, kSegUnusable);
    put(v, GUEST_LDTR_AR_BYTES, kSegUnusable);
    put(v, GUEST_TR_SELECTOR, 0x18);
    put(v, GUEST_TR_BASE, 0x6000);
    put(v, GUEST_TR_LIMIT, 0x67);
    put(v, GUEST_TR_AR_BYTES, 0x8B); // busy 64-bit TSS, present
    put(v, GUEST_GDTR_BASE, 0x7000);
    put(v, GUEST_GDTR_LIMIT, 0x27);
    put(v, GUEST_IDTR_BASE, 0x7100);
    put(v, GUEST_IDTR_LIMIT, 0xFFF);
    put(v, GUEST_IA32_PAT, 0x0007040600070406);
    put(v, GUEST_IA32_EFER, efer::SCE | efer::LME | efer::LMA | efer::NXE);
    put(v, VMCS_LINK_POINTER, ~uint64_t{0});
}

} // namespace

VmcsStore baseline_vmcs() {
    VmcsStore v;
    const VmxCapabilities& c = hvlab_vmx_capabilities();
    controls(v, c);
    host(v);
    guest(v);
    return v;
}

VmcsSnapshot baseline_snapshot() {
    VmcsSnapshot s = load_snapshot(baseline_vmcs());
    s.facts.ia32e_mode = true;
    s.facts.current_vmcs_pointer = kCurrentVmcs;
    return s;
}

void make_protected32_guest(VmcsSnapshot& s) {
    s.ctl.entry = EntryControls(s.ctl.entry.raw() & ~EntryControls::kIa32eModeGuest);
    s.guest.efer &= ~(efer::LME | efer::LMA);
    s.guest.seg[CS].access_rights = 0xC09B; // 32-bit code: D/B, G
    s.guest.tr.access_rights = 0x8B;        // busy 32-bit TSS
    s.guest.cr3 = 0x2000;
    s.guest.pdpte = {0x3001, 0x4001, 0x5001, 0x6001};
}

void make_v86_guest(VmcsSnapshot& s) {
    s.guest.rflags |= rflags::VM;
    const uint16_t selectors[6] = {0x1000, 0x2000, 0x3000, 0x1000, 0, 0};
    for (unsigned n = 0; n < 6; ++n) {
        s.guest.seg[n].selector = selectors[n];
        s.guest.seg[n].base = uint64_t{selectors[n]} << 4;
        s.guest.seg[n].limit = 0xFFFF;
        s.guest.seg[n].access_rights = 0xF3;
    }
    s.guest.rip = 0x100;
}

void make_32bit_host(VmcsSnapshot& s) {
    s.facts.ia32e_mode = false;
    s.ctl.exit = ExitControls(s.ctl.exit.raw() &
                              ~(ExitControls::kHostAddressSpaceSize | ExitControls::kLoadEfer));
    s.host.efer = 0;
}

} // namespace hvlab::test_vmx
