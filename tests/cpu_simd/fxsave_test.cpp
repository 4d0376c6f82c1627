// FXSAVE/FXRSTOR and FXSAVE64/FXRSTOR64: the exact area layout (SDM Vol. 2A, FXSAVE tables),
// what is and is not written, the round trip, and the fault rules (alignment, #NM with TS or EM,
// reserved MXCSR bits, no partial write on a page fault, CR4.OSFXSR=0).
#include "tests/cpu_simd/simd_rig.hpp"

#include <array>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

const std::vector<uint8_t> kFxsave = {0x0f, 0xae, 0x00};          // fxsave [rax]
const std::vector<uint8_t> kFxrstor = {0x0f, 0xae, 0x08};         // fxrstor [rax]
const std::vector<uint8_t> kFxsave64 = {0x48, 0x0f, 0xae, 0x00};  // fxsave64 [rax]
const std::vector<uint8_t> kFxrstor64 = {0x48, 0x0f, 0xae, 0x08}; // fxrstor64 [rax]
constexpr uint64_t kArea = CpuFixture::kData + 0x200;

void fill_state(CpuState& s) {
    s.fpu.fcw = 0x027F;
    s.fpu.fsw = 0x3A00; // TOP=7, C1, C3 clear
    s.fpu.ftw = 0xA5;
    s.fpu.fop = 0x05D9;
    s.fpu.fip = 0xFFFF'8000'1234'5678ull;
    s.fpu.fdp = 0x0000'7FFF'9ABC'DEF0ull;
    for (unsigned i = 0; i < 8; ++i)
        for (unsigned b = 0; b < 10; ++b)
            s.fpu.st[i][b] = static_cast<uint8_t>(0x10 * i + b + 1);
    s.fpu.mxcsr = 0x1F80 | 0x0040 | 0x0001; // DAZ, IE
    for (unsigned i = 0; i < 16; ++i)
        s.xmm[i] = Xmm{0x0101010101010101ull * (i + 1), 0xF0F0F0F0F0F0F0F0ull ^ i};
}

void fill_area(SimdRig& r, uint64_t at, uint8_t v) {
    std::array<uint8_t, 512> b;
    b.fill(v);
    r.poke(at, b.data(), b.size());
}

} // namespace

