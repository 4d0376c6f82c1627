// Whether an exception in VMX non-root operation causes a VM exit: the exception bitmap and
// the page-fault error-code mask/match. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C,
// "Exception Bitmap" and "Relative Priority of Faults and VM Exits".
#pragma once
#include <cstdint>

namespace hvlab::cpu::vmx {

// "The exception bitmap is a 32-bit field that contains one bit for each exception. When an
// exception occurs, its vector is used to select a bit in this field. If the bit is 1, the
// exception causes a VM exit." For #PF (vector 14) the bit is read through the error-code
// filter: "If (PFEC & PFEC_MASK) = PFEC_MATCH, the page fault causes a VM exit if bit 14 in
// the exception bitmap is 1 ... If (PFEC & PFEC_MASK) != PFEC_MATCH, the page fault causes a
// VM exit if bit 14 in the exception bitmap is 0."
constexpr bool exception_causes_exit(uint32_t exception_bitmap, uint8_t vector,
                                     uint32_t pf_error_code = 0, uint32_t pfec_mask = 0,
                                     uint32_t pfec_match = 0) {
    if (vector > 31) return false; // only exceptions (vectors 0-31) have bits
    const bool bit = (exception_bitmap >> vector) & 1;
    if (vector != 14) return bit;
    return ((pf_error_code & pfec_mask) == pfec_match) ? bit : !bit;
}

} // namespace hvlab::cpu::vmx
