// VMX capability reporting: the IA32_VMX_* MSRs as one struct with named fields (STYLE.md,
// cpu/vmx/: never an array indexed by MSR offset). The same struct feeds RDMSR and the
// VM-entry checks, so what hvlab advertises and what it accepts cannot drift apart.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D, appendix "VMX Capability Reporting
// Facility". docs/vmx-capabilities.md says what is advertised and why.
#pragma once
#include <cstdint>

namespace hvlab::cpu::vmx {

// MSR indices (SDM Vol. 4, "Architectural MSRs").
namespace msr_index {
inline constexpr uint32_t IA32_VMX_BASIC = 0x480, IA32_VMX_PINBASED_CTLS = 0x481,
                          IA32_VMX_PROCBASED_CTLS = 0x482, IA32_VMX_EXIT_CTLS = 0x483,
                          IA32_VMX_ENTRY_CTLS = 0x484, IA32_VMX_MISC = 0x485,
                          IA32_VMX_CR0_FIXED0 = 0x486, IA32_VMX_CR0_FIXED1 = 0x487,
                          IA32_VMX_CR4_FIXED0 = 0x488, IA32_VMX_CR4_FIXED1 = 0x489,
                          IA32_VMX_VMCS_ENUM = 0x48A, IA32_VMX_PROCBASED_CTLS2 = 0x48B,
                          IA32_VMX_EPT_VPID_CAP = 0x48C, IA32_VMX_TRUE_PINBASED_CTLS = 0x48D,
                          IA32_VMX_TRUE_PROCBASED_CTLS = 0x48E, IA32_VMX_TRUE_EXIT_CTLS = 0x48F,
                          IA32_VMX_TRUE_ENTRY_CTLS = 0x490;
} // namespace msr_index

// IA32_VMX_BASIC (SDM Vol. 3D, "Basic VMX Information").
struct VmxBasic {
    uint32_t revision_id = 0;   // bits 30:0
    uint16_t vmcs_size = 0;     // bits 44:32, bytes
    uint8_t memory_type = 0;    // bits 53:50, 6 = write-back
    bool ins_outs_info = false; // bit 54: VM exits for INS/OUTS report instruction information
    bool true_controls = false; // bit 55: the IA32_VMX_TRUE_*_CTLS MSRs exist
    uint64_t msr_value() const;
};

// A control capability MSR (SDM Vol. 3D, "VM-Execution Controls"): bits 31:0 are the
// allowed 0-settings (a 1 there means the control must be 1), bits 63:32 the allowed
// 1-settings (a 0 there means the control must be 0).
struct ControlCapability {
    uint32_t allowed0 = 0; // must-be-one mask
    uint32_t allowed1 = 0; // may-be-one mask
    uint64_t msr_value() const { return (uint64_t{allowed1} << 32) | allowed0; }
};

// IA32_VMX_MISC (SDM Vol. 3D, "Miscellaneous Data").
struct VmxMisc {
    uint8_t preemption_timer_rate = 0;   // bits 4:0: timer ticks when TSC bit X changes
    bool store_efer_lma_on_exit = false; // bit 5
    bool activity_hlt = false;           // bit 6
    bool activity_shutdown = false;      // bit 7
    bool activity_wait_for_sipi = false; // bit 8
    uint16_t cr3_target_count = 0;       // bits 24:16
    uint8_t msr_list_field = 0;          // bits 27:25: N, lists hold 512 * (N + 1) entries
    bool vmwrite_any_field = false;      // bit 29
    bool inject_zero_length = false;     // bit 30: software events with instruction length 0
    uint32_t max_msr_list_entries() const { return 512u * (msr_list_field + 1u); }
    uint64_t msr_value() const;
};

// IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, "VPID and EPT Capabilities").
struct EptVpidCap {
    bool execute_only = false;                             // bit 0
    bool page_walk_length_4 = false;                       // bit 6
    bool memory_type_uc = false;                           // bit 8
    bool memory_type_wb = false;                           // bit 14
    bool pde_2mb_pages = false;                            // bit 16
    bool pdpte_1gb_pages = false;                          // bit 17
    bool invept = false;                                   // bit 20
    bool accessed_dirty_flags = false;                     // bit 21
    bool invept_single_context = false;                    // bit 25
    bool invept_all_context = false;                       // bit 26
    bool invvpid = false;                                  // bit 32
    bool invvpid_individual_address = false;               // bit 40 (type 0)
    bool invvpid_single_context = false;                   // bit 41 (type 1)
    bool invvpid_all_context = false;                      // bit 42 (type 2)
    bool invvpid_single_context_retaining_globals = false; // bit 43 (type 3)
    uint64_t msr_value() const;
};

struct VmxCapabilities {
    VmxBasic basic;
    ControlCapability pinbased, procbased, procbased2, exit, entry;
    ControlCapability true_pinbased, true_procbased, true_exit, true_entry;
    VmxMisc misc;
    uint64_t cr0_fixed0 = 0, cr0_fixed1 = 0, cr4_fixed0 = 0, cr4_fixed1 = 0;
    uint64_t vmcs_enum = 0; // bits 9:1: highest index value of any VMCS field encoding
    EptVpidCap ept_vpid;

