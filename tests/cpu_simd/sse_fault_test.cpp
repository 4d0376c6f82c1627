// The fault rules of SSE instructions: #UD with CR0.EM=1 or CR4.OSFXSR=0, #NM with CR0.TS=1 (and
// their priority), 16-byte alignment #GP(0) of the aligned forms, segment/canonical/paging faults
// through the ordinary memory path with the state left unchanged, LOCK, MMX and VEX encodings.
#include "tests/cpu_simd/simd_rig.hpp"

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {
const std::vector<uint8_t> kPxor = {0x66, 0x0f, 0xef, 0xca};       // pxor xmm1,xmm2
const std::vector<uint8_t> kMovdqaLoad = {0x66, 0x0f, 0x6f, 0x08}; // movdqa xmm1,[rax]
const std::vector<uint8_t> kMovdquLoad = {0xf3, 0x0f, 0x6f, 0x08}; // movdqu xmm1,[rax]
} // namespace

TEST_CASE("sse faults: CR0.EM and CR4.OSFXSR=0 raise #UD, CR0.TS raises #NM", "[sse][fault]") {
    const std::vector<std::vector<uint8_t>> insns = {
        kPxor,
        kMovdqaLoad,
        {0x66, 0x0f, 0x7e, 0xc1} /* movd ecx,xmm0 */,
        {0x66, 0x0f, 0xd7, 0xc1} /* pmovmskb eax,xmm1 */,
        {0x0f, 0xae, 0x10} /* ldmxcsr */,
        {0x66, 0x0f, 0x73, 0xf9, 0x04} /* pslldq xmm1,4 */};
    for (const auto& code : insns) {
        INFO("first byte " << int(code[0]) << " length " << code.size());
        {
            SimdRig r;
            r.reg(RAX) = CpuFixture::kData;
            r.s().cr0 |= cr0::EM;
            CHECK(r.exec(code) == UD);
        }
        {
            SimdRig r;
            r.reg(RAX) = CpuFixture::kData;
            r.s().cr4 &= ~cr4::OSFXSR;
            CHECK(r.exec(code) == UD);
        }
        {
            SimdRig r;
            r.reg(RAX) = CpuFixture::kData;
            r.s().cr0 |= cr0::TS;
            CHECK(r.exec(code) == NM);
            CHECK(r.pushed_rip(false) == CpuFixture::kCode);
        }
        {
            SimdRig r; // #UD has priority over #NM
            r.reg(RAX) = CpuFixture::kData;
            r.s().cr0 |= cr0::TS | cr0::EM;
            CHECK(r.exec(code) == UD);
        }
    }
}

TEST_CASE("sse faults: #NM comes before a memory fault and leaves the state unchanged",
          "[sse][fault]") {
    SimdRig r;
    r.reg(RAX) = 0x8000000000000000ull; // non-canonical: would be #GP without TS
    r.set_x(1, 1, 2);
    r.s().cr0 |= cr0::TS;
    CHECK(r.exec(kMovdqaLoad) == NM);
    CHECK(same(r.x(1), 1, 2));
}

