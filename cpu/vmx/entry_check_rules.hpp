// Small shared helpers for the VM-entry check predicates (entry_checks_*.cpp): field-value
// formatting for diagnostics and the recurring address and memory-type rules.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hvlab::cpu::vmx::rules {

using Violation = std::optional<std::string>;
inline const Violation kPass = std::nullopt;

std::string hex(uint64_t v);
// "NAME=0x..." as a violation.
Violation field(std::string_view name, uint64_t value);
// "NAME=0x..., NAME2=0x..." as a violation.
Violation fields(std::string_view n1, uint64_t v1, std::string_view n2, uint64_t v2);

// Canonical for a `bits`-wide linear address space: bits 63:bits-1 all equal.
bool canonical(uint64_t address, unsigned bits);
// Any bit at or above the physical-address width set?
constexpr bool beyond_phys(uint64_t address, unsigned maxphyaddr) {
    return maxphyaddr < 64 && (address >> maxphyaddr) != 0;
}
// Every byte of a PAT value is a valid memory type: 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB)
// or 7 (UC-) (SDM Vol. 3C, "Checks on Host Control Registers, MSRs, and SSP").
bool pat_valid(uint64_t pat);
// An MSR area (VM-exit/VM-entry MSR lists, 16 bytes per entry): address bits 3:0 zero, and
// neither the address nor the address of its last byte beyond the physical-address width.
bool msr_area_aligned(uint64_t address, uint32_t count);
bool msr_area_within_width(uint64_t address, uint32_t count, unsigned maxphyaddr);

} // namespace hvlab::cpu::vmx::rules
