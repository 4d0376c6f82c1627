// The CPU test fixture plus what the SIMD tests share: run one instruction and report the
// delivered exception, XMM and memory setters, and byte-sequence helpers.
#pragma once
#include "tests/cpu/cpu_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace hvlab::cpu::test {

inline constexpr int kRetired = -1;

struct SimdRig : CpuFixture {
    explicit SimdRig(TestMode m = TestMode::Long64) : CpuFixture(m) {}

    // Runs `code` followed by HLT. Returns kRetired when the instruction completed (RIP is then
    // just past it), else the vector of the exception it raised.
    int exec(std::vector<uint8_t> code) {
        const size_t n = code.size();
        code.push_back(0xF4);
        load(code);
        s().activity = CpuState::Activity::Active; // the previous exec ended in HLT
        run(10);
        const int v = delivered_vector();
        if (v >= 0) return v;
        REQUIRE(rip() == kCode + n + 1);
        return kRetired;
    }

    // Makes the 2 MiB page at kUnmapped not present (the fixture maps RAM with 2 MiB pages), so
    // that an access crossing from kUnmapped - n into it faults on RAM-backed addresses.
    static constexpr uint64_t kUnmapped = 0x600000;
    void unmap_2m_page() {
        poke_val<uint64_t>(kPd + 8 * (kUnmapped >> 21), 0);
        cpu.invalidate_caches();
    }

    Xmm& x(unsigned n) { return s().xmm[n]; }
    void set_x(unsigned n, uint64_t lo, uint64_t hi) { s().xmm[n] = Xmm{lo, hi}; }
    void poke_x(uint64_t pa, uint64_t lo, uint64_t hi) {
        poke_val<uint64_t>(pa, lo);
        poke_val<uint64_t>(pa + 8, hi);
    }
};

inline bool same(const Xmm& a, uint64_t lo, uint64_t hi) {
    return a.lo == lo && a.hi == hi;
}

} // namespace hvlab::cpu::test
