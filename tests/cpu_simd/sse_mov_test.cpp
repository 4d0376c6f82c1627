// SSE/SSE2 data movement: full-width loads and stores, MOVD/MOVQ zero-extension, MOVSS/MOVSD
// register-merge versus memory-zeroing, the half-register moves, non-temporal stores and
// MASKMOVDQU.
#include "tests/cpu_simd/simd_rig.hpp"

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {
constexpr uint64_t A = 0x1111222233334444ull, B = 0x5555666677778888ull;
constexpr uint64_t C = 0x99990000AAAABBBBull, D = 0xCCCCDDDDEEEEFFFFull;
} // namespace

TEST_CASE("sse mov: 128-bit loads and stores, aligned and unaligned forms", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.poke_x(CpuFixture::kData, A, B);
    struct Case {
        std::vector<uint8_t> code;
        const char* name;
    };
    const Case loads[] = {
        {{0x66, 0x0f, 0x6f, 0x08}, "movdqa xmm1,[rax]"},
        {{0xf3, 0x0f, 0x6f, 0x08}, "movdqu xmm1,[rax]"},
        {{0x0f, 0x28, 0x08}, "movaps xmm1,[rax]"},
        {{0x66, 0x0f, 0x28, 0x08}, "movapd xmm1,[rax]"},
        {{0x0f, 0x10, 0x08}, "movups xmm1,[rax]"},
        {{0x66, 0x0f, 0x10, 0x08}, "movupd xmm1,[rax]"},
    };
    for (const auto& c : loads) {
        INFO(c.name);
        r.set_x(1, 0, 0);
        REQUIRE(r.exec(c.code) == kRetired);
        CHECK(same(r.x(1), A, B));
    }
    const Case stores[] = {
        {{0x66, 0x0f, 0x7f, 0x08}, "movdqa [rax],xmm1"},
        {{0xf3, 0x0f, 0x7f, 0x08}, "movdqu [rax],xmm1"},
        {{0x0f, 0x29, 0x08}, "movaps [rax],xmm1"},
        {{0x66, 0x0f, 0x29, 0x08}, "movapd [rax],xmm1"},
        {{0x0f, 0x11, 0x08}, "movups [rax],xmm1"},
        {{0x66, 0x0f, 0x11, 0x08}, "movupd [rax],xmm1"},
        {{0x66, 0x0f, 0xe7, 0x08}, "movntdq [rax],xmm1"},
        {{0x0f, 0x2b, 0x08}, "movntps [rax],xmm1"},
        {{0x66, 0x0f, 0x2b, 0x08}, "movntpd [rax],xmm1"},
    };
    for (const auto& c : stores) {
        INFO(c.name);
        r.poke_x(CpuFixture::kData, 0, 0);
        r.set_x(1, C, D);
        REQUIRE(r.exec(c.code) == kRetired);
        CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == C);
        CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 8) == D);
    }
}

TEST_CASE("sse mov: unaligned forms accept any address, also across a page", "[sse][mov]") {
    SimdRig r;
    const uint64_t at = CpuFixture::kData + 0xFF9; // 7 bytes in one page, 9 in the next
    r.reg(RAX) = at;
    r.poke_x(at, A, B);
    REQUIRE(r.exec({0xf3, 0x0f, 0x6f, 0x08}) == kRetired); // movdqu xmm1,[rax]
    CHECK(same(r.x(1), A, B));
    r.set_x(2, C, D);
    REQUIRE(r.exec({0x0f, 0x11, 0x10}) == kRetired); // movups [rax],xmm2
    CHECK(r.peek_val<uint64_t>(at) == C);
    CHECK(r.peek_val<uint64_t>(at + 8) == D);
}

TEST_CASE("sse mov: register forms and REX-extended registers", "[sse][mov]") {
    SimdRig r;
    r.set_x(2, A, B);
    REQUIRE(r.exec({0x0f, 0x28, 0xca}) == kRetired); // movaps xmm1,xmm2
    CHECK(same(r.x(1), A, B));
    r.set_x(3, C, D);
    REQUIRE(r.exec({0x66, 0x44, 0x0f, 0x6f, 0xd3}) == kRetired); // movdqa xmm10,xmm3
    CHECK(same(r.x(10), C, D));
    r.reg(RAX) = CpuFixture::kData;
    r.reg(RCX) = 2;
    r.poke_x(CpuFixture::kData + 0x20, D, C);
    REQUIRE(r.exec({0x66, 0x0f, 0x6f, 0x4c, 0xc8, 0x10}) ==
            kRetired); // movdqa xmm1,[rax+rcx*8+0x10]
    CHECK(same(r.x(1), D, C));
}

