// VM-entry checks on VMX controls; a failure is VMfailValid(7).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Checks on VMX Controls":
// "VM-Execution Control Fields", "VM-Exit Control Fields", "VM-Entry Control Fields".
// Each predicate quotes the SDM sentence it implements and returns the offending values.
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/entry_check_rules.hpp"

#include "cpu/cpu_state.hpp"

namespace hvlab::cpu::vmx {
namespace {

using namespace rules;
using S = const VmcsSnapshot&;
using C = const VmxCapabilities&;

constexpr std::string_view kExec = "SDM Vol. 3C, VM-Execution Control Fields";
constexpr std::string_view kExit = "SDM Vol. 3C, VM-Exit Control Fields";
constexpr std::string_view kEntry = "SDM Vol. 3C, VM-Entry Control Fields";

Violation control_word(std::string_view name, uint32_t value, const ControlCapability& cap) {
    const uint32_t bad = control_violations(value, cap);
    if (!bad) return kPass;
    return std::string(name) + "=" + hex(value) + " (bits " + hex(bad) +
           " not allowed; allowed0=" + hex(cap.allowed0) + ", allowed1=" + hex(cap.allowed1) + ")";
}

// --- VM-Execution Control Fields ---------------------------------------------------------

// "Reserved bits in the pin-based VM-execution controls must be set properly. Software may
// consult the VMX capability MSRs to determine the proper settings."
Violation pin_based_controls_respect_capability(S s, C c) {
    return control_word("PIN_BASED_VM_EXEC_CONTROL", s.ctl.pin.raw(), c.effective_pinbased());
}

// "Reserved bits in the primary processor-based VM-execution controls must be set properly."
Violation proc_based_controls_respect_capability(S s, C c) {
    return control_word("CPU_BASED_VM_EXEC_CONTROL", s.ctl.proc.raw(), c.effective_procbased());
}

// "If the 'activate secondary controls' primary processor-based VM-execution control is 1,
// reserved bits in the secondary processor-based VM-execution controls must be cleared."
Violation secondary_controls_respect_capability(S s, C c) {
    if (!s.ctl.proc.activate_secondary_controls()) return kPass;
    return control_word("SECONDARY_VM_EXEC_CONTROL", s.ctl.proc2_raw.raw(), c.procbased2);
}

// "The CR3-target count must not be greater than 4. Future processors may support a
// different number of CR3-target values."
Violation cr3_target_count_within_limit(S s, C c) {
    if (s.ctl.cr3_target_count <= c.misc.cr3_target_count) return kPass;
    return field("CR3_TARGET_COUNT", s.ctl.cr3_target_count);
}

// "If the 'use I/O bitmaps' VM-execution control is 1, bits 11:0 of each I/O-bitmap address
// must be 0."
Violation io_bitmap_a_aligned(S s, C) {
    if (!s.ctl.proc.use_io_bitmaps() || !(s.ctl.io_bitmap_a & 0xFFF)) return kPass;
    return field("IO_BITMAP_A", s.ctl.io_bitmap_a);
}
Violation io_bitmap_b_aligned(S s, C) {
    if (!s.ctl.proc.use_io_bitmaps() || !(s.ctl.io_bitmap_b & 0xFFF)) return kPass;
    return field("IO_BITMAP_B", s.ctl.io_bitmap_b);
}

// "Neither address should set any bits beyond the processor's physical-address width."
Violation io_bitmap_a_within_physical_address_width(S s, C) {
    if (!s.ctl.proc.use_io_bitmaps() || !beyond_phys(s.ctl.io_bitmap_a, s.facts.maxphyaddr))
        return kPass;
    return field("IO_BITMAP_A", s.ctl.io_bitmap_a);
}
Violation io_bitmap_b_within_physical_address_width(S s, C) {
    if (!s.ctl.proc.use_io_bitmaps() || !beyond_phys(s.ctl.io_bitmap_b, s.facts.maxphyaddr))
        return kPass;
    return field("IO_BITMAP_B", s.ctl.io_bitmap_b);
}

// "If the 'use MSR bitmaps' VM-execution control is 1, bits 11:0 of the MSR-bitmap address
// must be 0."
Violation msr_bitmap_aligned(S s, C) {
    if (!s.ctl.proc.use_msr_bitmaps() || !(s.ctl.msr_bitmap & 0xFFF)) return kPass;
    return field("MSR_BITMAP", s.ctl.msr_bitmap);
}

// "The address should not set any bits beyond the processor's physical-address width."
Violation msr_bitmap_within_physical_address_width(S s, C) {
    if (!s.ctl.proc.use_msr_bitmaps() || !beyond_phys(s.ctl.msr_bitmap, s.facts.maxphyaddr))
        return kPass;
    return field("MSR_BITMAP", s.ctl.msr_bitmap);
}

// "If the 'use TPR shadow' VM-execution control is 0, the following VM-execution controls
// must also be 0: 'virtualize x2APIC mode', 'APIC-register virtualization', and
// 'virtual-interrupt delivery'." hvlab supports none of them, so the capability check
// catches them first; TPR-shadow rules are therefore not separate checks.

// "If the 'NMI exiting' VM-execution control is 0, the 'virtual NMIs' VM-execution control
// must be 0."
Violation virtual_nmis_require_nmi_exiting(S s, C) {
    if (s.ctl.pin.nmi_exiting() || !s.ctl.pin.virtual_nmis()) return kPass;
    return field("PIN_BASED_VM_EXEC_CONTROL", s.ctl.pin.raw());
}

// "If the 'virtual NMIs' VM-execution control is 0, the 'NMI-window exiting' VM-execution
// control must be 0."
Violation nmi_window_exiting_requires_virtual_nmis(S s, C) {
    if (s.ctl.pin.virtual_nmis() || !s.ctl.proc.nmi_window_exiting()) return kPass;
    return fields("PIN_BASED_VM_EXEC_CONTROL", s.ctl.pin.raw(), "CPU_BASED_VM_EXEC_CONTROL",
                  s.ctl.proc.raw());
}

// "If the 'enable VPID' VM-execution control is 1, the value of the VPID VM-execution
// control field must not be 0000H."
Violation vpid_nonzero_when_enabled(S s, C) {
    if (!s.ctl.proc2.enable_vpid() || s.ctl.vpid != 0) return kPass;
    return field("VIRTUAL_PROCESSOR_ID", s.ctl.vpid);
}

// EPTP fields (SDM Vol. 3C, "Extended-Page-Table Pointer (EPTP)"): 2:0 memory type,
// 5:3 page-walk length minus 1, 6 enable accessed/dirty flags, 11:7 reserved,
// N-1:12 PML4 address, 63:N reserved.
uint64_t eptp_memory_type(uint64_t eptp) {
    return eptp & 7;
}

// "If the 'enable EPT' VM-execution control is 1, the EPTP VM-execution control field must
// satisfy the following checks: The EPT memory type (bits 2:0) must be a value supported by
// the processor as indicated in the IA32_VMX_EPT_VPID_CAP MSR."
Violation eptp_memory_type_supported(S s, C c) {
    if (!s.ctl.proc2.enable_ept()) return kPass;
    const uint64_t type = eptp_memory_type(s.ctl.ept_pointer);
    if ((type == 0 && c.ept_vpid.memory_type_uc) || (type == 6 && c.ept_vpid.memory_type_wb))
        return kPass;
    return field("EPT_POINTER", s.ctl.ept_pointer);
}

// "Bits 5:3 (1 less than the EPT page-walk length) must indicate a supported EPT page-walk
// length."
Violation eptp_page_walk_length_supported(S s, C c) {
    if (!s.ctl.proc2.enable_ept()) return kPass;
    const uint64_t length_minus_1 = (s.ctl.ept_pointer >> 3) & 7;
    if (length_minus_1 == 3 && c.ept_vpid.page_walk_length_4) return kPass;
    return field("EPT_POINTER", s.ctl.ept_pointer);
}

// "Bit 6 (enable bit for accessed and dirty flags for EPT) must be 0 if bit 21 of the
// IA32_VMX_EPT_VPID_CAP MSR is read as 0, indicating that the processor does not support
// accessed and dirty flags for EPT."
Violation eptp_accessed_dirty_supported(S s, C c) {
    if (!s.ctl.proc2.enable_ept() || !(s.ctl.ept_pointer & (1u << 6)) ||
        c.ept_vpid.accessed_dirty_flags)
        return kPass;
    return field("EPT_POINTER", s.ctl.ept_pointer);
}

// "Reserved bits 11:7 and 63:N (where N is the processor's physical-address width) must all
// be 0."
Violation eptp_reserved_bits_clear(S s, C) {
    if (!s.ctl.proc2.enable_ept()) return kPass;
    const uint64_t eptp = s.ctl.ept_pointer;
    if (!(eptp & 0xF80) && !beyond_phys(eptp, s.facts.maxphyaddr)) return kPass;
    return field("EPT_POINTER", eptp);
}

// --- VM-Exit Control Fields --------------------------------------------------------------

// "Reserved bits in the primary VM-exit controls must be set properly."
Violation exit_controls_respect_capability(S s, C c) {
    return control_word("VM_EXIT_CONTROLS", s.ctl.exit.raw(), c.effective_exit());
}

// "If the 'activate VMX-preemption timer' VM-execution control is 0, the 'save
// VMX-preemption timer value' VM-exit control must also be 0."
Violation save_preemption_timer_requires_activation(S s, C) {
    if (s.ctl.pin.preemption_timer() || !s.ctl.exit.save_preemption_timer()) return kPass;
    return fields("PIN_BASED_VM_EXEC_CONTROL", s.ctl.pin.raw(), "VM_EXIT_CONTROLS",
                  s.ctl.exit.raw());
}

// "The following checks are performed for the VM-exit MSR-store address if the VM-exit
// MSR-store count field is non-zero: The lower 4 bits of the VM-exit MSR-store address must
// be 0."
Violation exit_msr_store_address_aligned(S s, C) {
    if (msr_area_aligned(s.ctl.exit_msr_store_addr, s.ctl.exit_msr_store_count)) return kPass;
    return field("VM_EXIT_MSR_STORE_ADDR", s.ctl.exit_msr_store_addr);
}

// "The address should not set any bits beyond the processor's physical-address width. The
// address of the last byte in the VM-exit MSR-store area should not set any bits beyond the
// processor's physical-address width."
Violation exit_msr_store_area_within_physical_address_width(S s, C) {
    if (msr_area_within_width(s.ctl.exit_msr_store_addr, s.ctl.exit_msr_store_count,
                              s.facts.maxphyaddr))
        return kPass;
    return fields("VM_EXIT_MSR_STORE_ADDR", s.ctl.exit_msr_store_addr, "VM_EXIT_MSR_STORE_COUNT",
                  s.ctl.exit_msr_store_count);
}

// "The following checks are performed for the VM-exit MSR-load address if the VM-exit
// MSR-load count field is non-zero: The lower 4 bits of the VM-exit MSR-load address must
// be 0."
Violation exit_msr_load_address_aligned(S s, C) {
    if (msr_area_aligned(s.ctl.exit_msr_load_addr, s.ctl.exit_msr_load_count)) return kPass;
    return field("VM_EXIT_MSR_LOAD_ADDR", s.ctl.exit_msr_load_addr);
}

// "The address should not set any bits beyond the processor's physical-address width. The
// address of the last byte in the VM-exit MSR-load area should not set any bits beyond the
// processor's physical-address width."
Violation exit_msr_load_area_within_physical_address_width(S s, C) {
    if (msr_area_within_width(s.ctl.exit_msr_load_addr, s.ctl.exit_msr_load_count,
                              s.facts.maxphyaddr))
        return kPass;
    return fields("VM_EXIT_MSR_LOAD_ADDR", s.ctl.exit_msr_load_addr, "VM_EXIT_MSR_LOAD_COUNT",
                  s.ctl.exit_msr_load_count);
}

// --- VM-Entry Control Fields -------------------------------------------------------------

// "Reserved bits in the VM-entry controls must be set properly."
Violation entry_controls_respect_capability(S s, C c) {
    return control_word("VM_ENTRY_CONTROLS", s.ctl.entry.raw(), c.effective_entry());
}

// Event injection. "If the valid bit (bit 31) in the VM-entry interruption-information field
// is 1, the following must hold: The field's interruption type (bits 10:8) is not set to a
// reserved value. Value 1 is reserved on all logical processors; value 7 (other event) is
// reserved on logical processors that do not support the 1-setting of the 'monitor trap
// flag' VM-execution control."
Violation entry_interruption_type_supported(S s, C c) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid()) return kPass;
    const bool mtf = c.effective_procbased().allowed1 & ProcBased::kMonitorTrapFlag;
    if (i.type() != InterruptionInfo::Reserved1 &&
        (i.type() != InterruptionInfo::OtherEvent || mtf))
        return kPass;
    return field("VM_ENTRY_INTR_INFO_FIELD", i.raw);
}

