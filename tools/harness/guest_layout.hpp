// Where the differential tests put things in guest memory. Both emulators map the same three
// test regions at the same addresses; hvlab additionally needs system tables (GDT, IDT, TSS,
// page tables, exception stubs) that Unicorn, which delivers no exceptions, does not.
//
//   physical            linear (64-bit mode)          contents
//   0x0000_1000         0xFFFF_8000_0000_1000          GDT
//   0x0000_2000         0xFFFF_8000_0000_2000          IDT (256 gates)
//   0x0000_3000         0xFFFF_8000_0000_3000          TSS (64-bit: IST1 points at the page below)
//   0x0000_4000         0xFFFF_8000_0000_4000          exception stack (IST1 = top of the page)
//   0x0000_6000         0xFFFF_8000_0000_6000          256 exception stubs of 16 bytes (HLT)
//   0x0000_8000..E000   (not mapped)                   4-level page tables
//   0x0040_0000         same (identity)                code region (instruction stream)
//   0x0041_0000         same (identity)                data region (memory operands)
//   0x0042_0000         same (identity)                stack region
//
// In 64-bit mode the system pages sit at a linear address that no sign-extended 32-bit
// displacement reaches, so a random memory operand finds them unmapped, as Unicorn does.
// In 32-bit mode paging is off and they sit at their physical addresses.
#pragma once
#include <cstdint>

namespace hvlab::tools::layout {

inline constexpr uint64_t kPage = 0x1000;
inline constexpr uint64_t kRamBytes = 32ull << 20;

inline constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000;
inline constexpr uint64_t kExceptionStackTop = 0x5000;
inline constexpr uint64_t kStubs = 0x6000, kStubSize = 16;
inline constexpr uint64_t kPml4 = 0x8000;
inline constexpr uint64_t kSystemEnd = 0xF000; // end of what reset rewrites
inline constexpr uint64_t kSystemLinear64 = 0xFFFF'8000'0000'0000ull;

struct Region {
    uint64_t base, size;
    bool contains(uint64_t a, uint64_t len = 1) const { return a >= base && a - base + len <= size; }
};
inline constexpr Region kCode{0x40'0000, 0x2000};
inline constexpr Region kData{0x41'0000, 0x4000};
inline constexpr Region kStack{0x42'0000, 0x2000};
inline constexpr Region kRegions[] = {kCode, kData, kStack};
inline constexpr uint64_t kStackStart = kStack.base + 0x1000; // room to push and to pop

// GDT selectors (both modes use the same slots).
inline constexpr uint16_t kCodeSel = 0x08, kDataSel = 0x10, kTssSel = 0x28;

} // namespace hvlab::tools::layout