TEST_CASE("sse faults: aligned forms need 16-byte alignment, unaligned and m64 forms do not",
          "[sse][fault]") {
    struct Case {
        std::vector<uint8_t> code;
        bool aligned;
        const char* name;
    };
    const Case cases[] = {
        {kMovdqaLoad, true, "movdqa xmm1,[rax]"},
        {{0x66, 0x0f, 0x7f, 0x08}, true, "movdqa [rax],xmm1"},
        {{0x0f, 0x28, 0x08}, true, "movaps xmm1,[rax]"},
        {{0x0f, 0x29, 0x08}, true, "movaps [rax],xmm1"},
        {{0x66, 0x0f, 0xe7, 0x08}, true, "movntdq [rax],xmm1"},
        {{0x66, 0x0f, 0xfc, 0x08}, true, "paddb xmm1,[rax]"},
        {{0x66, 0x0f, 0x60, 0x08}, true, "punpcklbw xmm1,[rax]"},
        {{0x66, 0x0f, 0x70, 0x08, 0x1b}, true, "pshufd xmm1,[rax],0x1b"},
        {{0x66, 0x0f, 0xef, 0x08}, true, "pxor xmm1,[rax]"},
        {kMovdquLoad, false, "movdqu xmm1,[rax]"},
        {{0x0f, 0x10, 0x08}, false, "movups xmm1,[rax]"},
        {{0xf3, 0x0f, 0x7e, 0x08}, false, "movq xmm1,[rax]"},
        {{0xf2, 0x0f, 0x10, 0x08}, false, "movsd xmm1,[rax]"},
        {{0x0f, 0x16, 0x08}, false, "movhps xmm1,[rax]"},
        {{0x66, 0x0f, 0x6e, 0x08}, false, "movd xmm1,[rax]"},
    };
    for (const auto& c : cases) {
        for (uint64_t misalign : {1u, 4u, 8u, 15u}) {
            INFO(c.name << " at +" << misalign);
            SimdRig r;
            r.reg(RAX) = CpuFixture::kData + misalign;
            r.set_x(1, 0x55, 0x66);
            const int v = r.exec(c.code);
            if (c.aligned) {
                REQUIRE(v == GP);
                CHECK(r.pushed_error_code() == 0);
                CHECK(same(r.x(1), 0x55, 0x66));
                CHECK(r.peek_val<uint64_t>(CpuFixture::kData + 8) == 0);
            } else {
                CHECK(v == kRetired);
            }
        }
    }
}

TEST_CASE("sse faults: non-canonical addresses give #GP(0), or #SS(0) through RSP/RBP",
          "[sse][fault]") {
    SimdRig r;
    r.reg(RAX) = 0x0000800000000000ull;
    CHECK(r.exec(kMovdquLoad) == GP);
    CHECK(r.pushed_error_code() == 0);
    SimdRig r2;
    r2.reg(RBP) = 0x0000800000000008ull; // misaligned too: the segment check comes first
    CHECK(r2.exec({0x66, 0x0f, 0x6f, 0x4d, 0x00}) == SS_); // movdqa xmm1,[rbp]
    CHECK(r2.pushed_error_code() == 0);
}

TEST_CASE("sse faults: SS limit violation in 32-bit protected mode is #SS(0)", "[sse][fault]") {
    SimdRig r(TestMode::Protected32);
    r.s().seg[SS].limit = 0x1FFFFF;
    r.reg(RSP) = 0x1FFFF8; // 16 bytes from here cross the limit
    CHECK(r.exec({0x66, 0x0f, 0x6f, 0x0c, 0x24}) == SS_);
    SimdRig r2(TestMode::Protected32);
    r2.s().seg[DS].limit = 0x300007;
    r2.reg(RAX) = 0x300000;
    CHECK(r2.exec(kMovdqaLoad) == GP);
    r2.s().seg[DS].limit = 0xFFFFFFFF;
    r2.set_x(2, 7, 9);
    CHECK(r2.exec(kPxor) == kRetired);
    CHECK(same(r2.x(1), 7, 9));
}

TEST_CASE("sse faults: page faults report CR2 and leave registers and memory unchanged",
          "[sse][fault]") {
    SimdRig r;
    const uint64_t unmapped = 0x40000000; // the fixture maps the first 1 GiB
    r.reg(RAX) = unmapped;
    r.set_x(1, 3, 4);
    REQUIRE(r.exec(kMovdqaLoad) == PF);
    CHECK(r.s().cr2 == unmapped);
    CHECK(same(r.x(1), 3, 4));
    // A store that starts in a mapped page and ends in an unmapped one writes nothing.
    SimdRig w;
    w.unmap_2m_page();
    const uint64_t at = SimdRig::kUnmapped - 8;
    w.poke_x(at, 0x1234, 0);
    w.reg(RAX) = at;
    w.set_x(1, 0x1111, 0x2222);
    REQUIRE(w.exec({0xf3, 0x0f, 0x7f, 0x08}) == PF); // movdqu [rax],xmm1
    CHECK(w.s().cr2 == SimdRig::kUnmapped);
    CHECK(w.pushed_error_code() == 0x2); // write, not present, supervisor
    CHECK(w.peek_val<uint64_t>(at) == 0x1234);
    // And a load across the boundary leaves the register unchanged.
    REQUIRE(w.exec({0xf3, 0x0f, 0x6f, 0x08}) == PF); // movdqu xmm1,[rax]
    CHECK(w.pushed_error_code() == 0x0);
    CHECK(same(w.x(1), 0x1111, 0x2222));
}