TEST_CASE("sse mov: MOVD/MOVQ zero-extend into XMM and into the GPR", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = 0xFEDCBA9876543210ull;
    r.set_x(3, A, B);
    REQUIRE(r.exec({0x66, 0x0f, 0x6e, 0xd8}) == kRetired); // movd xmm3,eax
    CHECK(same(r.x(3), 0x76543210, 0));
    r.set_x(3, A, B);
    REQUIRE(r.exec({0x66, 0x48, 0x0f, 0x6e, 0xd8}) == kRetired); // movq xmm3,rax
    CHECK(same(r.x(3), 0xFEDCBA9876543210ull, 0));
    r.reg(R10) = 0x0123456789ABCDEFull;
    REQUIRE(r.exec({0x66, 0x4d, 0x0f, 0x6e, 0xca}) == kRetired); // movq xmm9,r10
    CHECK(same(r.x(9), 0x0123456789ABCDEFull, 0));

    r.set_x(3, 0x8000000180000002ull, B);
    r.reg(RCX) = ~uint64_t{0};
    REQUIRE(r.exec({0x66, 0x0f, 0x7e, 0xd9}) == kRetired); // movd ecx,xmm3
    CHECK(r.reg(RCX) == 0x80000002ull);
    REQUIRE(r.exec({0x66, 0x48, 0x0f, 0x7e, 0xd9}) == kRetired); // movq rcx,xmm3
    CHECK(r.reg(RCX) == 0x8000000180000002ull);
    r.set_x(12, C, D);
    REQUIRE(r.exec({0x66, 0x4d, 0x0f, 0x7e, 0xe3}) == kRetired); // movq r11,xmm12
    CHECK(r.reg(R11) == C);

    r.reg(RAX) = CpuFixture::kData;
    r.poke_x(CpuFixture::kData, A, B);
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x66, 0x0f, 0x6e, 0x08}) == kRetired); // movd xmm1,[rax]
    CHECK(same(r.x(1), A & 0xFFFFFFFF, 0));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x66, 0x0f, 0x7e, 0x08}) == kRetired); // movd [rax],xmm1
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == ((A & ~0xFFFFFFFFull) | (C & 0xFFFFFFFF)));
}

TEST_CASE("sse mov: MOVQ xmm forms clear bits 127:64 of a register destination", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.poke_x(CpuFixture::kData, A, B);
    r.set_x(4, C, D);
    REQUIRE(r.exec({0xf3, 0x0f, 0x7e, 0x20}) == kRetired); // movq xmm4,[rax]
    CHECK(same(r.x(4), A, 0));
    r.set_x(5, C, D);
    r.set_x(4, A, B);
    REQUIRE(r.exec({0xf3, 0x0f, 0x7e, 0xe5}) == kRetired); // movq xmm4,xmm5
    CHECK(same(r.x(4), C, 0));
    r.set_x(13, D, C);
    r.set_x(12, A, B);
    REQUIRE(r.exec({0xf3, 0x45, 0x0f, 0x7e, 0xe5}) == kRetired); // movq xmm12,xmm13
    CHECK(same(r.x(12), D, 0));
    r.set_x(4, C, D);
    REQUIRE(r.exec({0x66, 0x0f, 0xd6, 0x20}) == kRetired); // movq [rax],xmm4
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == C);
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 8) == B); // only 8 bytes written
    r.set_x(4, C, D);
    r.set_x(6, A, B);
    REQUIRE(r.exec({0x66, 0x0f, 0xd6, 0xe6}) == kRetired); // movq xmm6,xmm4
    CHECK(same(r.x(6), C, 0));
}

