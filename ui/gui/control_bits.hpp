// The names of the bits of the VMX control fields, for the VMCS panel. Intel SDM, Dec 2023
// (Order 325462-081), Vol. 3C, "Pin-Based VM-Execution Controls", "Primary Processor-Based
// VM-Execution Controls", "Secondary Processor-Based VM-Execution Controls", "Primary VM-Exit
// Controls" and "VM-Entry Controls"; bits with no name there are reserved (most are
// "default1" in Vol. 3D, appendix "VMX Capability Reporting Facility").
#pragma once
#include <cstdint>
#include <string_view>

namespace hvlab::gui {

// The SDM name of bit `bit` of the control field with this VMCS encoding, "" for a reserved
// bit; nullptr-free. is_control_word() says whether the panel should decode the field.
std::string_view control_bit_name(uint32_t encoding, unsigned bit);
bool is_control_word(uint32_t encoding);
// Exception vectors for the exception bitmap: "#DE", "#DB", ... ("" for reserved vectors).
std::string_view exception_mnemonic(unsigned vector);

} // namespace hvlab::gui
