// One-line decoding of a VM exit for the timeline: the exit qualification (and the other
// VM-exit information fields the reason uses) spelled out. Intel SDM, Dec 2023 (Order
// 325462-081), Vol. 3C, "Exit Qualification for VM Exits" and "VM-Exit Information Fields".
#pragma once
#include "cpu/vmx/vmcs_store.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace hvlab::gui {

// "CPUID" or "unknown (99)"; bit 31 (VM-entry failure) prefixes "entry failure: ".
std::string exit_reason_label(uint32_t reason);
// The decoded qualification, e.g. "OUT dx 0x3f8, 1 byte" or "MOV to CR3 from RAX".
std::string decode_exit(uint32_t reason, uint64_t qualification, const cpu::vmx::VmcsStore& vmcs,
                        const std::array<uint64_t, 16>& gpr);
const char* gpr_name(unsigned index);

} // namespace hvlab::gui