TEST_CASE("fxsave: FXSAVE64 writes every field at its SDM offset", "[fxsave]") {
    SimdRig r;
    fill_state(r.s());
    fill_area(r, kArea, 0xCC);
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave64) == kRetired);
    CHECK(r.peek_val<uint16_t>(kArea + 0) == 0x027F);
    CHECK(r.peek_val<uint16_t>(kArea + 2) == 0x3A00);
    CHECK(r.peek_val<uint8_t>(kArea + 4) == 0xA5);
    CHECK(r.peek_val<uint8_t>(kArea + 5) == 0);
    CHECK(r.peek_val<uint16_t>(kArea + 6) == 0x05D9);
    CHECK(r.peek_val<uint64_t>(kArea + 8) == 0xFFFF'8000'1234'5678ull);
    CHECK(r.peek_val<uint64_t>(kArea + 16) == 0x0000'7FFF'9ABC'DEF0ull);
    CHECK(r.peek_val<uint32_t>(kArea + 24) == 0x1FC1);
    CHECK(r.peek_val<uint32_t>(kArea + 28) == 0xFFFF); // MXCSR_MASK: DAZ supported
    for (unsigned i = 0; i < 8; ++i) {
        INFO("ST" << i);
        for (unsigned b = 0; b < 10; ++b)
            CHECK(r.peek_val<uint8_t>(kArea + 32 + 16 * i + b) == 0x10 * i + b + 1);
        for (unsigned b = 10; b < 16; ++b)
            CHECK(r.peek_val<uint8_t>(kArea + 32 + 16 * i + b) == 0);
    }
    for (unsigned i = 0; i < 16; ++i) {
        INFO("XMM" << i);
        CHECK(r.peek_val<uint64_t>(kArea + 160 + 16 * i) == 0x0101010101010101ull * (i + 1));
        CHECK(r.peek_val<uint64_t>(kArea + 168 + 16 * i) == (0xF0F0F0F0F0F0F0F0ull ^ i));
    }
    for (unsigned b = 416; b < 512; ++b) {
        INFO("byte " << b);
        CHECK(r.peek_val<uint8_t>(kArea + b) == 0xCC); // reserved and software-available bytes
    }
}

TEST_CASE("fxsave: without REX.W the pointers are 32-bit offset plus selector", "[fxsave]") {
    SimdRig r;
    fill_state(r.s());
    fill_area(r, kArea, 0xCC);
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave) == kRetired);
    CHECK(r.peek_val<uint32_t>(kArea + 8) == 0x1234'5678);
    CHECK(r.peek_val<uint16_t>(kArea + 12) == 0x8000); // FCS
    CHECK(r.peek_val<uint16_t>(kArea + 14) == 0);
    CHECK(r.peek_val<uint32_t>(kArea + 16) == 0x9ABC'DEF0);
    CHECK(r.peek_val<uint16_t>(kArea + 20) == 0x7FFF); // FDS
    CHECK(r.peek_val<uint16_t>(kArea + 22) == 0);
    CHECK(r.peek_val<uint64_t>(kArea + 160 + 16 * 15) ==
          0x1010101010101010ull); // XMM15 in 64-bit mode
}

TEST_CASE("fxsave: outside 64-bit mode only XMM0-7 are saved and restored", "[fxsave]") {
    SimdRig r(TestMode::Protected32);
    fill_state(r.s());
    fill_area(r, kArea, 0xCC);
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave) == kRetired);
    CHECK(r.peek_val<uint64_t>(kArea + 160 + 16 * 7) == 0x0808080808080808ull);
    for (unsigned b = 288; b < 512; ++b) {
        INFO("byte " << b);
        CHECK(r.peek_val<uint8_t>(kArea + b) == 0xCC);
    }
    r.poke_x(kArea + 160, 0xAAAA, 0xBBBB);     // new XMM0
    r.poke_x(kArea + 160 + 16 * 8, 0xDEAD, 0); // would be XMM8 in 64-bit mode
    REQUIRE(r.exec(kFxrstor) == kRetired);
    CHECK(same(r.x(0), 0xAAAA, 0xBBBB));
    CHECK(same(r.x(8), 0x0909090909090909ull, 0xF0F0F0F0F0F0F0F0ull ^ 8));
}

