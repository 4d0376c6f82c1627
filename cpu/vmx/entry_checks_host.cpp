// VM-entry checks on the host-state area; a failure is VMfailValid(8).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Checks on the Host-State Area":
// "Checks on Host Control Registers, MSRs, and SSP", "Checks on Host Segment and
// Descriptor-Table Registers", "Checks Related to Address-Space Size".
// hvlab has no CET, no IA32_PERF_GLOBAL_CTRL and no PKRS, so their checks do not apply.
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/entry_check_rules.hpp"

#include "cpu/cpu_state.hpp"

namespace hvlab::cpu::vmx {
namespace {

using namespace rules;
using S = const VmcsSnapshot&;
using C = const VmxCapabilities&;

constexpr std::string_view kRegs = "SDM Vol. 3C, Checks on Host Control Registers, MSRs, and SSP";
constexpr std::string_view kSegs =
    "SDM Vol. 3C, Checks on Host Segment and Descriptor-Table Registers";
constexpr std::string_view kSize = "SDM Vol. 3C, Checks Related to Address-Space Size";

constexpr std::string_view kSelectorNames[6] = {"HOST_ES_SELECTOR", "HOST_CS_SELECTOR",
                                                "HOST_SS_SELECTOR", "HOST_DS_SELECTOR",
                                                "HOST_FS_SELECTOR", "HOST_GS_SELECTOR"};

Violation fixed_bits(std::string_view name, uint64_t value, uint64_t fixed0, uint64_t fixed1) {
    const uint64_t bad = fixed_bit_violations(value, fixed0, fixed1);
    if (!bad) return kPass;
    return std::string(name) + "=" + hex(value) + " (bits " + hex(bad) +
           " violate FIXED0=" + hex(fixed0) + ", FIXED1=" + hex(fixed1) + ")";
}

bool host_64bit(S s) {
    return s.ctl.exit.host_address_space_size();
}

// --- Control registers and MSRs ----------------------------------------------------------

// "The CR0 field must not set any bit to a value not supported in VMX operation."
Violation host_cr0_respects_fixed_bits(S s, C c) {
    return fixed_bits("HOST_CR0", s.host.cr0, c.cr0_fixed0, c.cr0_fixed1);
}

// "The CR4 field must not set any bit to a value not supported in VMX operation."
Violation host_cr4_respects_fixed_bits(S s, C c) {
    return fixed_bits("HOST_CR4", s.host.cr4, c.cr4_fixed0, c.cr4_fixed1);
}

// "On processors that support Intel 64 architecture, the CR3 field must be such that bits
// 63:52 and bits in the range 51:32 beyond the processor's physical-address width must be 0."
Violation host_cr3_within_physical_address_width(S s, C) {
    if (!beyond_phys(s.host.cr3, s.facts.maxphyaddr)) return kPass;
    return field("HOST_CR3", s.host.cr3);
}

// "On processors that support Intel 64 architecture, the IA32_SYSENTER_ESP field and the
// IA32_SYSENTER_EIP field must each contain a canonical address."
Violation host_sysenter_esp_canonical(S s, C) {
    if (canonical(s.host.sysenter_esp, s.facts.linear_bits)) return kPass;
    return field("HOST_IA32_SYSENTER_ESP", s.host.sysenter_esp);
}
Violation host_sysenter_eip_canonical(S s, C) {
    if (canonical(s.host.sysenter_eip, s.facts.linear_bits)) return kPass;
    return field("HOST_IA32_SYSENTER_EIP", s.host.sysenter_eip);
}

// "If the 'load IA32_PAT' VM-exit control is 1, the value of the field for the IA32_PAT MSR
// must be one that could be written by WRMSR without fault at CPL 0. Specifically, each of
// the 8 bytes in the field must have one of the values 0 (UC), 1 (WC), 4 (WT), 5 (WP),
// 6 (WB), or 7 (UC-)."
Violation host_pat_valid(S s, C) {
    if (!s.ctl.exit.load_ia32_pat() || pat_valid(s.host.pat)) return kPass;
    return field("HOST_IA32_PAT", s.host.pat);
}

// "If the 'load IA32_EFER' VM-exit control is 1, bits reserved in the IA32_EFER MSR must be
// 0 in the field for that register."
Violation host_efer_reserved_bits_clear(S s, C) {
    if (!s.ctl.exit.load_ia32_efer() || !(s.host.efer & ~s.facts.efer_supported)) return kPass;
    return field("HOST_IA32_EFER", s.host.efer);
}

// "In addition, the values of the LMA and LME bits in the field must each be that of the
// 'host address-space size' VM-exit control."
Violation host_efer_lma_matches_address_space_size(S s, C) {
    if (!s.ctl.exit.load_ia32_efer() || ((s.host.efer & efer::LMA) != 0) == host_64bit(s))
        return kPass;
    return fields("HOST_IA32_EFER", s.host.efer, "VM_EXIT_CONTROLS", s.ctl.exit.raw());
}
Violation host_efer_lme_matches_address_space_size(S s, C) {
    if (!s.ctl.exit.load_ia32_efer() || ((s.host.efer & efer::LME) != 0) == host_64bit(s))
        return kPass;
    return fields("HOST_IA32_EFER", s.host.efer, "VM_EXIT_CONTROLS", s.ctl.exit.raw());
}

// --- Segment and descriptor-table registers ----------------------------------------------

// "In the selector field for each of CS, SS, DS, ES, FS, GS and TR, the RPL (bits 1:0) and
// the TI flag (bit 2) must be 0."
Violation host_selectors_rpl_ti_clear(S s, C) {
    for (unsigned n = 0; n < 6; ++n)
        if (s.host.selector[n] & 7) return field(kSelectorNames[n], s.host.selector[n]);
    if (s.host.tr_selector & 7) return field("HOST_TR_SELECTOR", s.host.tr_selector);
    return kPass;
}

// "The selector fields for CS and TR cannot be 0000H."
Violation host_cs_selector_nonzero(S s, C) {
    if (s.host.selector[CS] != 0) return kPass;
    return field("HOST_CS_SELECTOR", 0);
}
Violation host_tr_selector_nonzero(S s, C) {
    if (s.host.tr_selector != 0) return kPass;
    return field("HOST_TR_SELECTOR", 0);
}

// "The selector field for SS cannot be 0000H if the 'host address-space size' VM-exit
// control is 0."
Violation host_ss_selector_nonzero_for_32bit_host(S s, C) {
    if (host_64bit(s) || s.host.selector[SS] != 0) return kPass;
    return fields("HOST_SS_SELECTOR", 0, "VM_EXIT_CONTROLS", s.ctl.exit.raw());
}

// "On processors that support Intel 64 architecture, the base-address fields for FS, GS,
// GDTR, IDTR, and TR must contain canonical addresses."
Violation host_fs_base_canonical(S s, C) {
    return canonical(s.host.fs_base, s.facts.linear_bits) ? kPass
                                                          : field("HOST_FS_BASE", s.host.fs_base);
}
Violation host_gs_base_canonical(S s, C) {
    return canonical(s.host.gs_base, s.facts.linear_bits) ? kPass
                                                          : field("HOST_GS_BASE", s.host.gs_base);
}
Violation host_gdtr_base_canonical(S s, C) {
    return canonical(s.host.gdtr_base, s.facts.linear_bits)
               ? kPass
               : field("HOST_GDTR_BASE", s.host.gdtr_base);
}
Violation host_idtr_base_canonical(S s, C) {
    return canonical(s.host.idtr_base, s.facts.linear_bits)
               ? kPass
               : field("HOST_IDTR_BASE", s.host.idtr_base);
}
Violation host_tr_base_canonical(S s, C) {
    return canonical(s.host.tr_base, s.facts.linear_bits) ? kPass
                                                          : field("HOST_TR_BASE", s.host.tr_base);
}

// --- Address-space size ------------------------------------------------------------------

// "If the logical processor is outside IA-32e mode (if IA32_EFER.LMA = 0) at the time of
// VM entry, the following must hold: The 'IA-32e mode guest' VM-entry control is 0."
Violation ia32e_mode_guest_requires_ia32e_processor(S s, C) {
    if (s.facts.ia32e_mode || !s.ctl.entry.ia32e_mode_guest()) return kPass;
    return field("VM_ENTRY_CONTROLS", s.ctl.entry.raw());
}
// "The 'host address-space size' VM-exit control is 0."
Violation host_address_space_size_clear_outside_ia32e(S s, C) {
    if (s.facts.ia32e_mode || !host_64bit(s)) return kPass;
    return field("VM_EXIT_CONTROLS", s.ctl.exit.raw());
}

// "If the logical processor is in IA-32e mode (if IA32_EFER.LMA = 1) at the time of VM
// entry, the 'host address-space size' VM-exit control must be 1."
Violation host_address_space_size_set_in_ia32e(S s, C) {
    if (!s.facts.ia32e_mode || host_64bit(s)) return kPass;
    return field("VM_EXIT_CONTROLS", s.ctl.exit.raw());
}

// "If the 'host address-space size' VM-exit control is 0, the following must hold: The
// 'IA-32e mode guest' VM-entry control is 0." Not a separate check: the two checks above
// already reject every VMCS that breaks it (either the processor is outside IA-32e mode, or
// it is inside and "host address-space size" must be 1).
// "Bit 17 of the CR4 field (corresponding to CR4.PCIDE) is 0."
Violation host_cr4_pcide_clear_for_32bit_host(S s, C) {
    if (host_64bit(s) || !(s.host.cr4 & cr4::PCIDE)) return kPass;
    return field("HOST_CR4", s.host.cr4);
}
// "Bits 63:32 in the RIP field are 0."
Violation host_rip_upper_bits_clear_for_32bit_host(S s, C) {
    if (host_64bit(s) || !(s.host.rip >> 32)) return kPass;
    return field("HOST_RIP", s.host.rip);
}

// "If the 'host address-space size' VM-exit control is 1, the following must hold: Bit 5 of
// the CR4 field (corresponding to CR4.PAE) is 1."
Violation host_cr4_pae_set_for_64bit_host(S s, C) {
    if (!host_64bit(s) || (s.host.cr4 & cr4::PAE)) return kPass;
    return field("HOST_CR4", s.host.cr4);
}
// "The RIP field contains a canonical address."
Violation host_rip_canonical_for_64bit_host(S s, C) {
    if (!host_64bit(s) || canonical(s.host.rip, s.facts.linear_bits)) return kPass;
    return field("HOST_RIP", s.host.rip);
}

constexpr HostCheck kChecks[] = {
    {"host_cr0_respects_fixed_bits", kRegs, host_cr0_respects_fixed_bits},
    {"host_cr4_respects_fixed_bits", kRegs, host_cr4_respects_fixed_bits},
    {"host_cr3_within_physical_address_width", kRegs, host_cr3_within_physical_address_width},
    {"host_sysenter_esp_canonical", kRegs, host_sysenter_esp_canonical},
    {"host_sysenter_eip_canonical", kRegs, host_sysenter_eip_canonical},
    {"host_pat_valid", kRegs, host_pat_valid},
    {"host_efer_reserved_bits_clear", kRegs, host_efer_reserved_bits_clear},
    {"host_efer_lma_matches_address_space_size", kRegs, host_efer_lma_matches_address_space_size},
    {"host_efer_lme_matches_address_space_size", kRegs, host_efer_lme_matches_address_space_size},
    {"host_selectors_rpl_ti_clear", kSegs, host_selectors_rpl_ti_clear},
    {"host_cs_selector_nonzero", kSegs, host_cs_selector_nonzero},
    {"host_tr_selector_nonzero", kSegs, host_tr_selector_nonzero},
    {"host_ss_selector_nonzero_for_32bit_host", kSegs, host_ss_selector_nonzero_for_32bit_host},
    {"host_fs_base_canonical", kSegs, host_fs_base_canonical},
    {"host_gs_base_canonical", kSegs, host_gs_base_canonical},
    {"host_gdtr_base_canonical", kSegs, host_gdtr_base_canonical},
    {"host_idtr_base_canonical", kSegs, host_idtr_base_canonical},
    {"host_tr_base_canonical", kSegs, host_tr_base_canonical},
    {"ia32e_mode_guest_requires_ia32e_processor", kSize, ia32e_mode_guest_requires_ia32e_processor},
    {"host_address_space_size_clear_outside_ia32e", kSize,
     host_address_space_size_clear_outside_ia32e},
    {"host_address_space_size_set_in_ia32e", kSize, host_address_space_size_set_in_ia32e},
    {"host_cr4_pcide_clear_for_32bit_host", kSize, host_cr4_pcide_clear_for_32bit_host},
    {"host_rip_upper_bits_clear_for_32bit_host", kSize, host_rip_upper_bits_clear_for_32bit_host},
    {"host_cr4_pae_set_for_64bit_host", kSize, host_cr4_pae_set_for_64bit_host},
    {"host_rip_canonical_for_64bit_host", kSize, host_rip_canonical_for_64bit_host},
};

} // namespace

std::span<const HostCheck> host_checks() {
    return kChecks;
}

} // namespace hvlab::cpu::vmx
