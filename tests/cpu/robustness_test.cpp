// Random byte streams, executed: whatever the bytes, the CPU must end in an architected state
// (an instruction, a delivered exception, HLT or shutdown), never a host crash. Run under
// -fsanitize=address,undefined this also catches undefined behaviour in handlers.
#include "cpu_fixture.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

TEST_CASE("robustness: random byte streams in 64-bit and 32-bit mode", "[cpu][robustness]") {
    const uint64_t seed = 20261129;
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    for (TestMode mode : {TestMode::Long64, TestMode::Protected32, TestMode::Compat32}) {
        CpuFixture m(mode);
        uint64_t retired = 0;
        for (int round = 0; round < 3000; ++round) {
            std::vector<uint8_t> code(96);
            for (auto& b : code) b = static_cast<uint8_t>(rng());
            m.load(code);
            for (unsigned i = 0; i < 16; ++i) m.s().gpr[i] = (rng() & 1) ? rng() : CpuFixture::kData + (rng() & 0xFFF);
            m.s().gpr[RSP] = CpuFixture::kStackTop;
            m.s().rflags = 0x2 | (rng() & (rflags::kArith | rflags::DF));
            m.s().activity = CpuState::Activity::Active;
            const RunResult r = m.run(64);
            retired += r.retired;
            if (m.s().activity == CpuState::Activity::Shutdown) {
                CpuFixture fresh(mode); // start over from a sane machine after a triple fault
                m.s() = fresh.s();
                m.cpu.invalidate_caches();
            }
        }
        CHECK(retired > 0);
    }
}
