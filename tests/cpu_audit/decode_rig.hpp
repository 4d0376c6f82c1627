// Helpers for the decoder / control-flow / stack / string audit (decode_test.cpp): 4 KiB page
// tables over one 2 MiB region of the CpuFixture's identity map, an alias of low memory at
// 4 GiB, and the 64-bit exception frame.
#pragma once
#include "../cpu/cpu_fixture.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::cpu::test {

// The fixture's 64-bit and compatibility-mode paging maps the first 1 GiB with 2 MiB pages.
// split_4k() replaces the 2 MiB page at `region` by a page table (at physical `pt`) of 4 KiB
// pages with the same identity mapping, so single pages can be unmapped or made NX.
inline constexpr uint64_t kSplitRegion = 0x400000; // 4 MiB .. 6 MiB
inline constexpr uint64_t kSplitPt = 0x8000;

inline void split_4k(CpuFixture& f, uint64_t region = kSplitRegion, uint64_t pt = kSplitPt) {
    for (uint64_t i = 0; i < 512; ++i)
        f.poke_val<uint64_t>(pt + 8 * i, (region + i * 0x1000) | 0x7);
    f.poke_val<uint64_t>(CpuFixture::kPd + 8 * (region >> 21), pt | 0x7);
    f.cpu.invalidate_caches();
}

// Sets the PTE of the 4 KiB page at `linear` (inside the split region).
inline void set_pte(CpuFixture& f, uint64_t linear, uint64_t pte, uint64_t region = kSplitRegion,
                    uint64_t pt = kSplitPt) {
    f.poke_val<uint64_t>(pt + 8 * ((linear - region) >> 12), pte);
    f.cpu.invalidate_caches();
}

// Linear 4 GiB + x maps physical x for x < 2 MiB, and 4 GiB + 2 MiB + y maps physical
// 4 MiB + y: a second linear alias of the low 2 MiB, and a window whose contents differ from
// the low identity map (for address-size truncation tests).
inline constexpr uint64_t kHighAlias = 0x1'0000'0000;
inline void map_high_alias(CpuFixture& f, uint64_t pd = 0x9000) {
    for (uint64_t i = 0; i < 512; ++i)
        f.poke_val<uint64_t>(pd + 8 * i, 0);
    f.poke_val<uint64_t>(pd, 0x000000 | 0x87);
    f.poke_val<uint64_t>(pd + 8, 0x400000 | 0x87);
    f.poke_val<uint64_t>(CpuFixture::kPdpt + 8 * 4, pd | 0x7);
    f.cpu.invalidate_caches();
}

// 64-bit exception frame after an exception with an error code: [RSP] error code, +8 RIP,
// +16 CS, +24 RFLAGS, +32 RSP, +40 SS.
inline uint64_t frame_rflags64(CpuFixture& f, bool has_error_code) {
    return f.peek_val<uint64_t>(f.s().gpr[RSP] + (has_error_code ? 8 : 0) + 16);
}
inline uint32_t frame_eflags32(CpuFixture& f, bool has_error_code) {
    return f.peek_val<uint32_t>(f.s().gpr[RSP] + (has_error_code ? 4 : 0) + 8);
}

} // namespace hvlab::cpu::test
