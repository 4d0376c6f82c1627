// Running the VM-entry check tables, describing failures, and the VM-entry MSR-load list.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VM Entries" and "Loading MSRs".
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/entry_check_rules.hpp"

namespace hvlab::cpu::vmx {
namespace {

EntryFailure vmfail(VmInstructionError e, std::string_view id, std::string_view section,
                    std::string detail) {
    return {VmFailValid{e}, id, section, std::move(detail)};
}

EntryFailure exit_failure(uint32_t reason, uint64_t qualification, std::string_view id,
                          std::string_view section, std::string detail) {
    return {EntryFailureExit{reason, qualification}, id, section, std::move(detail)};
}

std::string describe_result(const EntryFailure& f) {
    if (f.is_vmfail()) return "VMfailValid(" + std::to_string(f.vm_instruction_error()) + ")";
    const auto& e = std::get<EntryFailureExit>(f.result);
    return "VM-entry failure exit " + std::to_string(e.basic_reason) + ", qualification " +
           std::to_string(e.qualification);
}

} // namespace

uint32_t EntryFailure::vm_instruction_error() const {
    const auto* v = std::get_if<VmFailValid>(&result);
    return v ? static_cast<uint32_t>(v->error) : 0;
}

uint32_t EntryFailure::exit_reason() const {
    const auto* e = std::get_if<EntryFailureExit>(&result);
    return e ? (e->basic_reason | kExitReasonEntryFailure) : 0;
}

uint64_t EntryFailure::exit_qualification() const {
    const auto* e = std::get_if<EntryFailureExit>(&result);
    return e ? e->qualification : 0;
}

std::string EntryFailure::diagnostic() const {
    return "VM entry failed: " + describe_result(*this) + ": " + std::string(check_id) + " (" +
           std::string(section) + "): " + detail;
}

std::optional<EntryFailure> run_control_checks(const VmcsSnapshot& s, const VmxCapabilities& c) {
    for (const ControlCheck& check : control_checks())
        if (auto bad = check.violation(s, c))
            return vmfail(VmInstructionError::EntryInvalidControlField, check.id, check.section,
                          std::move(*bad));
    return std::nullopt;
}

std::optional<EntryFailure> run_host_checks(const VmcsSnapshot& s, const VmxCapabilities& c) {
    for (const HostCheck& check : host_checks())
        if (auto bad = check.violation(s, c))
            return vmfail(VmInstructionError::EntryInvalidHostStateField, check.id, check.section,
                          std::move(*bad));
    return std::nullopt;
}

std::optional<EntryFailure> run_guest_checks(const VmcsSnapshot& s, const VmxCapabilities& c) {
    for (const GuestCheck& check : guest_checks())
        if (auto bad = check.violation(s, c))
            return exit_failure(kExitReasonInvalidGuestState,
                                static_cast<uint64_t>(check.qualification), check.id, check.section,
                                std::move(*bad));
    return std::nullopt;
}

// SDM Vol. 3C, "Basic VM-Entry Checks" are the instruction's (launch state, current VMCS);
// then "Checks on VMX Controls and Host-State Area" (VMfailValid), then "Checking and Loading
// Guest State" (VM-entry failure exit).
std::optional<EntryFailure> run_entry_checks(const VmcsSnapshot& s, const VmxCapabilities& c) {
    if (auto f = run_control_checks(s, c)) return f;
    if (auto f = run_host_checks(s, c)) return f;
    return run_guest_checks(s, c);
}

std::vector<CheckDescription> list_entry_checks() {
    std::vector<CheckDescription> out;
    for (const ControlCheck& c : control_checks())
        out.push_back({c.id, c.section, "VMfailValid(7)"});
    for (const HostCheck& c : host_checks())
        out.push_back({c.id, c.section, "VMfailValid(8)"});
    for (const GuestCheck& c : guest_checks())
        out.push_back(
            {c.id, c.section,
             "exit 33, qualification " + std::to_string(static_cast<uint32_t>(c.qualification))});
    return out;
}

// --- MSR-load list -------------------------------------------------------------------------

namespace {

constexpr std::string_view kLoadingMsrs = "SDM Vol. 3C, Loading MSRs";
constexpr uint32_t kIa32FsBase = 0xC0000100, kIa32GsBase = 0xC0000101;
constexpr uint32_t kIa32SmmMonitorCtl = 0x9B;

constexpr std::string_view kMsrIds[] = {
    "msr_load_count_within_limit", "msr_load_entry_not_fs_gs_base", "msr_load_entry_not_x2apic",
    "msr_load_entry_not_smm_only", "msr_load_entry_reserved_clear", "msr_load_entry_wrmsr_succeeds",
};

// The rule a single entry breaks, or an empty id. The order follows the SDM's list.
std::string_view entry_violation(const MsrLoadEntry& e, bool in_smm,
                                 const WrmsrFaults& wrmsr_faults) {
    // "The value of bits 31:0 is either C0000100H (the IA32_FS_BASE MSR) or C0000101 (the
    // IA32_GS_BASE MSR)."
    if (e.index == kIa32FsBase || e.index == kIa32GsBase) return kMsrIds[1];
    // "The value of bits 31:8 is 000008H, meaning that it indexes an x2APIC MSR."
    if ((e.index >> 8) == 0x8) return kMsrIds[2];
    // "The value of bits 31:0 indicates an MSR that can be written only in system-management
    // mode (SMM) and the VM entry did not commence in SMM. (IA32_SMM_MONITOR_CTL is an MSR
    // that can be written only in SMM.)"
    if (e.index == kIa32SmmMonitorCtl && !in_smm) return kMsrIds[3];
    // "Bits 63:32 are not all 0."
    if (e.reserved != 0) return kMsrIds[4];
    // "An attempt to write bits 127:64 to the MSR indicated by bits 31:0 of the entry would
    // cause a general-protection exception if executed via WRMSR with CPL = 0."
    if (wrmsr_faults && wrmsr_faults(e.index, e.value)) return kMsrIds[5];
    return {};
}

} // namespace

std::optional<EntryFailure> check_msr_load_list(std::span<const MsrLoadEntry> entries,
                                                const VmxCapabilities& caps, bool in_smm,
                                                const WrmsrFaults& wrmsr_faults) {
    const uint32_t limit = caps.misc.max_msr_list_entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        const uint64_t number = i + 1; // the SDM numbers entries from 1
        const MsrLoadEntry& e = entries[i];
        std::string_view id = i >= limit ? kMsrIds[0] : entry_violation(e, in_smm, wrmsr_faults);
        if (id.empty()) continue;
        std::string detail = "entry " + std::to_string(number) + ": index=" + rules::hex(e.index) +
                             " reserved=" + rules::hex(e.reserved) +
                             " value=" + rules::hex(e.value);
        return exit_failure(kExitReasonMsrLoading, number, id, kLoadingMsrs, std::move(detail));
    }
    return std::nullopt;
}

std::span<const std::string_view> msr_load_check_ids() {
    return kMsrIds;
}

} // namespace hvlab::cpu::vmx
