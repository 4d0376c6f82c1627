// INVEPT and INVVPID after their front-end checks (#UD / VM exit / #GP) and the read of the
// type register: the type and descriptor checks with VM-instruction error 28, then the
// invalidation through LinearMemory. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C,
// "VMX Instruction Reference" (INVEPT, INVVPID) and "Invalidation of Cached Mappings".
#pragma once
#include "cpu/system.hpp"
#include "cpu/vmx/vmx_operation.hpp"

#include <cstdint>

namespace hvlab::cpu::vmx {

// The type is checked against IA32_VMX_EPT_VPID_CAP before the descriptor is read; the
// front end reads the 128-bit descriptor only if this returns VMsucceed.
VmxOutcome invept_type_check(const CpuState& s, uint64_t type);
VmxOutcome invvpid_type_check(const CpuState& s, uint64_t type);
// desc_lo = bits 63:0 of the descriptor (EPTP, or the VPID in 15:0), desc_hi = bits 127:64
// (reserved for INVEPT; the linear address for INVVPID).
VmxOutcome invept(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t desc_hi);
VmxOutcome invvpid(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t desc_hi);

} // namespace hvlab::cpu::vmx
