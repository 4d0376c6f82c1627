// A CPU in 64-bit mode ready for VMXON (CR4.VMXE, IA32_FEATURE_CONTROL locked with VMX
// enabled, VMXON and VMCS regions with hvlab's revision identifier), hand-assembled VMX
// instructions, and a "minimal valid VMCS" for a 64-bit guest that shares the host's GDT,
// IDT and page tables. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C.
#pragma once
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"
#include "tests/cpu/cpu_fixture.hpp"

#include <optional>
#include <vector>

namespace hvlab::cpu::test {

// Machine code of the instructions under test (RAX = memory operand, RBX/RCX = registers).
namespace op {
inline const std::vector<uint8_t> vmxon_rax = {0xF3, 0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> vmclear_rax = {0x66, 0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> vmptrld_rax = {0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> vmptrst_rax = {0x0F, 0xC7, 0x38};
inline const std::vector<uint8_t> vmptrst_rax_disp8 = {0x0F, 0xC7, 0x78, 0x10}; // [rax+0x10]
inline const std::vector<uint8_t> vmread_rax_rbx = {0x0F, 0x78, 0xD8};          // rax := field[rbx]
inline const std::vector<uint8_t> vmread_mrax_rbx = {0x0F, 0x78, 0x18};  // [rax] := field[rbx]
inline const std::vector<uint8_t> vmwrite_rbx_rax = {0x0F, 0x79, 0xD8};  // field[rbx] := rax
inline const std::vector<uint8_t> vmwrite_rbx_mrax = {0x0F, 0x79, 0x18}; // field[rbx] := [rax]
inline const std::vector<uint8_t> vmlaunch = {0x0F, 0x01, 0xC2};
inline const std::vector<uint8_t> vmresume = {0x0F, 0x01, 0xC3};
inline const std::vector<uint8_t> vmxoff = {0x0F, 0x01, 0xC4};
inline const std::vector<uint8_t> vmcall = {0x0F, 0x01, 0xC1};
inline const std::vector<uint8_t> invept_rcx_rax = {0x66, 0x0F, 0x38, 0x80, 0x08};
inline const std::vector<uint8_t> invvpid_rcx_rax = {0x66, 0x0F, 0x38, 0x81, 0x08};
inline const std::vector<uint8_t> hlt = {0xF4};
} // namespace op

struct VmxFixture : CpuFixture {
    static constexpr uint64_t kVmxon = 0x400000, kVmcs = 0x401000, kVmcs2 = 0x402000;
    static constexpr uint64_t kOperand = 0x403000; // memory operands
    static constexpr uint64_t kMsrLists = 0x404000;
    static constexpr uint64_t kHostRip = 0x110000, kHostRsp = 0x1E0000;
    static constexpr uint64_t kGuestRip = 0x120000, kGuestRsp = 0x1D0000;
    static constexpr uint16_t kTssSel = 0x40;
    static constexpr uint64_t kFlagsMask = rflags::kArith;

    VmxFixture() : CpuFixture(TestMode::Long64) {
        // A 64-bit TSS descriptor at 0x40 for TR (VM entry needs a usable TR).
        const uint64_t tss_lo =
            0x67 | ((kTss & 0xFFFFFF) << 16) | (uint64_t{0x8B} << 40) | ((kTss >> 24) << 56);
        poke_val<uint64_t>(kGdt + kTssSel, tss_lo);
        poke_val<uint64_t>(kGdt + kTssSel + 8, 0);
        s().gdtr.limit = 0x4F;
        s().tr = Segment{kTssSel, kTss, 0x67, 0x8B};
        s().cr4 |= cr4::VMXE;
        s().msr.feature_control = 0x5; // lock + VMX outside SMX (firmware's job)
        const uint32_t rev = vmx::hvlab_vmx_capabilities().basic.revision_id;
        for (uint64_t r : {kVmxon, kVmcs, kVmcs2})
            poke_val<uint32_t>(r, rev);
        poke(kHostRip, {0xF4});
        cpu.invalidate_caches();
    }

    // Runs one instruction (plus the HLT of an exception stub, if one is delivered) and
    // returns the delivered vector or -1.
    int exec(const std::vector<uint8_t>& code, uint64_t at = kCode) {
        load(code, at);
        s().activity = CpuState::Activity::Active; // a previous exception stub halted
        run(1);
        const int v = delivered_vector();
        if (v >= 0) return v;
        return -1;
    }

    uint64_t arith_flags() const { return cpu.state().rflags & kFlagsMask; }
    bool vm_succeeded() const { return arith_flags() == 0; }
    bool vm_fail_invalid() const { return arith_flags() == rflags::CF; }
    std::optional<uint32_t> vm_fail_valid() const {
        if (arith_flags() != rflags::ZF) return std::nullopt;
        return static_cast<uint32_t>(cpu.state().vmx.vmcs.get(vmx::vmcs::VM_INSTRUCTION_ERROR));
    }

    // Sets all six arithmetic flags so that a VMsucceed visibly clears them.
    void dirty_flags() { s().rflags |= kFlagsMask; }

    void vmxon(uint64_t ptr = kVmxon) {
        reg(RAX) = kOperand;
        poke_val<uint64_t>(kOperand, ptr);
        exec(op::vmxon_rax);
    }
    void vmptrld(uint64_t ptr = kVmcs) {
        reg(RAX) = kOperand;
        poke_val<uint64_t>(kOperand, ptr);
        exec(op::vmptrld_rax);
    }
    void vmclear(uint64_t ptr = kVmcs) {
        reg(RAX) = kOperand;
        poke_val<uint64_t>(kOperand, ptr);
        exec(op::vmclear_rax);
    }
    void vmwrite(uint32_t enc, uint64_t value) {
        reg(RBX) = enc;
        reg(RAX) = value;
        exec(op::vmwrite_rbx_rax);
    }
    uint64_t vmread(uint32_t enc) {
        reg(RBX) = enc;
        exec(op::vmread_rax_rbx);
        return reg(RAX);
    }

    // The processor's own view of a field of the current VMCS.
    uint64_t field(uint32_t enc) const { return cpu.state().vmx.vmcs.get(enc); }
    void set_field(uint32_t enc, uint64_t v) { s().vmx.vmcs.set(enc, v); }

    // Writes a VMCS that passes every VM-entry check: host = the current 64-bit state, guest =
    // the same flat 64-bit environment at kGuestRip. Controls are adjusted through the TRUE
    // capability MSRs.
    void write_minimal_vmcs() {
        using namespace vmx::vmcs;
        namespace v = vmx;
        const v::VmxCapabilities& caps = v::hvlab_vmx_capabilities();
        const CpuState st = s();
        set_field(PIN_BASED_VM_EXEC_CONTROL, v::adjust_controls(0, caps.true_pinbased));
        set_field(CPU_BASED_VM_EXEC_CONTROL, v::adjust_controls(0, caps.true_procbased));
        set_field(VM_EXIT_CONTROLS,
                  v::adjust_controls(v::ExitControls::kHostAddressSpaceSize, caps.true_exit));
        set_field(VM_ENTRY_CONTROLS,
                  v::adjust_controls(v::EntryControls::kIa32eModeGuest, caps.true_entry));
        set_field(HOST_CR0, st.cr0);
        set_field(HOST_CR3, st.cr3);
        set_field(HOST_CR4, st.cr4);
        set_field(HOST_CS_SELECTOR, kCode64);
        for (uint32_t e : {HOST_SS_SELECTOR, HOST_DS_SELECTOR, HOST_ES_SELECTOR, HOST_FS_SELECTOR,
                           HOST_GS_SELECTOR})
            set_field(e, kData32);
        set_field(HOST_TR_SELECTOR, kTssSel);
        set_field(HOST_TR_BASE, kTss);
        set_field(HOST_GDTR_BASE, kGdt);
        set_field(HOST_IDTR_BASE, kIdt);
        set_field(HOST_RSP, kHostRsp);
        set_field(HOST_RIP, kHostRip);

        set_field(GUEST_CR0, st.cr0);
        set_field(GUEST_CR3, st.cr3);
        set_field(GUEST_CR4, st.cr4);
        set_field(GUEST_DR7, 0x400);
        set_field(GUEST_RSP, kGuestRsp);
        set_field(GUEST_RIP, kGuestRip);
        set_field(GUEST_RFLAGS, rflags::kFixed1);
        for (unsigned n = 0; n < 6; ++n) {
            const bool code = n == CS;
            set_field(GUEST_ES_SELECTOR + 2 * n, code ? kCode64 : kData32);
            set_field(GUEST_ES_BASE + 2 * n, 0);
            set_field(GUEST_ES_LIMIT + 2 * n, 0xFFFF'FFFF);
            set_field(GUEST_ES_AR_BYTES + 2 * n, code ? 0xA09B : 0xC093);
        }
        set_field(GUEST_LDTR_AR_BYTES, kSegUnusable);
        set_field(GUEST_TR_SELECTOR, kTssSel);
        set_field(GUEST_TR_BASE, kTss);
        set_field(GUEST_TR_LIMIT, 0x67);
        set_field(GUEST_TR_AR_BYTES, 0x8B);
        set_field(GUEST_GDTR_BASE, kGdt);
        set_field(GUEST_GDTR_LIMIT, 0x4F);
        set_field(GUEST_IDTR_BASE, kIdt);
        set_field(GUEST_IDTR_LIMIT, 0xFFF);
        set_field(VMCS_LINK_POINTER, ~uint64_t{0});
    }

    // VMXON, VMCLEAR, VMPTRLD and the minimal VMCS: ready for VMLAUNCH.
    void prepare_launch() {
        vmxon();
        vmclear();
        vmptrld();
        write_minimal_vmcs();
    }

    // Guest code at kGuestRip.
    void guest_code(const std::vector<uint8_t>& code) { poke(kGuestRip, code.data(), code.size()); }
};

} // namespace hvlab::cpu::test
