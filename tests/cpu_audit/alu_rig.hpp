// A small rig over tests/cpu/cpu_fixture.hpp for the integer-core audit (alu_test.cpp): run a
// byte sequence followed by HLT, see which exception (if any) it raised, and remap 2 MiB
// regions read-only or not present to observe the memory side of a fault.
#pragma once
#include "../cpu/cpu_fixture.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::cpu::test {

struct AluRig : CpuFixture {
    static constexpr uint64_t kReadOnly = 0x600000;   // 2 MiB, present, not writable
    static constexpr uint64_t kNotPresent = 0x800000; // 2 MiB, not present

    explicit AluRig(TestMode m = TestMode::Long64) : CpuFixture(m) {
        if (m != TestMode::Protected32) {
            poke_val<uint64_t>(kPd + 8 * (kReadOnly >> 21), kReadOnly | 0x85);
            poke_val<uint64_t>(kPd + 8 * (kNotPresent >> 21), 0);
            s().cr0 |= cr0::WP; // supervisor writes honour R/W
            cpu.invalidate_caches();
        }
    }

    // Runs `code` + HLT from kCode. Returns the delivered vector, or -1 when the code ran to
    // its HLT.
    int exec(std::vector<uint8_t> code, uint64_t budget = 1000) {
        code.push_back(0xF4);
        load(code);
        s().activity = CpuState::Activity::Active;
        run(budget);
        const int v = delivered_vector();
        if (v < 0 && rip() != kCode + code.size()) return -2; // stopped somewhere else
        return v;
    }

    uint64_t rflags() const { return cpu.state().rflags; }
    uint64_t arith() const { return cpu.state().rflags & rflags::kArith; }
};

} // namespace hvlab::cpu::test