// "The field's vector (bits 7:0) is consistent with the interruption type: If the
// interruption type is non-maskable interrupt (NMI), the vector is 2. If the interruption
// type is hardware exception, the vector is at most 31. If the interruption type is other
// event, the vector is 0 (pending MTF VM exit)."
Violation entry_interruption_vector_matches_type(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid()) return kPass;
    const bool ok = (i.type() != InterruptionInfo::Nmi || i.vector() == 2) &&
                    (i.type() != InterruptionInfo::HardwareException || i.vector() <= 31) &&
                    (i.type() != InterruptionInfo::OtherEvent || i.vector() == 0);
    return ok ? kPass : field("VM_ENTRY_INTR_INFO_FIELD", i.raw);
}

// Whether the injected event architecturally pushes an error code: a hardware exception
// with vector 8, 10-14 or 17 (21, #CP, needs CET, which hvlab lacks) in protected mode.
bool event_has_error_code(const VmcsSnapshot& s) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (i.type() != InterruptionInfo::HardwareException || !(s.guest.cr0 & cr0::PE)) return false;
    switch (i.vector()) {
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 17: return true;
    default: return false;
    }
}

// "The field's deliver-error-code bit (bit 11) is 1 if each of the following holds: (1) the
// interruption type is hardware exception; (2) bit 0 (corresponding to CR0.PE) is set in the
// CR0 field in the guest-state area; ... and (4) the vector indicates one of the following
// exceptions: #DF (vector 8), #TS (10), #NP (11), #SS (12), #GP (13), #PF (14), or #AC (17)."
Violation entry_deliver_error_code_set_when_required(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid() || i.deliver_error_code() || !event_has_error_code(s)) return kPass;
    return field("VM_ENTRY_INTR_INFO_FIELD", i.raw);
}

