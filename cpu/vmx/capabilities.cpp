// The VMX capabilities hvlab advertises. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D,
// appendix "VMX Capability Reporting Facility". Each control capability is built from the
// SDM's "default1" class plus exactly the controls issue 5 lists; docs/vmx-capabilities.md.
#include "cpu/vmx/capabilities.hpp"

#include "cpu/cpu_state.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/controls.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_store.hpp"
#include "mmu/ept_walk.hpp"

namespace hvlab::cpu::vmx {
namespace {

constexpr uint64_t flag(bool b, unsigned bit) {
    return b ? uint64_t{1} << bit : 0;
}

// Revision identifier of hvlab's VMCS layout ("HV" in ASCII); bit 31 must be 0.
constexpr uint32_t kVmcsRevisionId = 0x4856;
constexpr uint8_t kMemoryTypeWriteBack = 6;

ControlCapability pinbased_caps() {
    using P = PinBased;
    return {P::kDefault1, P::kDefault1 | P::kExternalInterruptExiting | P::kNmiExiting |
                              P::kVirtualNmis | P::kActivatePreemptionTimer};
}

ControlCapability procbased_caps() {
    using P = ProcBased;
    const uint32_t supported =
        P::kInterruptWindowExiting | P::kUseTscOffsetting | P::kHltExiting | P::kInvlpgExiting |
        P::kMwaitExiting | P::kRdpmcExiting | P::kRdtscExiting | P::kCr3LoadExiting |
        P::kCr3StoreExiting | P::kCr8LoadExiting | P::kCr8StoreExiting | P::kNmiWindowExiting |
        P::kMovDrExiting | P::kUnconditionalIoExiting | P::kUseIoBitmaps | P::kMonitorTrapFlag |
        P::kUseMsrBitmaps | P::kMonitorExiting | P::kPauseExiting | P::kActivateSecondaryControls;
    return {P::kDefault1, P::kDefault1 | supported};
}

ControlCapability procbased2_caps() {
    using P = ProcBased2;
    return {0, P::kEnableEpt | P::kDescriptorTableExiting | P::kEnableRdtscp | P::kEnableVpid |
                   P::kWbinvdExiting | P::kEnableInvpcid};
}

ControlCapability exit_caps() {
    using E = ExitControls;
    return {E::kDefault1, E::kDefault1 | E::kSaveDebugControls | E::kHostAddressSpaceSize |
                              E::kAcknowledgeInterruptOnExit | E::kSavePat | E::kLoadPat |
                              E::kSaveEfer | E::kLoadEfer | E::kSavePreemptionTimer};
}

ControlCapability entry_caps() {
    using E = EntryControls;
    return {E::kDefault1,
            E::kDefault1 | E::kLoadDebugControls | E::kIa32eModeGuest | E::kLoadPat | E::kLoadEfer};
}

// The TRUE_ MSRs may report 0 in allowed-0 only for default1 controls that the processor
// lets software clear (SDM Vol. 3D, "VMX Capability Reporting Facility": the TRUE_ MSRs
// "report on the allowed settings of all of the ... controls"). hvlab implements CR3-load/CR3-store
// exiting and save/load debug controls as real controls, so those default1 bits become flexible;
// every other default1 bit stays 1.
ControlCapability relax(ControlCapability cap, uint32_t flexible_default1) {
    cap.allowed0 &= ~flexible_default1;
    return cap;
}

VmxCapabilities build() {
    VmxCapabilities c;
    c.basic = {kVmcsRevisionId, static_cast<uint16_t>(kVmcsRegionSize), kMemoryTypeWriteBack,
               /*ins_outs_info=*/true, /*true_controls=*/true};
    c.pinbased = pinbased_caps();
    c.procbased = procbased_caps();
    c.procbased2 = procbased2_caps();
    c.exit = exit_caps();
    c.entry = entry_caps();
    c.true_pinbased = c.pinbased;
    c.true_procbased = relax(c.procbased, ProcBased::kCr3LoadExiting | ProcBased::kCr3StoreExiting);
    c.true_exit = relax(c.exit, ExitControls::kSaveDebugControls);
    c.true_entry = relax(c.entry, EntryControls::kLoadDebugControls);

    c.misc.preemption_timer_rate = 0; // one tick per TSC increment (TSC = virtual clock)
    c.misc.store_efer_lma_on_exit = true; // perform_vm_exit updates "IA-32e mode guest"
    c.misc.activity_hlt = true;
    c.misc.cr3_target_count = 4;
    c.misc.msr_list_field = 0; // 512 entries per list

    // Unrestricted guest is not supported, so PE, NE and PG are fixed to 1 in CR0; FIXED1 is
    // the set of CR0 bits hvlab implements. CR4.VMXE is fixed to 1; FIXED1 is what MOV CR4
    // accepts in the model.
    c.cr0_fixed0 = cr0::PE | cr0::NE | cr0::PG;
    c.cr0_fixed1 = cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::ET | cr0::NE | cr0::WP | cr0::AM |
                   cr0::NW | cr0::CD | cr0::PG;
    c.cr4_fixed0 = cr4::VMXE;
    c.cr4_fixed1 = model::kCr4Supported | cr4::VMXE;
    c.vmcs_enum = uint64_t{highest_field_index()} << 1;

    EptVpidCap& e = c.ept_vpid;
    e.execute_only = mmu::kEptExecuteOnly; // the EPT walker's rule (mmu/ept_walk.hpp)
    e.page_walk_length_4 = e.memory_type_uc = e.memory_type_wb = true;
    e.pde_2mb_pages = e.pdpte_1gb_pages = true;
    e.invept = e.invept_single_context = e.invept_all_context = true;
    e.accessed_dirty_flags = true;
    e.invvpid = e.invvpid_individual_address = e.invvpid_single_context = true;
    e.invvpid_all_context = e.invvpid_single_context_retaining_globals = true;
    return c;
}

} // namespace

uint64_t VmxBasic::msr_value() const {
    return (revision_id & 0x7FFFFFFFull) | (uint64_t{vmcs_size} & 0x1FFF) << 32 |
           uint64_t{memory_type & 0xFu} << 50 | flag(ins_outs_info, 54) | flag(true_controls, 55);
}

uint64_t VmxMisc::msr_value() const {
    return (preemption_timer_rate & 0x1Fu) | flag(store_efer_lma_on_exit, 5) |
           flag(activity_hlt, 6) | flag(activity_shutdown, 7) | flag(activity_wait_for_sipi, 8) |
           uint64_t{cr3_target_count & 0x1FFu} << 16 | uint64_t{msr_list_field & 7u} << 25 |
           flag(vmwrite_any_field, 29) | flag(inject_zero_length, 30);
}

uint64_t EptVpidCap::msr_value() const {
    return flag(execute_only, 0) | flag(page_walk_length_4, 6) | flag(memory_type_uc, 8) |
           flag(memory_type_wb, 14) | flag(pde_2mb_pages, 16) | flag(pdpte_1gb_pages, 17) |
           flag(invept, 20) | flag(accessed_dirty_flags, 21) | flag(invept_single_context, 25) |
           flag(invept_all_context, 26) | flag(invvpid, 32) | flag(invvpid_individual_address, 40) |
           flag(invvpid_single_context, 41) | flag(invvpid_all_context, 42) |
           flag(invvpid_single_context_retaining_globals, 43);
}

const VmxCapabilities& hvlab_vmx_capabilities() {
    static const VmxCapabilities caps = build();
    return caps;
}

bool is_capability_msr(uint32_t index) {
    return index >= msr_index::IA32_VMX_BASIC && index <= msr_index::IA32_VMX_TRUE_ENTRY_CTLS;
}

uint64_t read_capability_msr(const VmxCapabilities& c, uint32_t index) {
    using namespace msr_index;
    switch (index) {
    case IA32_VMX_BASIC: return c.basic.msr_value();
    case IA32_VMX_PINBASED_CTLS: return c.pinbased.msr_value();
    case IA32_VMX_PROCBASED_CTLS: return c.procbased.msr_value();
    case IA32_VMX_EXIT_CTLS: return c.exit.msr_value();
    case IA32_VMX_ENTRY_CTLS: return c.entry.msr_value();
    case IA32_VMX_MISC: return c.misc.msr_value();
    case IA32_VMX_CR0_FIXED0: return c.cr0_fixed0;
    case IA32_VMX_CR0_FIXED1: return c.cr0_fixed1;
    case IA32_VMX_CR4_FIXED0: return c.cr4_fixed0;
    case IA32_VMX_CR4_FIXED1: return c.cr4_fixed1;
    case IA32_VMX_VMCS_ENUM: return c.vmcs_enum;
    case IA32_VMX_PROCBASED_CTLS2: return c.procbased2.msr_value();
    case IA32_VMX_EPT_VPID_CAP: return c.ept_vpid.msr_value();
    case IA32_VMX_TRUE_PINBASED_CTLS: return c.true_pinbased.msr_value();
    case IA32_VMX_TRUE_PROCBASED_CTLS: return c.true_procbased.msr_value();
    case IA32_VMX_TRUE_EXIT_CTLS: return c.true_exit.msr_value();
    case IA32_VMX_TRUE_ENTRY_CTLS: return c.true_entry.msr_value();
    default: return 0;
    }
}

uint64_t read_capability_msr(uint32_t index) {
    return read_capability_msr(hvlab_vmx_capabilities(), index);
}

} // namespace hvlab::cpu::vmx
