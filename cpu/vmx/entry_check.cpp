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

std::optional<EntryFailure> check_msr_load_list(std::span<const MsrLoadEntry> entries,
                                                const VmxCapabilities& caps, bool in_smm,
                                                const WrmsrFaults& wrmsr_faults) {
    const auto v = find_msr_load_violation(entries, caps, in_smm, wrmsr_faults);
    if (!v) return std::nullopt;
    std::string detail =
        "entry " + std::to_string(v->entry_number) + ": index=" + rules::hex(v->entry.index) +
        " reserved=" + rules::hex(v->entry.reserved) + " value=" + rules::hex(v->entry.value);
    return exit_failure(kExitReasonMsrLoading, v->entry_number, v->rule,
                        "SDM Vol. 3C, Loading MSRs", std::move(detail));
}

std::span<const std::string_view> msr_load_check_ids() {
    return msr_load_rule_ids();
}

} // namespace hvlab::cpu::vmx
