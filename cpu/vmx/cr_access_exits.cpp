// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Instructions That Cause VM Exits
// Conditionally".
#include "cpu/vmx/cr_access_exits.hpp"

namespace hvlab::cpu::vmx {

bool clts_causes_exit(uint64_t cr0_mask, uint64_t cr0_read_shadow) {
    constexpr uint64_t kTs = 1u << 3;
    return (cr0_mask & kTs) && (cr0_read_shadow & kTs);
}

bool lmsw_causes_exit(uint16_t source, uint64_t cr0_mask, uint64_t cr0_read_shadow) {
    constexpr uint64_t kPe = 1u << 0, kMpEmTs = 0xE;
    const bool sets_masked_pe = (cr0_mask & kPe) && (source & kPe) && !(cr0_read_shadow & kPe);
    return sets_masked_pe || ((source ^ cr0_read_shadow) & cr0_mask & kMpEmTs) != 0;
}

bool mov_to_cr3_causes_exit(ProcBased proc, uint64_t value, uint32_t cr3_target_count,
                            const std::array<uint64_t, 4>& cr3_targets) {
    if (!proc.cr3_load_exiting()) return false;
    for (uint32_t i = 0; i < cr3_target_count && i < cr3_targets.size(); ++i)
        if (cr3_targets[i] == value) return false;
    return true;
}

} // namespace hvlab::cpu::vmx
