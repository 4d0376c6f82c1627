// The CPU fixture plus what the SSE/x87 audit tests need: run one instruction (at CPL 0 or 3)
// and report the delivered exception, XMM setters, and bit-pattern helpers.
#pragma once
#include "../cpu/cpu_fixture.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <vector>

namespace hvlab::cpu::test::sse_audit {

inline constexpr int kRetired = -1;

// MXCSR fields (SDM Vol. 1, "MXCSR Control/Status Register").
inline constexpr uint32_t kIE = 0x01, kDE = 0x02, kZE = 0x04, kOE = 0x08, kUE = 0x10, kPE = 0x20;
inline constexpr uint32_t kAllMasked = 0x1F80;
// MXCSR with every exception masked except those in `flags` (given as flag bits).
constexpr uint32_t unmask(uint32_t flags) {
    return kAllMasked & ~(flags << 7);
}

inline uint64_t dbl(double d) {
    return std::bit_cast<uint64_t>(d);
}
inline uint32_t flt(float f) {
    return std::bit_cast<uint32_t>(f);
}

struct SseRig : CpuFixture {
    explicit SseRig(TestMode m = TestMode::Long64) : CpuFixture(m) {}

    // Runs `code` alone. Returns kRetired when it completed (RIP just past it), else the vector
    // of the exception it raised (delivered to the HLT stub of that vector).
    int exec(const std::vector<uint8_t>& code) {
        load(code);
        s().activity = CpuState::Activity::Active;
        run(1);
        if (rip() == kCode + code.size()) return kRetired;
        run(1); // the stub's HLT
        return delivered_vector();
    }

    // CPL 3 with alignment checking enabled (CR0.AM, RFLAGS.AC).
    void enter_user_with_ac() {
        const bool m64 = mode == TestMode::Long64;
        s().seg[CS] = m64 ? Segment{kUserCode64, 0, 0xFFFFFFFF, 0xA0FB}
                          : Segment{kUserCode64, 0, 0xFFFFFFFF, 0xC0FB};
        s().seg[SS] = Segment{kUserData, 0, 0xFFFFFFFF, 0xC0F3};
        for (auto r : {DS, ES})
            s().seg[r] = Segment{kUserData, 0, 0xFFFFFFFF, 0xC0F3};
        s().cr0 |= cr0::AM;
        s().rflags |= rflags::AC;
        cpu.invalidate_caches();
    }

    Xmm& x(unsigned n) { return s().xmm[n]; }
    void set_x(unsigned n, uint64_t lo, uint64_t hi) { s().xmm[n] = Xmm{lo, hi}; }
    uint32_t mxcsr_flags() { return s().fpu.mxcsr & 0x3F; }
};

inline bool same(const Xmm& a, uint64_t lo, uint64_t hi) {
    return a.lo == lo && a.hi == hi;
}

} // namespace hvlab::cpu::test::sse_audit
