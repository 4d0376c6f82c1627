// A CPU put straight into VMX non-root operation: the cpu-test machine (identity-mapped 64-bit
// mode, HLT stubs in the IDT) as the guest, a host-state area that lands on a HLT at kHostRip,
// and the controls written both into the VMCS cache and into the decoded copies
// (s.vmx.pin/proc/...), as VM entry would leave them. A test loads guest code, runs until the
// host HLT, and reads the exit-information fields.
#pragma once
#include "../cpu/cpu_fixture.hpp"
#include "cpu/system.hpp"
#include "cpu/vmx/controls.hpp"
#include "cpu/vmx/event_injection.hpp"
#include "cpu/vmx/vmcs_fields.hpp"

namespace hvlab::cpu::test {

namespace vf = vmx::vmcs;

struct NonRootFixture : CpuFixture {
    static constexpr uint64_t kHostRip = 0x180000;
    static constexpr uint64_t kHostStack = 0x1E8000;
    static constexpr uint64_t kVmcsRegion = 0x380000;
    static constexpr uint64_t kIoBitmapA = 0x390000, kIoBitmapB = 0x391000, kMsrBitmap = 0x392000;
    static constexpr uint16_t kHostTr = 0x40;

    explicit NonRootFixture(TestMode m = TestMode::Long64) : CpuFixture(m) {
        poke(kHostRip, {0xF4}); // the host halts right after the exit
        CpuState& st = s();
        st.vmx.operation = true;
        st.vmx.current_vmcs = kVmcsRegion;
        set(vf::HOST_CR0, cr0::PE | cr0::NE | cr0::PG | cr0::ET | cr0::MP);
        set(vf::HOST_CR3, kPml4);
        set(vf::HOST_CR4, cr4::PAE | cr4::VMXE | cr4::OSFXSR | cr4::OSXMMEXCPT);
        set(vf::HOST_CS_SELECTOR, kCode64);
        set(vf::HOST_SS_SELECTOR, kData32);
        set(vf::HOST_DS_SELECTOR, kData32);
        set(vf::HOST_ES_SELECTOR, kData32);
        set(vf::HOST_TR_SELECTOR, kHostTr);
        set(vf::HOST_TR_BASE, kTss);
        set(vf::HOST_GDTR_BASE, kGdt);
        set(vf::HOST_IDTR_BASE, kIdt);
        set(vf::HOST_RSP, kHostStack);
        set(vf::HOST_RIP, kHostRip);
        set(vf::VMCS_LINK_POINTER, ~uint64_t{0});
        // The guest: the fixture's state, with CR4.VMXE as VMX operation requires.
        st.cr4 |= cr4::VMXE;
        controls(0, 0, 0);
        st.vmx.non_root = true;
        cpu.invalidate_caches();
    }

    void set(uint32_t field, uint64_t value) { s().vmx.vmcs.set(field, value); }
    uint64_t get(uint32_t field) { return s().vmx.vmcs.get(field); }

    // Writes the controls (their default1 bits added; CR3-load/store exiting are flexible
    // through the TRUE capability MSRs and stay as given) and the decoded copies.
    void controls(uint32_t pin, uint32_t proc, uint32_t proc2, uint32_t exit = 0,
                  uint32_t entry = 0) {
        using namespace vmx;
        const uint32_t proc_default1 =
            ProcBased::kDefault1 & ~(ProcBased::kCr3LoadExiting | ProcBased::kCr3StoreExiting);
        pin |= PinBased::kDefault1;
        proc |= proc_default1 | (proc2 ? ProcBased::kActivateSecondaryControls : 0);
        exit |= ExitControls::kDefault1 | ExitControls::kHostAddressSpaceSize;
        entry |= EntryControls::kDefault1 |
                 (mode == TestMode::Protected32 ? 0 : EntryControls::kIa32eModeGuest);
        set(vf::PIN_BASED_VM_EXEC_CONTROL, pin);
        set(vf::CPU_BASED_VM_EXEC_CONTROL, proc);
        set(vf::SECONDARY_VM_EXEC_CONTROL, proc2);
        set(vf::VM_EXIT_CONTROLS, exit);
        set(vf::VM_ENTRY_CONTROLS, entry);
        VmxCpuState& v = s().vmx;
        v.pin = PinBased(pin);
        v.proc = ProcBased(proc);
        v.proc2 = ProcBased2(proc2);
        v.exit_ctl = ExitControls(exit);
        v.entry_ctl = EntryControls(entry);
    }

    // The VM-entry event side, as VM entry's last step.
    void finish_entry() {
        SystemContext c{s(), cpu.memory(), env, cpu.clock()};
        vmx::finish_vm_entry_events(c);
        // What the retirement of the VMLAUNCH/VMRESUME does (cpu.cpp, after_instruction).
        s().vmx.entry_in_progress = false;
        cpu.invalidate_caches();
    }

    // Runs until the host's HLT after an exit (or n instructions); true if the CPU exited.
    bool run_to_exit(uint64_t n = 1000) {
        run(n);
        return exited();
    }
    // In root operation at the host RIP (before or after its HLT).
    bool exited() const {
        const uint64_t rip = cpu.state().rip;
        return !cpu.state().vmx.non_root && (rip == kHostRip || rip == kHostRip + 1);
    }
    uint32_t reason() { return static_cast<uint32_t>(get(vf::VM_EXIT_REASON)); }
    uint64_t qualification() { return get(vf::EXIT_QUALIFICATION); }
    uint64_t guest_rip() { return get(vf::GUEST_RIP); }
    uint32_t length() { return static_cast<uint32_t>(get(vf::VM_EXIT_INSTRUCTION_LEN)); }
    uint32_t insn_info() { return static_cast<uint32_t>(get(vf::VMX_INSTRUCTION_INFO)); }
    uint32_t intr_info() { return static_cast<uint32_t>(get(vf::VM_EXIT_INTR_INFO)); }
    uint32_t intr_error() { return static_cast<uint32_t>(get(vf::VM_EXIT_INTR_ERROR_CODE)); }
    uint32_t idt_vectoring() { return static_cast<uint32_t>(get(vf::IDT_VECTORING_INFO_FIELD)); }
};

} // namespace hvlab::cpu::test