// "The field's deliver-error-code bit is 0 if any of the above does not hold."
Violation entry_deliver_error_code_clear_otherwise(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid() || !i.deliver_error_code() || event_has_error_code(s)) return kPass;
    return fields("VM_ENTRY_INTR_INFO_FIELD", i.raw, "GUEST_CR0", s.guest.cr0);
}

// "Reserved bits in the field (30:12) are 0."
Violation entry_interruption_reserved_bits_clear(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid() || !(i.raw & 0x7FFFF000u)) return kPass;
    return field("VM_ENTRY_INTR_INFO_FIELD", i.raw);
}

// "If the deliver-error-code bit (bit 11) is 1, bits 31:16 of the VM-entry exception
// error-code field are 0."
Violation entry_exception_error_code_reserved_bits_clear(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid() || !i.deliver_error_code() || !(s.ctl.entry_exception_error_code >> 16))
        return kPass;
    return field("VM_ENTRY_EXCEPTION_ERROR_CODE", s.ctl.entry_exception_error_code);
}

// "If the interruption type is software interrupt, software exception, or privileged
// software exception, the VM-entry instruction-length field is in the range 0-15. A
// VM-entry instruction length of 0 is allowed only if IA32_VMX_MISC[30] is read as 1."
Violation entry_instruction_length_valid(S s, C c) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    const bool software = i.type() == InterruptionInfo::SoftwareInterrupt ||
                          i.type() == InterruptionInfo::SoftwareException ||
                          i.type() == InterruptionInfo::PrivilegedSoftwareException;
    if (!i.valid() || !software) return kPass;
    const uint32_t len = s.ctl.entry_instruction_length;
    if (len <= 15 && (len != 0 || c.misc.inject_zero_length)) return kPass;
    return field("VM_ENTRY_INSTRUCTION_LEN", len);
}

