// RCPPS/RCPSS/RSQRTPS/RSQRTSS: the SDM's special cases exactly, the results within the SDM's
// relative-error bound (1.5 * 2^-12), no MXCSR flags, the upper lanes kept by the scalar forms.
#include "tests/cpu_simd/simd_rig.hpp"

#include <bit>
#include <cmath>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {
const std::vector<uint8_t> kRcpps = {0x0f, 0x53, 0xca};         // rcpps xmm1, xmm2
const std::vector<uint8_t> kRsqrtps = {0x0f, 0x52, 0xca};       // rsqrtps xmm1, xmm2
const std::vector<uint8_t> kRcpss = {0xf3, 0x0f, 0x53, 0xca};   // rcpss xmm1, xmm2
const std::vector<uint8_t> kRsqrtss = {0xf3, 0x0f, 0x52, 0xca}; // rsqrtss xmm1, xmm2

uint32_t flt(float f) { return std::bit_cast<uint32_t>(f); }
uint64_t pair(uint32_t lo, uint32_t hi) { return lo | (uint64_t{hi} << 32); }
uint32_t lane(const Xmm& x, unsigned i) {
    return static_cast<uint32_t>((i < 2 ? x.lo : x.hi) >> (32 * (i & 1)));
}
} // namespace

TEST_CASE("sse approx: RCPPS special cases follow the SDM", "[sse][float]") {
    SimdRig r;
    r.set_x(2, pair(0x00000000u, 0x80000000u), pair(0x7F800000u, 0xFF800000u));
    REQUIRE(r.exec(kRcpps) == kRetired);
    CHECK(lane(r.x(1), 0) == 0x7F800000u); // 1/+0 = +inf
    CHECK(lane(r.x(1), 1) == 0xFF800000u); // 1/-0 = -inf
    CHECK(lane(r.x(1), 2) == 0x00000000u); // 1/+inf = +0
    CHECK(lane(r.x(1), 3) == 0x80000000u); // 1/-inf = -0
    r.set_x(2, pair(0x00000001u, 0x7F800001u), pair(0x7F7FFFFFu, 0xFFC00005u));
    REQUIRE(r.exec(kRcpps) == kRetired);
    CHECK(lane(r.x(1), 0) == 0x7F800000u); // a denormal counts as 0
    CHECK(lane(r.x(1), 1) == 0x7FC00001u); // an SNaN comes back quieted
    CHECK(lane(r.x(1), 2) == 0x00000000u); // tiny results are flushed to 0
    CHECK(lane(r.x(1), 3) == 0xFFC00005u); // a QNaN passes through
    CHECK((r.s().fpu.mxcsr & 0x3F) == 0);  // no exception flags at all
}

TEST_CASE("sse approx: RSQRTPS special cases follow the SDM", "[sse][float]") {
    SimdRig r;
    r.set_x(2, pair(0x00000000u, 0x80000000u), pair(0x7F800000u, flt(-4.0f)));
    REQUIRE(r.exec(kRsqrtps) == kRetired);
    CHECK(lane(r.x(1), 0) == 0x7F800000u); // +0 -> +inf
    CHECK(lane(r.x(1), 1) == 0xFF800000u); // -0 -> -inf
    CHECK(lane(r.x(1), 2) == 0x00000000u); // +inf -> +0
    CHECK(lane(r.x(1), 3) == 0xFFC00000u); // negative -> QNaN indefinite
    CHECK((r.s().fpu.mxcsr & 0x3F) == 0);
}

TEST_CASE("sse approx: results lie within 1.5 * 2^-12 relative error", "[sse][float]") {
    SimdRig r;
    const float inputs[] = {1.0f, 3.0f, 0.1f, 12345.678f, 1e-30f, 7e30f, 2.0f, 0.7f};
    for (float v : inputs) {
        r.set_x(2, pair(flt(v), flt(v)), pair(flt(v), flt(v)));
        REQUIRE(r.exec(kRcpps) == kRetired);
        const double rcp = std::bit_cast<float>(lane(r.x(1), 0));
        CHECK(std::fabs(rcp * v - 1.0) <= 1.5 / 4096);
        REQUIRE(r.exec(kRsqrtps) == kRetired);
        const double rsq = std::bit_cast<float>(lane(r.x(1), 3));
        CHECK(std::fabs(rsq * std::sqrt(double{v}) - 1.0) <= 1.5 / 4096);
    }
}

TEST_CASE("sse approx: RCPSS/RSQRTSS write lane 0 and keep lanes 1-3", "[sse][float]") {
    SimdRig r;
    r.set_x(1, pair(0x11111111u, 0x22222222u), pair(0x33333333u, 0x44444444u));
    r.set_x(2, pair(flt(4.0f), flt(9.0f)), pair(flt(16.0f), flt(25.0f)));
    REQUIRE(r.exec(kRcpss) == kRetired);
    CHECK(lane(r.x(1), 0) == flt(0.25f));
    CHECK(lane(r.x(1), 1) == 0x22222222u);
    CHECK(lane(r.x(1), 3) == 0x44444444u);
    REQUIRE(r.exec(kRsqrtss) == kRetired);
    CHECK(lane(r.x(1), 0) == flt(0.5f));
    CHECK(lane(r.x(1), 2) == 0x33333333u);
}

TEST_CASE("sse convert: CVTPI2PS/CVTPI2PD from memory; their MMX-register forms are #UD",
          "[sse][float]") {
    SimdRig r;
    r.poke_x(SimdRig::kData, pair(static_cast<uint32_t>(-3), 16777217u), 0);
    r.s().gpr[RAX] = SimdRig::kData;
    r.set_x(0, 0x1111111111111111ull, 0x2222222222222222ull);
    REQUIRE(r.exec({0x0f, 0x2a, 0x00}) == kRetired); // cvtpi2ps xmm0, [rax]
    CHECK(lane(r.x(0), 0) == flt(-3.0f));
    CHECK(lane(r.x(0), 1) == flt(16777216.0f));    // 2^24 + 1 rounds to nearest even
    CHECK(r.x(0).hi == 0x2222222222222222ull);     // the high quadword is kept
    CHECK((r.s().fpu.mxcsr & 0x20) == 0x20);       // PE: the conversion was inexact
    REQUIRE(r.exec({0x66, 0x0f, 0x2a, 0x00}) == kRetired); // cvtpi2pd xmm0, [rax]
    CHECK(r.x(0).lo == std::bit_cast<uint64_t>(-3.0));
    CHECK(r.x(0).hi == std::bit_cast<uint64_t>(16777217.0));
    CHECK(r.exec({0x0f, 0x2a, 0xc1}) == UD); // cvtpi2ps xmm0, mm1: MMX is not advertised
}