TEST_CASE("sse mov: MOVSS/MOVSD merge from a register, zero from memory", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.poke_x(CpuFixture::kData, A, B);
    r.set_x(1, C, D);
    r.set_x(2, A, B);
    REQUIRE(r.exec({0xf3, 0x0f, 0x10, 0xca}) == kRetired); // movss xmm1,xmm2
    CHECK(same(r.x(1), (C & ~0xFFFFFFFFull) | (A & 0xFFFFFFFF), D));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0xf3, 0x0f, 0x10, 0x08}) == kRetired); // movss xmm1,[rax]
    CHECK(same(r.x(1), A & 0xFFFFFFFF, 0));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0xf2, 0x0f, 0x10, 0xca}) == kRetired); // movsd xmm1,xmm2
    CHECK(same(r.x(1), A, D));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0xf2, 0x0f, 0x10, 0x08}) == kRetired); // movsd xmm1,[rax]
    CHECK(same(r.x(1), A, 0));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0xf3, 0x0f, 0x11, 0x08}) == kRetired); // movss [rax],xmm1
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == ((A & ~0xFFFFFFFFull) | (C & 0xFFFFFFFF)));
    REQUIRE(r.exec({0xf2, 0x0f, 0x11, 0x08}) == kRetired); // movsd [rax],xmm1
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == C);
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 8) == B);
    r.set_x(2, A, B);
    REQUIRE(r.exec({0xf3, 0x0f, 0x11, 0xca}) == kRetired); // movss xmm2,xmm1 (store form, register)
    CHECK(same(r.x(2), (A & ~0xFFFFFFFFull) | (C & 0xFFFFFFFF), B));
}

TEST_CASE("sse mov: MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS move one half", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.poke_x(CpuFixture::kData, A, B);
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x0f, 0x12, 0x08}) == kRetired); // movlps xmm1,[rax]
    CHECK(same(r.x(1), A, D));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x0f, 0x16, 0x08}) == kRetired); // movhps xmm1,[rax]
    CHECK(same(r.x(1), C, A));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x66, 0x0f, 0x12, 0x08}) == kRetired); // movlpd xmm1,[rax]
    CHECK(same(r.x(1), A, D));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x66, 0x0f, 0x16, 0x08}) == kRetired); // movhpd xmm1,[rax]
    CHECK(same(r.x(1), C, A));
    r.set_x(1, C, D);
    r.set_x(2, A, B);
    REQUIRE(r.exec({0x0f, 0x12, 0xca}) == kRetired); // movhlps xmm1,xmm2
    CHECK(same(r.x(1), B, D));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x0f, 0x16, 0xca}) == kRetired); // movlhps xmm1,xmm2
    CHECK(same(r.x(1), C, A));
    r.set_x(1, C, D);
    REQUIRE(r.exec({0x0f, 0x13, 0x08}) == kRetired); // movlps [rax],xmm1
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == C);
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 8) == B);
    REQUIRE(r.exec({0x0f, 0x17, 0x08}) == kRetired); // movhps [rax],xmm1
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == D);
    // The register forms of the stores and of MOVLPD/MOVHPD do not exist.
    CHECK(r.exec({0x0f, 0x13, 0xca}) == UD);
    CHECK(r.exec({0x0f, 0x17, 0xca}) == UD);
}

TEST_CASE("sse mov: MOVNTI stores a GPR and ignores CR0.TS", "[sse][mov]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.reg(RCX) = 0x0102030405060708ull;
    r.poke_x(CpuFixture::kData, A, B);
    r.s().cr0 |= cr0::TS;
    REQUIRE(r.exec({0x0f, 0xc3, 0x08}) == kRetired); // movnti [rax],ecx
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == ((A & ~0xFFFFFFFFull) | 0x05060708));
    REQUIRE(r.exec({0x48, 0x0f, 0xc3, 0x08}) == kRetired); // movnti [rax],rcx
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == 0x0102030405060708ull);
    CHECK(r.exec({0x0f, 0xc3, 0xc8}) == UD); // register destination
}

TEST_CASE("sse mov: MASKMOVDQU writes only the selected bytes at DS:RDI", "[sse][mov]") {
    SimdRig r;
    r.reg(RDI) = CpuFixture::kData + 3; // unaligned is fine
    r.poke_x(CpuFixture::kData + 3, A, B);
    r.set_x(1, 0xF0E0D0C0B0A09080ull, 0x0F0E0D0C0B0A0908ull);
    r.set_x(2, 0x00000000800000FFull, 0x8000000000000000ull); // bytes 0, 3 and 15
    REQUIRE(r.exec({0x66, 0x0f, 0xf7, 0xca}) == kRetired);
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 3) ==
          ((A & 0xFFFFFFFF00FFFF00ull) | 0xB0000080ull));
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 11) ==
          ((B & 0x00FFFFFFFFFFFFFFull) | 0x0F00000000000000ull));
}
