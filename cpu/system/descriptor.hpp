// Segment and gate descriptors as the processor reads them from the GDT, LDT and IDT
// (SDM Vol. 3A, Segment Descriptors; System Descriptor Types; Call Gates; IDT Descriptors).
// Intel SDM, Dec 2023 (Order 325462-081).
//
//   low 8 bytes:  63..56 base 31:24 | 55 G | 54 D/B | 53 L | 52 AVL | 51..48 limit 19:16 |
//                 47 P | 46..45 DPL | 44 S | 43..40 type | 39..16 base 23:0 | 15..0 limit 15:0
//   gates:        63..48 offset 31:16 | 47 P | 46..45 DPL | 44 S=0 | 43..40 type |
//                 36..32 param count (call gate) or IST (bits 34..32, IDT gate) |
//                 31..16 selector | 15..0 offset 15:0
//   IA-32e system descriptors and gates are 16 bytes: the high 8 bytes hold base/offset 63:32
//   and, in bits 12:8 of their last doubleword, a type field that must be 0.
#pragma once
#include "common/bits.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/system.hpp"

#include <cstdint>

namespace hvlab::cpu::sys {

// System-descriptor and gate types (S = 0).
namespace desc_type {
inline constexpr uint8_t kTss16Avail = 1, kLdt = 2, kTss16Busy = 3, kCallGate16 = 4,
                         kTaskGate = 5, kIntGate16 = 6, kTrapGate16 = 7, kTssAvail = 9,
                         kTssBusy = 11, kCallGate = 12, kIntGate = 14, kTrapGate = 15;
}

struct Descriptor {
    uint64_t raw = 0, raw_hi = 0; // raw_hi: the high 8 bytes of a 16-byte descriptor

    uint8_t type() const { return bits(raw, 43, 40); }
    bool s() const { return test_bit(raw, 44); }
    uint8_t dpl() const { return bits(raw, 46, 45); }
    bool present() const { return test_bit(raw, 47); }
    bool l() const { return test_bit(raw, 53); }
    bool db() const { return test_bit(raw, 54); }
    bool g() const { return test_bit(raw, 55); }

    bool is_code() const { return s() && (type() & 8); }
    bool is_data() const { return s() && !(type() & 8); }
    bool conforming() const { return is_code() && (type() & 4); }
    bool readable() const { return is_data() || (type() & 2); }
    bool writable_data() const { return is_data() && (type() & 2); }
    bool expand_down() const { return is_data() && (type() & 4); }
    bool code64() const { return is_code() && l() && !db(); }

    uint64_t base() const { return bits(raw, 39, 16) | (bits(raw, 63, 56) << 24); }
    uint64_t base_wide() const { return base() | (bits(raw_hi, 31, 0) << 32); }
    uint32_t limit() const {
        const uint32_t l = bits(raw, 15, 0) | (bits(raw, 51, 48) << 16);
        return g() ? (l << 12) | 0xFFF : l;
    }
    // The VMCS access-rights layout CpuState uses (type, S, DPL, P, AVL, L, D/B, G).
    uint32_t attr() const { return bits(raw, 47, 40) | (bits(raw, 55, 52) << 12); }

    uint16_t gate_selector() const { return bits(raw, 31, 16); }
    uint64_t gate_offset() const { return bits(raw, 15, 0) | (bits(raw, 63, 48) << 16); }
    uint64_t gate_offset_wide() const { return gate_offset() | (bits(raw_hi, 31, 0) << 32); }
    uint8_t gate_params() const { return bits(raw, 36, 32); }
    uint8_t gate_ist() const { return bits(raw, 34, 32); }
    // The type field of a 16-byte system descriptor's upper half (bits 12:8 of its last
    // doubleword) must be 0.
    bool wide_type_clear() const { return bits(raw_hi, 44, 40) == 0; }
};

// Selector fields (SDM Vol. 3A, Segment Selectors).
constexpr bool is_null_selector(uint16_t sel) { return (sel & 0xFFFC) == 0; }
constexpr uint8_t rpl_of(uint16_t sel) { return sel & 3; }
constexpr bool in_ldt(uint16_t sel) { return sel & 4; }
// The error code of a fault that names a selector: index and TI, RPL bits replaced by EXT/IDT.
constexpr uint32_t selector_error(uint16_t sel, uint32_t ext = 0) { return (sel & 0xFFFC) | ext; }

// The hidden part a segment register gets from a descriptor.
Segment make_segment(uint16_t sel, const Descriptor& d);
// A null selector loaded into a data segment register: unusable, base 0 (Intel clears the base
// of FS/GS too).
Segment null_segment(uint16_t sel);

// A descriptor read from the GDT or LDT. in_limit = false when the selector's entry lies
// outside its table (or the LDT is unusable); fault is a #PF from reading the table.
struct DescriptorFetch {
    Fault fault;
    bool in_limit = false;
    uint64_t linear = 0; // where the descriptor is, for A/busy-bit updates
    Descriptor d;
};
// wide: read 16 bytes (IA-32e system descriptors and gates).
DescriptorFetch fetch_descriptor(SystemContext& c, uint16_t sel, bool wide = false);
// Sets the accessed bit (type bit 0) of a code/data descriptor in memory if it is clear.
Fault mark_accessed(SystemContext& c, DescriptorFetch& f);
// Reads an IDT gate: 8 bytes, or 16 in IA-32e mode.
DescriptorFetch fetch_idt_gate(SystemContext& c, uint8_t vector);

// Linear address of a system-table offset (GDT/LDT/IDT/TSS): 32-bit wrap outside IA-32e mode.
uint64_t system_linear(const CpuState& s, uint64_t base, uint64_t offset);
// Implicit supervisor read/write of a system structure.
Fault read_system(SystemContext& c, uint64_t linear, void* dst, unsigned size);
Fault write_system(SystemContext& c, uint64_t linear, const void* src, unsigned size);

} // namespace hvlab::cpu::sys
