// VM-entry checks as an ordered table of named checks (ARCHITECTURE.md, VMX; STYLE.md,
// cpu/vmx/). Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, chapter "VM Entries":
// "Checks on VMX Controls" and "Checks on the Host-State Area" fail with VMfailValid (error 7
// or 8); "Checks on the Guest-State Area" fail with a VM-entry-failure exit, reason 33; the
// MSR-load list fails with reason 34. Each check is a small pure function over a
// VmcsSnapshot and the VmxCapabilities. The table type decides the failure kind, so a guest
// check cannot return a VMfail code (the Bochs mix-up STYLE.md describes).
#pragma once
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/msr_list.hpp"
#include "cpu/vmx/vm_instruction_error.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hvlab::cpu::vmx {

// Exit qualification of a reason-33 failure (SDM Vol. 3C, "VM-Entry Failures During or After
// Loading Guest State").
enum class GuestStateQualification : uint32_t {
    Default = 0,
    Pdpte = 2,           // "a problem loading the PDPTEs"
    NmiWithSti = 3,      // "inject an NMI into a guest that is blocking events through STI"
    VmcsLinkPointer = 4, // "an invalid VMCS link pointer"
};
inline constexpr uint32_t kExitReasonInvalidGuestState = 33;
inline constexpr uint32_t kExitReasonMsrLoading = 34;
inline constexpr uint32_t kExitReasonEntryFailure = 1u << 31; // bit 31 of the exit reason

struct VmFailValid {
    VmInstructionError error; // 7 or 8: run_*_checks pick it from the table
};
struct EntryFailureExit {
    uint32_t basic_reason;  // 33 or 34
    uint64_t qualification; // GuestStateQualification, or the MSR-load entry number
};

// A failed VM entry: what the architecture produces, plus which check failed and why.
struct EntryFailure {
    std::variant<VmFailValid, EntryFailureExit> result;
    std::string_view check_id; // e.g. "host_cr4_respects_fixed_bits"
    std::string_view section;  // e.g. "SDM Vol. 3C, Checks on Host Control Registers, ..."
    std::string detail;        // offending field values, "HOST_CR4=0x20"

    bool is_vmfail() const { return std::holds_alternative<VmFailValid>(result); }
    bool is_exit() const { return std::holds_alternative<EntryFailureExit>(result); }
    // Error number (7 or 8) for a VMfailValid; 0 for an exit.
    uint32_t vm_instruction_error() const;
    // Full exit reason (basic reason | bit 31) for an exit; 0 for a VMfailValid.
    uint32_t exit_reason() const;
    uint64_t exit_qualification() const; // 0 for a VMfailValid
    // One line for stderr, the trace and the GUI: result, check, SDM section, field values.
    std::string diagnostic() const;
};

// A check's predicate: nullopt when the rule holds, else "FIELD=value ..." for the diagnostic.
using CheckFn = std::optional<std::string> (*)(const VmcsSnapshot&, const VmxCapabilities&);

struct ControlCheck { // fails with VMfailValid(7)
    std::string_view id, section;
    CheckFn violation;
};
struct HostCheck { // fails with VMfailValid(8)
    std::string_view id, section;
    CheckFn violation;
};
struct GuestCheck { // fails with a VM-entry-failure exit, reason 33
    std::string_view id, section;
    GuestStateQualification qualification;
    CheckFn violation;
};

// The three tables, each in SDM order (entry_checks_controls.cpp, _host.cpp, _guest.cpp).
std::span<const ControlCheck> control_checks();
std::span<const HostCheck> host_checks();
std::span<const GuestCheck> guest_checks();

// Runs controls -> host -> guest (the order of VMLAUNCH/VMRESUME's operation section) and
// stops at the first failure.
std::optional<EntryFailure> run_entry_checks(const VmcsSnapshot& s, const VmxCapabilities& caps);
std::optional<EntryFailure> run_control_checks(const VmcsSnapshot& s, const VmxCapabilities& c);
std::optional<EntryFailure> run_host_checks(const VmcsSnapshot& s, const VmxCapabilities& c);
std::optional<EntryFailure> run_guest_checks(const VmcsSnapshot& s, const VmxCapabilities& c);

// Every check, in order, for docs/vmx-entry-checks.md and the GUI.
struct CheckDescription {
    std::string_view id, section;
    std::string failure; // "VMfailValid(7)", "exit 33, qualification 2", ...
};
std::vector<CheckDescription> list_entry_checks();

// --- VM-entry MSR-load list (SDM Vol. 3C, "Loading MSRs") -------------------------------
using MsrLoadEntry = MsrListEntry;
// Checks the entries in order (msr_list.hpp); a failure is exit reason 34 with the entry
// number (1 for the first) as qualification.
std::optional<EntryFailure> check_msr_load_list(std::span<const MsrLoadEntry> entries,
                                                const VmxCapabilities& caps, bool in_smm,
                                                const WrmsrFaults& wrmsr_faults);
// The MSR-load rules by id, for docs and tests.
std::span<const std::string_view> msr_load_check_ids();

} // namespace hvlab::cpu::vmx