    // The MSRs VM entry consults for each control field: the TRUE_ ones when
    // IA32_VMX_BASIC[55] is 1 (SDM Vol. 3C, "Checks on VMX Controls"; Vol. 3D, "VMX
    // Capability Reporting Facility").
    const ControlCapability& effective_pinbased() const {
        return basic.true_controls ? true_pinbased : pinbased;
    }
    const ControlCapability& effective_procbased() const {
        return basic.true_controls ? true_procbased : procbased;
    }
    const ControlCapability& effective_exit() const {
        return basic.true_controls ? true_exit : exit;
    }
    const ControlCapability& effective_entry() const {
        return basic.true_controls ? true_entry : entry;
    }
};

// What the hvlab CPU model advertises (built once; see docs/vmx-capabilities.md).
const VmxCapabilities& hvlab_vmx_capabilities();

// RDMSR of the VMX capability MSRs. is_capability_msr() says whether `index` is one hvlab
// implements (IA32_VMX_VMFUNC and the tertiary-controls MSR are not: RDMSR of them is #GP).
bool is_capability_msr(uint32_t index);
uint64_t read_capability_msr(const VmxCapabilities& caps, uint32_t index);
uint64_t read_capability_msr(uint32_t index); // of hvlab_vmx_capabilities(); 0 if unknown

// The ONE helper that applies allowed settings (SDM Vol. 3D, "VM-Execution Controls" and
// "VMX-Fixed Bits in CR0"/"in CR4"): a control capability's allowed-0 half, or a FIXED0 MSR,
// says which bits must be 1; its allowed-1 half, or a FIXED1 MSR, which bits may be 1.
// For each bit:
//   must be 1 | may be 1 | desired | result
//   ----------+----------+---------+--------------------------------------------------
//       1     |    1     |    x    | 1  fixed to 1
//       0     |    0     |    x    | 0  fixed to 0 (not supported)
//       0     |    1     |    d    | d  flexible: software chooses
//       1     |    0     |    x    | -- cannot happen (must-be-1 is a subset of may-be-1)
constexpr uint64_t apply_allowed_settings(uint64_t desired, uint64_t must_be_1, uint64_t may_be_1) {
    return (desired | must_be_1) & may_be_1;
}
// Bits of `value` that break the table above: 0 means the value is allowed. VM entry uses it
// for the control, CR0 and CR4 checks.
constexpr uint64_t allowed_settings_violations(uint64_t value, uint64_t must_be_1,
                                               uint64_t may_be_1) {
    return (~value & must_be_1) | (value & ~may_be_1);
}

// The same helper, spelled for control words and for CR0/CR4 fixed bits.
inline uint32_t adjust_controls(uint32_t desired, const ControlCapability& cap) {
    return static_cast<uint32_t>(apply_allowed_settings(desired, cap.allowed0, cap.allowed1));
}
inline uint32_t control_violations(uint32_t value, const ControlCapability& cap) {
    return static_cast<uint32_t>(allowed_settings_violations(value, cap.allowed0, cap.allowed1));
}
inline uint64_t adjust_fixed_bits(uint64_t desired, uint64_t fixed0, uint64_t fixed1) {
    return apply_allowed_settings(desired, fixed0, fixed1);
}
inline uint64_t fixed_bit_violations(uint64_t value, uint64_t fixed0, uint64_t fixed1) {
    return allowed_settings_violations(value, fixed0, fixed1);
}

} // namespace hvlab::cpu::vmx