TEST_CASE("sse faults: LOCK, the MMX forms and VEX-encoded SSE are #UD", "[sse][fault]") {
    SimdRig r;
    CHECK(r.exec({0xf0, 0x66, 0x0f, 0xef, 0xca}) == UD); // lock pxor
    CHECK(r.exec({0x0f, 0xef, 0xca}) == UD);             // pxor mm1,mm2: no MMX
    CHECK(r.exec({0xc5, 0xf1, 0xef, 0xca}) == UD);       // vpxor: no AVX
    CHECK(r.exec({0xf3, 0x0f, 0x28, 0xca}) == UD);       // F3 0F 28 is undefined
    CHECK(r.exec({0x66, 0x0f, 0x71, 0xc1, 0x02}) == UD); // 66 0F 71 /0 is undefined
    CHECK(r.exec({0x66, 0x0f, 0x71, 0x11, 0x02}) == UD); // shift-by-immediate has no memory form
}

TEST_CASE("sse faults: fences, CLFLUSH and PREFETCH ignore CR0.EM/TS and CR4.OSFXSR",
          "[sse][fault]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.s().cr0 |= cr0::EM | cr0::TS;
    r.s().cr4 &= ~cr4::OSFXSR;
    CHECK(r.exec({0x0f, 0xae, 0xe8}) == kRetired); // lfence
    CHECK(r.exec({0x0f, 0xae, 0xf0}) == kRetired); // mfence
    CHECK(r.exec({0x0f, 0xae, 0xf8}) == kRetired); // sfence
    CHECK(r.exec({0x0f, 0xae, 0x38}) == kRetired); // clflush [rax]
    CHECK(r.exec({0x0f, 0x18, 0x08}) == kRetired); // prefetcht0 [rax]
    CHECK(r.exec({0xf0, 0x0f, 0xae, 0xe8}) == UD); // lock lfence
}

TEST_CASE("sse faults: CLFLUSH checks its address like a byte read", "[sse][fault]") {
    SimdRig r;
    r.reg(RAX) = 0x40000010;
    CHECK(r.exec({0x0f, 0xae, 0x38}) == PF);
    CHECK(r.s().cr2 == 0x40000010);
    CHECK((r.pushed_error_code() & 2) == 0); // a read
    SimdRig r2;
    r2.reg(RAX) = 0xFFFF000000000000ull;
    CHECK(r2.exec({0x0f, 0xae, 0x38}) == GP);
    SimdRig r3; // the prefetch hints never fault
    r3.reg(RAX) = 0xFFFF000000000000ull;
    CHECK(r3.exec({0x0f, 0x18, 0x08}) == kRetired);
}

TEST_CASE("sse faults: LDMXCSR rejects reserved bits with #GP(0); STMXCSR stores MXCSR",
          "[sse][mxcsr]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    CHECK(r.s().fpu.mxcsr == 0x1F80);
    r.poke_val<uint32_t>(CpuFixture::kData, 0xFFFF); // every supported bit, DAZ included
    REQUIRE(r.exec({0x0f, 0xae, 0x10}) == kRetired);
    CHECK(r.s().fpu.mxcsr == 0xFFFF);
    r.poke_val<uint32_t>(CpuFixture::kData, 0x10000);
    REQUIRE(r.exec({0x0f, 0xae, 0x10}) == GP);
    CHECK(r.pushed_error_code() == 0);
    CHECK(r.s().fpu.mxcsr == 0xFFFF);
    r.poke_val<uint32_t>(CpuFixture::kData, 0x80001F80u);
    CHECK(r.exec({0x0f, 0xae, 0x10}) == GP);
    r.s().fpu.mxcsr = 0x1FA0;
    r.poke_val<uint64_t>(CpuFixture::kData, ~uint64_t{0});
    REQUIRE(r.exec({0x0f, 0xae, 0x18}) == kRetired); // stmxcsr [rax]
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == 0xFFFFFFFF00001FA0ull);
}
