// Memory-operand forms of the packed operations (the Unicorn and host comparisons use register
// forms): operand width, alignment class and the immediate after a displacement; and SSE in
// 32-bit protected mode, where only XMM0-7 exist.
#include "tests/cpu_simd/simd_rig.hpp"

#include <bit>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

TEST_CASE("sse memory forms: integer operations read m128 (aligned) or m16", "[sse][mem]") {
    SimdRig r;
    const uint64_t at = CpuFixture::kData + 0x40;
    r.reg(RAX) = at;
    r.poke_x(at, 0x0004000300020001ull, 0x0008000700060005ull);
    r.set_x(1, 0x0001000100010001ull, 0x0001000100010001ull);
    REQUIRE(r.exec({0x66, 0x0f, 0xf5, 0x08}) == kRetired); // pmaddwd xmm1,[rax]
    CHECK(same(r.x(1), 0x0000000700000003ull, 0x0000000F0000000Bull));
    r.set_x(1, 0x1111222233334444ull, 0x5555666677778888ull);
    REQUIRE(r.exec({0x66, 0x0f, 0x70, 0x08, 0x1b}) == kRetired); // pshufd xmm1,[rax],0x1b
    CHECK(same(r.x(1), 0x0006000500080007ull, 0x0002000100040003ull));
    r.poke_x(at, 3, 0xFFFF); // count 3: the whole low quadword is the count
    r.set_x(1, 0x0001000100010001ull, 0x8000800080008000ull);
    REQUIRE(r.exec({0x66, 0x0f, 0xf1, 0x08}) == kRetired); // psllw xmm1,[rax]
    CHECK(same(r.x(1), 0x0008000800080008ull, 0));
    r.poke_val<uint16_t>(at + 0x11, 0xBEEF); // m16 may be unaligned
    r.reg(RAX) = at + 0x11;
    r.set_x(1, 0, 0);
    REQUIRE(r.exec({0x66, 0x0f, 0xc4, 0x08, 0x03}) == kRetired); // pinsrw xmm1,[rax],3
    CHECK(same(r.x(1), 0xBEEF000000000000ull, 0));
    r.reg(RCX) = 0x12345678;
    REQUIRE(r.exec({0x66, 0x0f, 0xc4, 0xc9, 0x09}) == kRetired); // pinsrw xmm1,ecx,9 -> word 1
    CHECK(same(r.x(1), 0xBEEF000056780000ull, 0));
}

TEST_CASE("sse memory forms: floating-point m64/m128 operands", "[sse][mem][float]") {
    SimdRig r;
    const uint64_t at = CpuFixture::kData + 0x80;
    r.reg(RAX) = at;
    r.poke_x(at, std::bit_cast<uint64_t>(2.0), std::bit_cast<uint64_t>(-1.0));
    r.set_x(1, std::bit_cast<uint64_t>(1.0), std::bit_cast<uint64_t>(1.0));
    REQUIRE(r.exec({0x66, 0x0f, 0xc2, 0x08, 0x01}) == kRetired); // cmpltpd xmm1,[rax]
    CHECK(same(r.x(1), ~uint64_t{0}, 0));
    r.poke_x(at, 0xFFFFFFFF00000007ull, 0);
    REQUIRE(r.exec({0xf3, 0x0f, 0xe6, 0x08}) == kRetired); // cvtdq2pd xmm1,[rax] (m64)
    CHECK(same(r.x(1), std::bit_cast<uint64_t>(7.0), std::bit_cast<uint64_t>(-1.0)));
    r.reg(RAX) = at + 4; // the m64 forms do not need alignment, the m128 forms do
    CHECK(r.exec({0x0f, 0x5a, 0x08}) == kRetired);       // cvtps2pd xmm1,[rax]
    CHECK(r.exec({0xf2, 0x0f, 0x58, 0x08}) == kRetired); // addsd xmm1,[rax]
    CHECK(r.exec({0x66, 0x0f, 0x58, 0x08}) == GP);       // addpd xmm1,[rax]
    CHECK(r.exec({0x66, 0x0f, 0xc2, 0x08, 0x01}) == GP); // cmpltpd xmm1,[rax]
}

TEST_CASE("sse memory forms: 32-bit protected mode has XMM0-7 and 32-bit addressing",
          "[sse][mem]") {
    SimdRig r(TestMode::Protected32);
    r.set_x(3, 0xF0F0, 0x0F0F);
    r.set_x(7, 0xFFFF, 0xFFFF);
    REQUIRE(r.exec({0x66, 0x0f, 0xef, 0xfb}) == kRetired); // pxor xmm7,xmm3
    CHECK(same(r.x(7), 0x0F0F, 0xF0F0));
    r.reg(RAX) = 0xFFFFFFFF00300000ull; // only EAX forms the address
    r.poke_x(0x300000, 1, 2);
    REQUIRE(r.exec({0x66, 0x0f, 0x6f, 0x08}) == kRetired); // movdqa xmm1,[eax]
    CHECK(same(r.x(1), 1, 2));
    r.reg(RAX) = 0x3000;
    REQUIRE(r.exec({0x66, 0x0f, 0x7e, 0xc0}) == kRetired); // movd eax,xmm0
    CHECK(r.reg(RAX) == 0);
    r.s().fpu.mxcsr = 0x1F80;
    r.reg(RAX) = 0x300000;
    REQUIRE(r.exec({0x0f, 0xae, 0x18}) == kRetired); // stmxcsr [eax]
    CHECK(r.peek_val<uint32_t>(0x300000) == 0x1F80);
}
