// The four mistakes issue 5 names, each reported with the architected result and a one-line
// diagnostic naming the check and the field value; the controls -> host -> guest order; and
// the VMCS -> snapshot copy the checks run on.
#include "baseline.hpp"

#include "cpu/cpu_state.hpp"
#include "cpu/vmx/entry_check.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::vmx;
using namespace hvlab::test_vmx;

namespace {
EntryFailure fail_with(VmcsStore v) {
    VmcsSnapshot s = load_snapshot(v);
    s.facts.current_vmcs_pointer = kCurrentVmcs;
    auto f = run_entry_checks(s, hvlab_vmx_capabilities());
    REQUIRE(f.has_value());
    return *f;
}
bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}
} // namespace

TEST_CASE("host CR4.VMXE clear: VMfailValid(8) host_cr4_respects_fixed_bits", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    v.write(vmcs::HOST_CR4, v.get(vmcs::HOST_CR4) & ~cr4::VMXE);
    const EntryFailure f = fail_with(v);
    CHECK(f.vm_instruction_error() == 8);
    CHECK(f.check_id == "host_cr4_respects_fixed_bits");
    const std::string d = f.diagnostic();
    INFO(d);
    CHECK(contains(d, "VMfailValid(8)"));
    CHECK(contains(d, "host_cr4_respects_fixed_bits"));
    CHECK(contains(d, "Checks on Host Control Registers, MSRs, and SSP"));
    CHECK(contains(d, "HOST_CR4=0x620"));
    CHECK(d.find('\n') == std::string::npos);
}

TEST_CASE("guest activity state invalid: exit 33 guest_activity_state_supported", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    v.write(vmcs::GUEST_ACTIVITY_STATE, 7);
    const EntryFailure f = fail_with(v);
    CHECK(f.exit_reason() == 0x80000021);
    CHECK(f.exit_qualification() == 0);
    CHECK(f.check_id == "guest_activity_state_supported");
    CHECK(contains(f.diagnostic(), "GUEST_ACTIVITY_STATE=0x7"));
    CHECK(contains(f.diagnostic(), "VM-entry failure exit 33, qualification 0"));
}

TEST_CASE("a control forced to 1 by the TRUE MSR left 0: VMfailValid(7)", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    // Bit 26 of the primary processor-based controls is default1 and not relaxed by
    // IA32_VMX_TRUE_PROCBASED_CTLS.
    v.write(vmcs::CPU_BASED_VM_EXEC_CONTROL, v.get(vmcs::CPU_BASED_VM_EXEC_CONTROL) & ~(1u << 26));
    const EntryFailure f = fail_with(v);
    CHECK(f.vm_instruction_error() == 7);
    CHECK(f.check_id == "proc_based_controls_respect_capability");
    CHECK(contains(f.diagnostic(), "CPU_BASED_VM_EXEC_CONTROL="));
    CHECK(contains(f.diagnostic(), "bits 0x4000000 not allowed"));
}

TEST_CASE("a default1 control the TRUE MSR relaxes may be 0", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    // CR3-load exiting (bit 15) is default1 in IA32_VMX_PROCBASED_CTLS but flexible in the
    // TRUE MSR, which VM entry consults because IA32_VMX_BASIC[55] = 1.
    v.write(vmcs::CPU_BASED_VM_EXEC_CONTROL, v.get(vmcs::CPU_BASED_VM_EXEC_CONTROL) & ~(3u << 15));
    VmcsSnapshot s = load_snapshot(v);
    CHECK_FALSE(run_entry_checks(s, hvlab_vmx_capabilities()).has_value());
    VmxCapabilities no_true = hvlab_vmx_capabilities();
    no_true.basic.true_controls = false;
    const auto f = run_entry_checks(s, no_true);
    REQUIRE(f.has_value());
    CHECK(f->check_id == "proc_based_controls_respect_capability");
}

TEST_CASE("guest TR not a busy TSS: exit 33 guest_tr_type_busy_64bit_tss_in_ia32e", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    v.write(vmcs::GUEST_TR_AR_BYTES, 0x89); // available 64-bit TSS
    const EntryFailure f = fail_with(v);
    CHECK(f.exit_reason() == 0x80000021);
    CHECK(f.check_id == "guest_tr_type_busy_64bit_tss_in_ia32e");
    CHECK(contains(f.diagnostic(), "access_rights=0x89"));
}

TEST_CASE("checks run controls, then host, then guest", "[vmx][diag]") {
    VmcsSnapshot s = baseline_snapshot();
    s.guest.rflags = 0;         // guest failure
    s.host.selector[CS] = 0;    // host failure
    s.ctl.cr3_target_count = 9; // control failure
    const VmxCapabilities& caps = hvlab_vmx_capabilities();
    CHECK(run_entry_checks(s, caps)->check_id == "cr3_target_count_within_limit");
    s.ctl.cr3_target_count = 0;
    CHECK(run_entry_checks(s, caps)->check_id == "host_cs_selector_nonzero");
    s.host.selector[CS] = 8;
    CHECK(run_entry_checks(s, caps)->check_id == "guest_rflags_bit1_set");
}

TEST_CASE("load_snapshot copies the VMCS fields the checks read", "[vmx][diag]") {
    VmcsStore v = baseline_vmcs();
    v.write(vmcs::GUEST_GS_SELECTOR, 0x2B);
    v.write(vmcs::GUEST_GS_BASE, 0xFFFF800000000000);
    v.write(vmcs::GUEST_GS_LIMIT, 0xFFFFF);
    v.write(vmcs::GUEST_GS_AR_BYTES, 0xF3);
    v.write(vmcs::GUEST_PDPTE1, 0x5001);
    v.write(vmcs::VM_ENTRY_INTR_INFO_FIELD, 0x80000B0E);
    v.write(vmcs::HOST_GS_SELECTOR, 0x20);
    v.write(vmcs::SECONDARY_VM_EXEC_CONTROL, 0x22);
    const VmcsSnapshot s = load_snapshot(v);
    CHECK(s.guest.seg[GS].selector == 0x2B);
    CHECK(s.guest.seg[GS].base == 0xFFFF800000000000);
    CHECK(s.guest.seg[GS].limit == 0xFFFFF);
    CHECK(s.guest.seg[GS].dpl() == 3);
    CHECK(s.guest.pdpte[1] == 0x5001);
    CHECK(s.ctl.entry_interruption.valid());
    CHECK(s.ctl.entry_interruption.vector() == 14);
    CHECK(s.ctl.entry_interruption.deliver_error_code());
    CHECK(s.host.selector[GS] == 0x20);
    CHECK(s.ctl.proc2.enable_vpid());
    CHECK(s.facts.maxphyaddr == 39);
    // Secondary controls count as 0 while "activate secondary controls" is 0.
    v.write(vmcs::CPU_BASED_VM_EXEC_CONTROL,
            v.get(vmcs::CPU_BASED_VM_EXEC_CONTROL) & ~ProcBased::kActivateSecondaryControls);
    const VmcsSnapshot off = load_snapshot(v);
    CHECK(off.ctl.proc2.raw() == 0);
    CHECK(off.ctl.proc2_raw.raw() == 0x22);
}
