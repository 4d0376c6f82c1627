// The VMCS as the processor caches it, and its image in the VMCS region.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Format of the VMCS Region" and
// "VMREAD, VMWRITE, and Encodings of VMCS Fields".
//
// Real processors may keep the current VMCS inside the CPU and write it to memory only on
// VMCLEAR (ARCHITECTURE.md, VMX). hvlab does the same: VmcsStore is that cache, and
// save_vmcs_region()/load_vmcs_region() move it to and from the 4 KiB region, so software
// that moves a VMCS without VMCLEAR sees stale memory, exactly as on hardware.
#pragma once
#include "cpu/vmx/vmcs_fields.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace hvlab::cpu::vmx {

inline constexpr size_t kVmcsRegionSize = 4096;
inline constexpr uint32_t kShadowVmcsIndicator = 1u << 31; // bit 31 of the region's dword 0

enum class LaunchState : uint8_t { Clear = 0, Launched = 1 };

// Result of a VMWRITE-style access, mapped by the instruction to VM-instruction errors.
enum class VmcsAccess : uint8_t {
    Ok,
    UnsupportedField, // error 12: "VMREAD/VMWRITE from/to unsupported VMCS component"
    ReadOnlyField,    // error 13: "VMWRITE to read-only VMCS component"
};

class VmcsStore {
  public:
    // VMREAD: the value zero-extended to 64 bits, or nullopt for an unsupported encoding.
    // A high encoding returns bits 63:32 of its 64-bit field in bits 31:0.
    std::optional<uint64_t> read(uint32_t encoding) const;
    // VMWRITE: stores the value truncated to the access width; a high encoding replaces only
    // bits 63:32. Read-only (VM-exit information) fields are refused.
    VmcsAccess write(uint32_t encoding, uint64_t value);

    // Processor-internal access (VM exits fill the read-only fields). The encoding must be a
    // supported one; anything else is a bug in hvlab and throws std::out_of_range.
    uint64_t get(uint32_t encoding) const { return values_[checked_index(encoding)]; }
    void set(uint32_t encoding, uint64_t value) {
        values_[checked_index(encoding)] = truncate_to_width(encoding, value);
    }

    LaunchState launch_state = LaunchState::Clear;

    bool operator==(const VmcsStore&) const = default;

  private:
    // The dense index of a supported full encoding; anything else throws std::out_of_range.
    static size_t checked_index(uint32_t encoding) {
        const uint8_t i = detail::kFieldSlots[detail::field_slot(encoding)];
        if (i == detail::kNoField || (encoding & 0xFFFF'9001u)) [[unlikely]]
            throw_unsupported_encoding();
        return i;
    }
    [[noreturn]] static void throw_unsupported_encoding();
    static uint64_t truncate_to_width(uint32_t encoding, uint64_t value) {
        switch (field_width(encoding)) {
        case FieldWidth::Bits16: return value & 0xFFFF;
        case FieldWidth::Bits32: return value & 0xFFFF'FFFF;
        default: return value;
        }
    }

    std::array<uint64_t, kSupportedFieldCount> values_{};
};

// --- The VMCS region in memory ----------------------------------------------------------
// dword 0: bits 30:0 VMCS revision identifier, bit 31 shadow-VMCS indicator (software writes)
// dword 1: VMX-abort indicator (the processor writes it on a VMX abort)
// bytes 8..: hvlab's implementation-specific layout, docs/vmx-vmcs-layout.md.
struct VmcsRegionHeader {
    uint32_t revision_id = 0; // bits 30:0
    bool shadow = false;      // bit 31
    uint32_t abort_indicator = 0;
};
using VmcsRegion = std::span<uint8_t, kVmcsRegionSize>;
using ConstVmcsRegion = std::span<const uint8_t, kVmcsRegionSize>;

VmcsRegionHeader read_region_header(ConstVmcsRegion region);
void write_abort_indicator(VmcsRegion region, uint32_t indicator);
// VMCLEAR's last step: "the launch state of the VMCS referenced by the operand is set to
// clear", whether or not it was the current VMCS.
void write_launch_state(VmcsRegion region, LaunchState state);
// VMCLEAR's write-back: stores the launch state and every field; dwords 0 and 1 are
// software's and stay as they are.
void save_vmcs_region(const VmcsStore& store, VmcsRegion region);
// VMPTRLD's fill of the cache from memory (the revision identifier is checked by VMPTRLD).
VmcsStore load_vmcs_region(ConstVmcsRegion region);

// Layout constants, documented in docs/vmx-vmcs-layout.md.
inline constexpr size_t kRegionLaunchStateOffset = 8;
inline constexpr size_t kRegionLayoutTagOffset = 12;
inline constexpr size_t kRegionFieldsOffset = 16;
inline constexpr uint32_t kRegionLayoutTag = 0x31786D76; // "vmx1", written by VMCLEAR

} // namespace hvlab::cpu::vmx
