// MSR-list rules. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Loading MSRs" (in both
// "VM Entries" and "VM Exits") and "Saving MSRs".
#include "cpu/vmx/msr_list.hpp"

namespace hvlab::cpu::vmx {
namespace {

constexpr uint32_t kIa32FsBase = 0xC0000100, kIa32GsBase = 0xC0000101;
constexpr uint32_t kIa32SmmMonitorCtl = 0x9B; // writable only in SMM
constexpr uint32_t kIa32Smbase = 0x9E;        // readable only in SMM

constexpr std::string_view kLoadIds[] = {
    "msr_load_count_within_limit", "msr_load_entry_not_fs_gs_base", "msr_load_entry_not_x2apic",
    "msr_load_entry_not_smm_only", "msr_load_entry_reserved_clear", "msr_load_entry_wrmsr_succeeds",
};
constexpr std::string_view kStoreIds[] = {
    "msr_store_count_within_limit",   "msr_store_entry_not_x2apic",
    "msr_store_entry_not_smm_only",   "msr_store_entry_reserved_clear",
    "msr_store_entry_rdmsr_succeeds",
};

// "The value of bits 31:8 is 000008H, meaning that it indexes an x2APIC MSR."
bool x2apic(uint32_t index) {
    return (index >> 8) == 0x8;
}

// The rule a loaded entry breaks, in the SDM's order, or "".
std::string_view load_rule(const MsrListEntry& e, bool in_smm, const WrmsrFaults& faults) {
    // "The value of bits 31:0 is either C0000100H (the IA32_FS_BASE MSR) or C0000101H (the
    // IA32_GS_BASE MSR)."
    if (e.index == kIa32FsBase || e.index == kIa32GsBase) return kLoadIds[1];
    if (x2apic(e.index)) return kLoadIds[2];
    // "The value of bits 31:0 indicates an MSR that can be written only in system-management
    // mode (SMM) and the VM entry did not commence in SMM."
    if (e.index == kIa32SmmMonitorCtl && !in_smm) return kLoadIds[3];
    // "Bits 63:32 are not all 0."
    if (e.reserved != 0) return kLoadIds[4];
    // "An attempt to write bits 127:64 to the MSR indexed by bits 31:0 of the entry would
    // cause a general-protection exception if executed via WRMSR with CPL = 0."
    if (faults && faults(e.index, e.value)) return kLoadIds[5];
    return {};
}

// The rule a stored entry breaks, in the SDM's order, or "".
std::string_view store_rule(const MsrListEntry& e, bool in_smm, const RdmsrFaults& faults) {
    if (x2apic(e.index)) return kStoreIds[1];
    // "The value of bits 31:0 indicates an MSR that can be read only in system-management
    // mode (SMM) and the VM exit will not end in SMM. (IA32_SMBASE is an MSR that can be read
    // only in SMM.)"
    if (e.index == kIa32Smbase && !in_smm) return kStoreIds[2];
    if (e.reserved != 0) return kStoreIds[3];
    // "An attempt to read the MSR indexed by bits 31:0 would cause a general-protection
    // exception if executed via RDMSR with CPL = 0."
    if (faults && faults(e.index)) return kStoreIds[4];
    return {};
}

template <class Rule>
std::optional<MsrListViolation> first_violation(std::span<const MsrListEntry> entries,
                                                const VmxCapabilities& caps,
                                                std::string_view too_long, Rule rule) {
    const uint32_t limit = caps.misc.max_msr_list_entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string_view id = i >= limit ? too_long : rule(entries[i]);
        if (!id.empty()) return MsrListViolation{i + 1, id, entries[i]};
    }
    return std::nullopt;
}

} // namespace

std::optional<MsrListViolation> find_msr_load_violation(std::span<const MsrListEntry> entries,
                                                        const VmxCapabilities& caps, bool in_smm,
                                                        const WrmsrFaults& wrmsr_faults) {
    return first_violation(entries, caps, kLoadIds[0], [&](const MsrListEntry& e) {
        return load_rule(e, in_smm, wrmsr_faults);
    });
}

std::optional<MsrListViolation> find_msr_store_violation(std::span<const MsrListEntry> entries,
                                                         const VmxCapabilities& caps, bool in_smm,
                                                         const RdmsrFaults& rdmsr_faults) {
    return first_violation(entries, caps, kStoreIds[0], [&](const MsrListEntry& e) {
        return store_rule(e, in_smm, rdmsr_faults);
    });
}

std::span<const std::string_view> msr_load_rule_ids() {
    return kLoadIds;
}
std::span<const std::string_view> msr_store_rule_ids() {
    return kStoreIds;
}

} // namespace hvlab::cpu::vmx