// "The following checks are performed for the VM-entry MSR-load address if the VM-entry
// MSR-load count field is non-zero: The lower 4 bits of the VM-entry MSR-load address must
// be 0."
Violation entry_msr_load_address_aligned(S s, C) {
    if (msr_area_aligned(s.ctl.entry_msr_load_addr, s.ctl.entry_msr_load_count)) return kPass;
    return field("VM_ENTRY_MSR_LOAD_ADDR", s.ctl.entry_msr_load_addr);
}

// "The address should not set any bits beyond the processor's physical-address width. The
// address of the last byte in the VM-entry MSR-load area should not set any bits beyond the
// processor's physical-address width."
Violation entry_msr_load_area_within_physical_address_width(S s, C) {
    if (msr_area_within_width(s.ctl.entry_msr_load_addr, s.ctl.entry_msr_load_count,
                              s.facts.maxphyaddr))
        return kPass;
    return fields("VM_ENTRY_MSR_LOAD_ADDR", s.ctl.entry_msr_load_addr, "VM_ENTRY_MSR_LOAD_COUNT",
                  s.ctl.entry_msr_load_count);
}

// "If the processor is not in SMM, the 'entry to SMM' and 'deactivate dual-monitor
// treatment' VM-entry controls must be 0." hvlab never advertises those controls, so the
// capability check above already rejects them.

