// The VM-entry MSR-load list and the VM-exit MSR-store and MSR-load lists: 16-byte entries
// in memory, processed in order (Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VM-Entry
// Controls for MSRs", "VM-Exit Controls for MSRs"; the rules are in "Loading MSRs" (VM
// entry and VM exit share them) and "Saving MSRs"). A VM-entry failure reports the entry
// number as exit qualification (reason 34); a VM-exit failure is a VMX abort.
#pragma once
#include "cpu/vmx/capabilities.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace hvlab::cpu::vmx {

struct MsrListEntry {
    uint32_t index = 0;    // bits 31:0
    uint32_t reserved = 0; // bits 63:32
    uint64_t value = 0;    // bits 127:64
};

// Would WRMSR(index, value) / RDMSR(index) at CPL 0 raise #GP? Supplied by the system layer.
using WrmsrFaults = std::function<bool(uint32_t index, uint64_t value)>;
using RdmsrFaults = std::function<bool(uint32_t index)>;

struct MsrListViolation {
    uint64_t entry_number; // 1 for the first entry
    std::string_view rule; // e.g. "msr_load_entry_not_x2apic"
    MsrListEntry entry;
};

// The first entry whose loading fails, or nullopt. Entries past the advertised limit
// (IA32_VMX_MISC bits 27:25) fail at the first such entry: the SDM leaves oversize lists
// undefined, hvlab refuses them.
std::optional<MsrListViolation> find_msr_load_violation(std::span<const MsrListEntry> entries,
                                                        const VmxCapabilities& caps, bool in_smm,
                                                        const WrmsrFaults& wrmsr_faults);
// The first entry whose saving fails (VM-exit MSR-store list), or nullopt.
std::optional<MsrListViolation> find_msr_store_violation(std::span<const MsrListEntry> entries,
                                                         const VmxCapabilities& caps, bool in_smm,
                                                         const RdmsrFaults& rdmsr_faults);

std::span<const std::string_view> msr_load_rule_ids();
std::span<const std::string_view> msr_store_rule_ids();

} // namespace hvlab::cpu::vmx
