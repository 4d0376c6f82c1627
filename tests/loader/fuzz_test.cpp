// Mutated images must give a clean UserError or a clean boot, never a crash or an
// out-of-bounds access (run under -fsanitize=address,undefined in CI).
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace hvlab;
using namespace hvlab::test;

namespace {
void fuzz(const std::vector<uint8_t>& base, uint32_t seed, int rounds) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    LoaderFixture f(64 * kMiB);
    int booted = 0, refused = 0;
    for (int r = 0; r < rounds; ++r) {
        std::vector<uint8_t> img = base;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            // Bias edits towards the headers, where the structure is.
            const size_t limit = (rng() % 4) ? std::min<size_t>(img.size(), 0x240) : img.size();
            img[rng() % limit] = static_cast<uint8_t>(rng());
        }
        if (rng() % 8 == 0) img.resize(rng() % img.size());
        const auto path = f.dir.write("fuzz.elf", img);
        try {
            f.boot(path);
            ++booted;
        } catch (const UserError&) {
            ++refused;
        }
    }
    CHECK(booted + refused == rounds);
    // Both outcomes occur, so the mutations reach the checks and not only one early exit.
    CHECK(booted > 0);
    CHECK(refused > 0);
}
} // namespace

TEST_CASE("fuzzed ELF32 Multiboot images never crash the loader", "[loader][fuzz]") {
    ElfSpec s = basic_elf32();
    s.symbols = {{"kmain", 0x100010}};
    const uint32_t seed = 20241;
    WARN("fuzz seed " << seed);
    fuzz(build_elf(s), seed, 400);
}

TEST_CASE("fuzzed ELF64 images never crash the loader", "[loader][fuzz]") {
    ElfSpec s;
    s.is64 = true;
    s.machine = 62;
    s.multiboot = false;
    s.entry = 0x100000;
    s.segments.push_back({0x100000, 0x100000, pattern(0x800, 5), 0x1000, true});
    s.symbols = {{"_start", 0x100000}};
    const uint32_t seed = 777;
    WARN("fuzz seed " << seed);
    fuzz(build_elf(s), seed, 400);
}