constexpr ControlCheck kChecks[] = {
    {"pin_based_controls_respect_capability", kExec, pin_based_controls_respect_capability},
    {"proc_based_controls_respect_capability", kExec, proc_based_controls_respect_capability},
    {"secondary_controls_respect_capability", kExec, secondary_controls_respect_capability},
    {"cr3_target_count_within_limit", kExec, cr3_target_count_within_limit},
    {"io_bitmap_a_aligned", kExec, io_bitmap_a_aligned},
    {"io_bitmap_b_aligned", kExec, io_bitmap_b_aligned},
    {"io_bitmap_a_within_physical_address_width", kExec, io_bitmap_a_within_physical_address_width},
    {"io_bitmap_b_within_physical_address_width", kExec, io_bitmap_b_within_physical_address_width},
    {"msr_bitmap_aligned", kExec, msr_bitmap_aligned},
    {"msr_bitmap_within_physical_address_width", kExec, msr_bitmap_within_physical_address_width},
    {"virtual_nmis_require_nmi_exiting", kExec, virtual_nmis_require_nmi_exiting},
    {"nmi_window_exiting_requires_virtual_nmis", kExec, nmi_window_exiting_requires_virtual_nmis},
    {"vpid_nonzero_when_enabled", kExec, vpid_nonzero_when_enabled},
    {"eptp_memory_type_supported", kExec, eptp_memory_type_supported},
    {"eptp_page_walk_length_supported", kExec, eptp_page_walk_length_supported},
    {"eptp_accessed_dirty_supported", kExec, eptp_accessed_dirty_supported},
    {"eptp_reserved_bits_clear", kExec, eptp_reserved_bits_clear},
    {"exit_controls_respect_capability", kExit, exit_controls_respect_capability},
    {"save_preemption_timer_requires_activation", kExit, save_preemption_timer_requires_activation},
    {"exit_msr_store_address_aligned", kExit, exit_msr_store_address_aligned},
    {"exit_msr_store_area_within_physical_address_width", kExit,
     exit_msr_store_area_within_physical_address_width},
    {"exit_msr_load_address_aligned", kExit, exit_msr_load_address_aligned},
    {"exit_msr_load_area_within_physical_address_width", kExit,
     exit_msr_load_area_within_physical_address_width},
    {"entry_controls_respect_capability", kEntry, entry_controls_respect_capability},
    {"entry_interruption_type_supported", kEntry, entry_interruption_type_supported},
    {"entry_interruption_vector_matches_type", kEntry, entry_interruption_vector_matches_type},
    {"entry_deliver_error_code_set_when_required", kEntry,
     entry_deliver_error_code_set_when_required},
    {"entry_deliver_error_code_clear_otherwise", kEntry, entry_deliver_error_code_clear_otherwise},
    {"entry_interruption_reserved_bits_clear", kEntry, entry_interruption_reserved_bits_clear},
    {"entry_exception_error_code_reserved_bits_clear", kEntry,
     entry_exception_error_code_reserved_bits_clear},
    {"entry_instruction_length_valid", kEntry, entry_instruction_length_valid},
    {"entry_msr_load_address_aligned", kEntry, entry_msr_load_address_aligned},
    {"entry_msr_load_area_within_physical_address_width", kEntry,
     entry_msr_load_area_within_physical_address_width},
};

} // namespace

std::span<const ControlCheck> control_checks() {
    return kChecks;
}

} // namespace hvlab::cpu::vmx
