// Control-register accesses in VMX non-root operation: which cause VM exits, and what guest
// reads of CR0/CR4 return. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Guest/Host
// Masks and Read Shadows for CR0 and CR4", "CR3-Target Controls" and "Instructions That
// Cause VM Exits Conditionally".
#pragma once
#include "cpu/vmx/controls.hpp"

#include <array>
#include <cstdint>

namespace hvlab::cpu::vmx {

// "For each position corresponding to a bit set in the guest/host mask, the value read is
// the bit in the read shadow; ... positions corresponding to bits clear in the mask return
// the value of the corresponding bit in CR0 (CR4)." Used by MOV from CR0/CR4 and SMSW.
constexpr uint64_t shadowed_cr_read(uint64_t cr, uint64_t mask, uint64_t read_shadow) {
    return (cr & ~mask) | (read_shadow & mask);
}

// "MOV to CR0 [CR4]. The instruction causes a VM exit unless the value of its source operand
// matches, for the position of each bit set in the CR0 [CR4] guest/host mask, the
// corresponding bit in the CR0 [CR4] read shadow."
constexpr bool mov_to_cr0_cr4_causes_exit(uint64_t value, uint64_t mask, uint64_t read_shadow) {
    return ((value ^ read_shadow) & mask) != 0;
}

// "CLTS. The instruction causes a VM exit if the bits in position 3 (corresponding to
// CR0.TS) are set in both the CR0 guest/host mask and the CR0 read shadow."
bool clts_causes_exit(uint64_t cr0_mask, uint64_t cr0_read_shadow);

// "LMSW. ... causes a VM exit if either of the following are true: The bits in position 0
// (corresponding to CR0.PE) are set in both the CR0 guest/host mask and the source operand,
// and the bit in position 0 is clear in the CR0 read shadow. For any bit position in the
// range 3:1, the bit in that position is set in the CR0 guest/host mask and the values of
// the corresponding bits in the source operand and the CR0 read shadow differ."
bool lmsw_causes_exit(uint16_t source, uint64_t cr0_mask, uint64_t cr0_read_shadow);

// "MOV to CR3. The instruction causes a VM exit unless the 'CR3-load exiting' VM-execution
// control is 0 or the value of its source operand is equal to one of the CR3-target values
// specified in the VMCS. Only the first n CR3-target values are considered, where n is the
// CR3-target count."
bool mov_to_cr3_causes_exit(ProcBased proc, uint64_t value, uint32_t cr3_target_count,
                            const std::array<uint64_t, 4>& cr3_targets);

// "MOV from CR3 ... if the 'CR3-store exiting' VM-execution control is 1." "MOV to CR8 /
// MOV from CR8 ... if the 'CR8-load exiting' / 'CR8-store exiting' VM-execution control is
// 1" (hvlab has no TPR shadow, so there is no other case).
constexpr bool mov_from_cr3_causes_exit(ProcBased p) {
    return p.cr3_store_exiting();
}
constexpr bool mov_to_cr8_causes_exit(ProcBased p) {
    return p.cr8_load_exiting();
}
constexpr bool mov_from_cr8_causes_exit(ProcBased p) {
    return p.cr8_store_exiting();
}

} // namespace hvlab::cpu::vmx