TEST_CASE("fxsave: FXRSTOR64 round trip restores the whole state", "[fxsave]") {
    SimdRig r;
    fill_state(r.s());
    const CpuState saved = r.s();
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave64) == kRetired);
    r.s().fpu = FpuState{};
    for (auto& x : r.s().xmm)
        x = Xmm{};
    REQUIRE(r.exec(kFxrstor64) == kRetired);
    const FpuState& f = r.s().fpu;
    CHECK(f.fcw == saved.fpu.fcw);
    CHECK(f.fsw == saved.fpu.fsw);
    CHECK(f.ftw == saved.fpu.ftw);
    CHECK(f.fop == saved.fpu.fop);
    CHECK(f.fip == saved.fpu.fip);
    CHECK(f.fdp == saved.fpu.fdp);
    CHECK(f.st == saved.fpu.st);
    CHECK(f.mxcsr == saved.fpu.mxcsr);
    for (unsigned i = 0; i < 16; ++i)
        CHECK(same(r.x(i), saved.xmm[i].lo, saved.xmm[i].hi));
    // The 32-bit format keeps only offset and selector of each pointer.
    REQUIRE(r.exec(kFxrstor) == kRetired);
    CHECK(f.fip == 0x0000'8000'1234'5678ull);
    CHECK(f.fdp == 0x0000'7FFF'9ABC'DEF0ull);
}

TEST_CASE("fxsave: FXRSTOR normalises FCW, masks FOP and recomputes FSW.ES", "[fxsave]") {
    SimdRig r;
    r.reg(RAX) = kArea;
    fill_area(r, kArea, 0);
    r.poke_val<uint16_t>(kArea + 0, 0xFFFE); // IM clear, every reserved bit set
    r.poke_val<uint16_t>(kArea + 2, 0x0001); // IE pending and unmasked
    r.poke_val<uint8_t>(kArea + 4, 0x81);
    r.poke_val<uint16_t>(kArea + 6, 0xFFFF);
    r.poke_val<uint32_t>(kArea + 24, 0x1F80);
    REQUIRE(r.exec(kFxrstor) == kRetired);
    CHECK(r.s().fpu.fcw == 0x1F7E);
    CHECK(r.s().fpu.fsw == 0x8081);
    CHECK(r.s().fpu.ftw == 0x81);
    CHECK(r.s().fpu.fop == 0x07FF);
}

TEST_CASE("fxsave: alignment, #NM and reserved MXCSR bits", "[fxsave][fault]") {
    for (const auto* code : {&kFxsave, &kFxrstor, &kFxsave64, &kFxrstor64}) {
        SimdRig r;
        r.reg(RAX) = kArea + 8;
        CHECK(r.exec(*code) == GP);
        CHECK(r.pushed_error_code() == 0);
        SimdRig t;
        t.reg(RAX) = kArea;
        t.s().cr0 |= cr0::TS;
        CHECK(t.exec(*code) == NM);
        SimdRig e; // CR0.EM gives #NM here, not #UD
        e.reg(RAX) = kArea;
        e.s().cr0 |= cr0::EM;
        CHECK(e.exec(*code) == NM);
    }
    SimdRig r;
    fill_state(r.s());
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave64) == kRetired);
    r.poke_val<uint32_t>(kArea + 24, 0x0001'1F80);
    r.poke_val<uint16_t>(kArea + 0, 0x0000);
    r.s().fpu.fcw = 0x037F;
    CHECK(r.exec(kFxrstor64) == GP);
    CHECK(r.s().fpu.fcw == 0x037F); // nothing loaded
    CHECK(r.s().fpu.mxcsr == 0x1FC1);
}

TEST_CASE("fxsave: a page fault in the area leaves memory unchanged", "[fxsave][fault]") {
    SimdRig r;
    r.unmap_2m_page();
    const uint64_t at = SimdRig::kUnmapped - 0x100; // 256 bytes mapped, the rest not
    std::array<uint8_t, 0x100> cc;
    cc.fill(0xCC);
    r.poke(at, cc.data(), cc.size());
    fill_state(r.s());
    r.reg(RAX) = at;
    CHECK(r.exec(kFxsave64) == PF);
    CHECK(r.s().cr2 == SimdRig::kUnmapped);
    for (unsigned b = 0; b < 0x100; b += 8)
        CHECK(r.peek_val<uint64_t>(at + b) == 0xCCCCCCCCCCCCCCCCull);
    r.s().fpu.fcw = 0x0123;
    CHECK(r.exec(kFxrstor64) == PF);
    CHECK(r.s().fpu.fcw == 0x0123);
}

TEST_CASE("fxsave: with CR4.OSFXSR=0 MXCSR and XMM are neither saved nor restored", "[fxsave]") {
    SimdRig r;
    fill_state(r.s());
    r.s().cr4 &= ~cr4::OSFXSR;
    fill_area(r, kArea, 0xCC);
    r.reg(RAX) = kArea;
    REQUIRE(r.exec(kFxsave64) == kRetired);
    CHECK(r.peek_val<uint16_t>(kArea) == 0x027F);
    CHECK(r.peek_val<uint32_t>(kArea + 24) == 0xCCCCCCCC);
    CHECK(r.peek_val<uint64_t>(kArea + 160) == 0xCCCCCCCCCCCCCCCCull);
    REQUIRE(r.exec(kFxrstor64) == kRetired); // MXCSR image 0xCCCCCCCC is not even checked
    CHECK(r.s().fpu.mxcsr == 0x1FC1);
    CHECK(same(r.x(0), 0x0101010101010101ull, 0xF0F0F0F0F0F0F0F0ull));
}
