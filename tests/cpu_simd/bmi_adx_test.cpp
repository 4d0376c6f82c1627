// BMI1, BMI2 and ADX: directed edge cases with exact flags, the VEX rules (VEX.L=1 and a
// non-1111b VEX.vvvv for RORX are #UD; VEX.W is ignored outside 64-bit mode), memory operands,
// and comparisons on edge-heavy random operands (fixed, printed seeds) for every architecturally
// defined flag: with Unicorn (Skylake CPU model) for the forms Unicorn 2.0.1 gets right, and with
// the host CPU itself, when it has BMI1/BMI2, for BEXTR, BLSI, BZHI, PDEP and PEXT, where
// Unicorn 2.0.1 (QEMU 5) is wrong: BLSI's CF, 32-bit BEXTR on a dirty upper half, BZHI with an
// index >= the operand size, and PDEP/PEXT with source and mask swapped.
#include "tests/cpu_simd/simd_rig.hpp"
#include "tests/cpu_simd/unicorn_ref.hpp"

#include <cstdio>
#include <random>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

constexpr uint64_t kCF = rflags::CF, kPF = rflags::PF, kAF = rflags::AF, kZF = rflags::ZF,
                   kSF = rflags::SF, kOF = rflags::OF;

uint64_t arith(SimdRig& r) {
    return r.s().rflags & rflags::kArith;
}

} // namespace

TEST_CASE("bmi: ANDN and BEXTR", "[bmi]") {
    SimdRig r;
    r.reg(RBX) = 0xF0F0F0F0F0F0F0F0ull;
    r.reg(RCX) = 0xFFFF0000FFFF0000ull;
    REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf2, 0xc1}) == kRetired); // andn rax,rbx,rcx
    CHECK(r.reg(RAX) == 0x0F0F00000F0F0000ull);
    CHECK(arith(r) == kPF); // kSF=kZF=kCF=kOF=0; kPF from the low byte (0)
    r.reg(RBX) = ~uint64_t{0};
    REQUIRE(r.exec({0xc4, 0xe2, 0x60, 0xf2, 0xc1}) == kRetired); // andn eax,ebx,ecx
    CHECK(r.reg(RAX) == 0);
    CHECK(arith(r) == (kZF | kPF));

    r.reg(RCX) = 0x8765432112345678ull;
    r.reg(RBX) = 0x0804;                                         // start 4, length 8
    REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf7, 0xc1}) == kRetired); // bextr rax,rcx,rbx
    CHECK(r.reg(RAX) == 0x67);
    r.reg(RBX) = 0xFF3C; // start 60, length 255: bits 63:60 only
    REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf7, 0xc1}) == kRetired);
    CHECK(r.reg(RAX) == 0x8);
    r.reg(RBX) = 0x1020; // 32-bit: start 32 is past the operand
    r.s().rflags |= kCF | kOF;
    REQUIRE(r.exec({0xc4, 0xe2, 0x60, 0xf7, 0xc1}) == kRetired); // bextr eax,ecx,ebx
    CHECK(r.reg(RAX) == 0);
    CHECK((arith(r) & (kZF | kCF | kOF)) == kZF);
    r.reg(RBX) = 0x0010; // length 0
    REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf7, 0xc1}) == kRetired);
    CHECK(r.reg(RAX) == 0);
}

TEST_CASE("bmi: BLSI, BLSMSK, BLSR flags for zero and non-zero sources", "[bmi]") {
    SimdRig r;
    r.reg(RCX) = 0x00F0;
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xd9}) == kRetired); // blsi rax,rcx
    CHECK(r.reg(RAX) == 0x10);
    CHECK(arith(r) == kCF);
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xd1}) == kRetired); // blsmsk rax,rcx
    CHECK(r.reg(RAX) == 0x1F);
    CHECK(arith(r) == 0);
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xc9}) == kRetired); // blsr rax,rcx
    CHECK(r.reg(RAX) == 0xE0);
    CHECK(arith(r) == 0);
    r.reg(RCX) = 0;
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xd9}) == kRetired); // blsi: zero source
    CHECK(r.reg(RAX) == 0);
    CHECK(arith(r) == kZF);
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xd1}) == kRetired); // blsmsk: all ones
    CHECK(r.reg(RAX) == ~uint64_t{0});
    CHECK(arith(r) == (kSF | kCF));
    REQUIRE(r.exec({0xc4, 0xe2, 0x78, 0xf3, 0xd1}) == kRetired); // blsmsk eax,ecx
    CHECK(r.reg(RAX) == 0xFFFFFFFFull);
    CHECK(arith(r) == (kSF | kCF));
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xc9}) == kRetired); // blsr: zero source
    CHECK(r.reg(RAX) == 0);
    CHECK(arith(r) == (kZF | kCF));
    r.reg(RCX) = 0x8000000000000000ull;
    REQUIRE(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xd9}) == kRetired);
    CHECK(arith(r) == (kSF | kCF));
    // Memory source: blsr r12,[rax]
    r.reg(RAX) = CpuFixture::kData;
    r.poke_val<uint64_t>(CpuFixture::kData, 0x6);
    REQUIRE(r.exec({0xc4, 0xe2, 0x98, 0xf3, 0x08}) == kRetired);
    CHECK(r.reg(R12) == 0x4);
}

TEST_CASE("bmi: BZHI index limits and kCF", "[bmi]") {
    SimdRig r;
    r.reg(RCX) = ~uint64_t{0};
    const struct {
        uint64_t index, want;
        bool cf;
    } cases[] = {{0, 0, false},
                 {1, 1, false},
                 {63, 0x7FFFFFFFFFFFFFFFull, false},
                 {64, ~uint64_t{0}, true},
                 {0x100, 0, false} /* only bits 7:0 count */,
                 {255, ~uint64_t{0}, true}};
    for (const auto& c : cases) {
        INFO("index " << c.index);
        r.reg(RBX) = c.index;
        REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf5, 0xc1}) == kRetired); // bzhi rax,rcx,rbx
        CHECK(r.reg(RAX) == c.want);
        CHECK(bool(r.s().rflags & kCF) == c.cf);
        CHECK(bool(r.s().rflags & kZF) == (c.want == 0));
    }
    r.reg(RBX) = 32;
    REQUIRE(r.exec({0xc4, 0xe2, 0x60, 0xf5, 0xc1}) == kRetired); // bzhi eax,ecx,ebx
    CHECK(r.reg(RAX) == 0xFFFFFFFFull);
    CHECK((r.s().rflags & (kCF | kSF)) == (kCF | kSF));
}

TEST_CASE("bmi: MULX, PDEP, PEXT, RORX, SARX/SHLX/SHRX leave the flags alone", "[bmi]") {
    SimdRig r;
    const uint64_t flags = rflags::kFixed1 | kCF | kZF | kOF | kPF | kAF | kSF;
    r.s().rflags = flags;
    r.reg(RDX) = ~uint64_t{0};
    r.reg(RCX) = ~uint64_t{0};
    REQUIRE(r.exec({0xc4, 0xe2, 0xe3, 0xf6, 0xc1}) == kRetired); // mulx rax,rbx,rcx
    CHECK(r.reg(RAX) == 0xFFFFFFFFFFFFFFFEull);
    CHECK(r.reg(RBX) == 1);
    REQUIRE(r.exec({0xc4, 0xe2, 0x63, 0xf6, 0xc1}) == kRetired); // mulx eax,ebx,ecx
    CHECK(r.reg(RAX) == 0xFFFFFFFEull);
    CHECK(r.reg(RBX) == 1);
    REQUIRE(r.exec({0xc4, 0xe2, 0xfb, 0xf6, 0xc1}) == kRetired); // mulx rax,rax,rcx: high wins
    CHECK(r.reg(RAX) == 0xFFFFFFFFFFFFFFFEull);

    r.reg(RBX) = 0x5;                                            // source bits 1,0,1
    r.reg(RCX) = 0x8000000000010010ull;                          // mask
    REQUIRE(r.exec({0xc4, 0xe2, 0xe3, 0xf5, 0xc1}) == kRetired); // pdep rax,rbx,rcx
    CHECK(r.reg(RAX) == 0x8000000000000010ull);
    r.reg(RBX) = 0x8000000000010000ull;
    REQUIRE(r.exec({0xc4, 0xe2, 0xe2, 0xf5, 0xc1}) == kRetired); // pext rax,rbx,rcx
    CHECK(r.reg(RAX) == 0x6);

    r.reg(RCX) = 0x0000000000002001ull;
    REQUIRE(r.exec({0xc4, 0xe3, 0xfb, 0xf0, 0xc1, 0x0d}) == kRetired); // rorx rax,rcx,13
    CHECK(r.reg(RAX) == 0x0008000000000001ull);
    REQUIRE(r.exec({0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x0d}) == kRetired); // rorx eax,ecx,13
    CHECK(r.reg(RAX) == 0x00080001ull);

    r.reg(RCX) = 0x8000000000000100ull;
    r.reg(RBX) = 0x44; // count 68 -> 4 (64-bit) / 4 (32-bit)
    REQUIRE(r.exec({0xc4, 0xe2, 0xe2, 0xf7, 0xc1}) == kRetired); // sarx rax,rcx,rbx
    CHECK(r.reg(RAX) == 0xF800000000000010ull);
    REQUIRE(r.exec({0xc4, 0xe2, 0xe1, 0xf7, 0xc1}) == kRetired); // shlx rax,rcx,rbx
    CHECK(r.reg(RAX) == 0x1000ull);
    REQUIRE(r.exec({0xc4, 0xe2, 0xe3, 0xf7, 0xc1}) == kRetired); // shrx rax,rcx,rbx
    CHECK(r.reg(RAX) == 0x0800000000000010ull);
    r.reg(RCX) = 0x80000000u;
    REQUIRE(r.exec({0xc4, 0xe2, 0x62, 0xf7, 0xc1}) == kRetired); // sarx eax,ecx,ebx
    CHECK(r.reg(RAX) == 0xF8000000ull);
    CHECK(r.s().rflags == flags);
}

TEST_CASE("bmi: VEX.L=1, RORX with VEX.vvvv != 1111b, and a VEX prefix after 66 are #UD", "[bmi]") {
    SimdRig r;
    CHECK(r.exec({0xc4, 0xe2, 0xe4, 0xf2, 0xc1}) == UD);       // andn with VEX.L=1
    CHECK(r.exec({0xc4, 0xe3, 0xf3, 0xf0, 0xc1, 0x0d}) == UD); // rorx with vvvv=1110b
    CHECK(r.exec({0x66, 0xc4, 0xe2, 0xe0, 0xf2, 0xc1}) == UD); // 66 before VEX
    CHECK(r.exec({0xc4, 0xe2, 0xf8, 0xf3, 0xe1}) == UD);       // VEX 0F38 F3 /4 does not exist
}

TEST_CASE("bmi: in 32-bit mode VEX.W is ignored and operands are 32 bits", "[bmi]") {
    SimdRig r(TestMode::Protected32);
    r.reg(RBX) = 0xF0F0F0F0;
    r.reg(RCX) = 0xFFFF0000;
    REQUIRE(r.exec({0xc4, 0xe2, 0xe0, 0xf2, 0xc1}) == kRetired); // andn (W1) eax,ebx,ecx
    CHECK(r.reg(RAX) == 0x0F0F0000);
    r.reg(RDX) = 0xFFFFFFFF;
    r.reg(RCX) = 0xFFFFFFFF;
    REQUIRE(r.exec({0xc4, 0xe2, 0xe3, 0xf6, 0xc1}) == kRetired); // mulx (W1)
    CHECK(r.reg(RAX) == 0xFFFFFFFE);
    CHECK(r.reg(RBX) == 1);
}

TEST_CASE("adx: ADCX and ADOX chain through kCF and kOF only", "[adx]") {
    SimdRig r;
    r.s().rflags = rflags::kFixed1 | kCF | kZF | kSF;
    r.reg(RAX) = ~uint64_t{0};
    r.reg(RCX) = 0;
    REQUIRE(r.exec({0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc1}) == kRetired); // adcx rax,rcx
    CHECK(r.reg(RAX) == 0);
    CHECK((r.s().rflags & rflags::kArith) == (kCF | kZF | kSF)); // kCF out = 1, the rest untouched
    r.s().rflags = rflags::kFixed1 | kOF | kPF;
    r.reg(RAX) = 0xFFFFFFFF;
    r.reg(RCX) = 0x1;
    REQUIRE(r.exec({0xf3, 0x0f, 0x38, 0xf6, 0xc1}) == kRetired); // adox eax,ecx
    CHECK(r.reg(RAX) == 1);
    CHECK((r.s().rflags & rflags::kArith) == (kOF | kPF));
    r.reg(RAX) = 5;
    r.reg(RCX) = 6;
    REQUIRE(r.exec({0xf3, 0x48, 0x0f, 0x38, 0xf6, 0xc1}) == kRetired); // adox rax,rcx (kOF=1 in)
    CHECK(r.reg(RAX) == 12);
    CHECK((r.s().rflags & rflags::kArith) == kPF);
}

namespace {

struct BmiCase {
    std::vector<uint8_t> code;
    const char* name;
    uint64_t defined_flags;
};

constexpr uint64_t kAllArith = rflags::kArith;

const BmiCase kBmiCases[] = {
    {{0xc4, 0xe2, 0xe0, 0xf2, 0xc1}, "andn rax,rbx,rcx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0x60, 0xf2, 0xc1}, "andn eax,ebx,ecx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0xf8, 0xf3, 0xd1}, "blsmsk rax,rcx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0x78, 0xf3, 0xd1}, "blsmsk eax,ecx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0xf8, 0xf3, 0xc9}, "blsr rax,rcx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0x78, 0xf3, 0xc9}, "blsr eax,ecx", kSF | kZF | kCF | kOF},
    {{0xc4, 0xe2, 0xe3, 0xf6, 0xc1}, "mulx rax,rbx,rcx", kAllArith},
    {{0xc4, 0xe2, 0x63, 0xf6, 0xc1}, "mulx eax,ebx,ecx", kAllArith},
    {{0xc4, 0xe3, 0xfb, 0xf0, 0xc1, 0x0d}, "rorx rax,rcx,13", kAllArith},
    {{0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x2d}, "rorx eax,ecx,45", kAllArith},
    {{0xc4, 0xe3, 0xfb, 0xf0, 0xc1, 0x00}, "rorx rax,rcx,0", kAllArith},
    {{0xc4, 0xe2, 0xe2, 0xf7, 0xc1}, "sarx rax,rcx,rbx", kAllArith},
    {{0xc4, 0xe2, 0x62, 0xf7, 0xc1}, "sarx eax,ecx,ebx", kAllArith},
    {{0xc4, 0xe2, 0xe1, 0xf7, 0xc1}, "shlx rax,rcx,rbx", kAllArith},
    {{0xc4, 0xe2, 0x61, 0xf7, 0xc1}, "shlx eax,ecx,ebx", kAllArith},
    {{0xc4, 0xe2, 0xe3, 0xf7, 0xc1}, "shrx rax,rcx,rbx", kAllArith},
    {{0xc4, 0xe2, 0x63, 0xf7, 0xc1}, "shrx eax,ecx,ebx", kAllArith},
    {{0xc4, 0x42, 0xa8, 0xf2, 0xcb}, "andn r9,r10,r11", kSF | kZF | kCF | kOF},
    {{0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc1}, "adcx rax,rcx", kAllArith},
    {{0x66, 0x0f, 0x38, 0xf6, 0xc1}, "adcx eax,ecx", kAllArith},
    {{0xf3, 0x48, 0x0f, 0x38, 0xf6, 0xc1}, "adox rax,rcx", kAllArith},
    {{0xf3, 0x0f, 0x38, 0xf6, 0xc1}, "adox eax,ecx", kAllArith},
};

// Values where the bit operations change behaviour: 0, all ones, single bits, sign bits, small
// counts and BEXTR controls with start/length around the operand width.
uint64_t bmi_value(std::mt19937_64& g) {
    switch (g() % 8) {
    case 0: return 0;
    case 1: return ~uint64_t{0};
    case 2: return uint64_t{1} << (g() % 64);
    case 3: return 0x80000000ull << (g() % 2 * 32);
    case 4: return g() % 70;
    case 5: return (g() % 72) | ((g() % 72) << 8);
    case 6: return g() & 0xFFFFFFFF;
    default: return g();
    }
}

} // namespace

TEST_CASE("bmi vs unicorn: every form, defined flags", "[bmi][adx][unicorn]") {
    constexpr uint64_t kSeed = 0xB111'2ADC;
    std::printf("bmi vs unicorn: seed %#llx\n", static_cast<unsigned long long>(kSeed));
    std::mt19937_64 g(kSeed);
    UnicornRef uc(UC_CPU_X86_SKYLAKE_CLIENT);
    for (const BmiCase& c : kBmiCases) {
        for (unsigned round = 0; round < 200; ++round) {
            SimdRig r;
            for (unsigned i = 0; i < 16; ++i)
                if (i != RSP) r.reg(static_cast<Gpr>(i)) = bmi_value(g);
            r.s().rflags = rflags::kFixed1 | (g() & rflags::kArith);
            CpuState in = r.s();
            const CpuState want = uc.run(c.code, in);
            INFO(c.name << " round " << round << " seed " << kSeed << " rcx " << in.gpr[RCX]
                        << " rbx " << in.gpr[RBX]);
            REQUIRE(r.exec(c.code) == kRetired);
            for (unsigned i = 0; i < 16; ++i) {
                if (i == RSP) continue;
                INFO("gpr " << i);
                CHECK(r.s().gpr[i] == want.gpr[i]);
            }
            CHECK((r.s().rflags & c.defined_flags) == (want.rflags & c.defined_flags));
        }
    }
}

namespace {

struct HostOut {
    uint64_t value, rflags;
};

// The host instruction with Intel operands (dst, a, b); AT&T lists them reversed.
#define HVLAB_HOST3(fn, insn, T)                                                                   \
    HostOut fn(uint64_t a, uint64_t b) {                                                           \
        T r;                                                                                       \
        uint64_t f;                                                                                \
        asm volatile(insn " %3, %2, %0\n\tpushfq\n\tpopq %1"                                       \
                     : "=&r"(r), "=&r"(f)                                                          \
                     : "r"(static_cast<T>(a)), "r"(static_cast<T>(b))                              \
                     : "cc");                                                                      \
        return {r, f};                                                                             \
    }
#define HVLAB_HOST2(fn, insn, T)                                                                   \
    HostOut fn(uint64_t a, uint64_t) {                                                             \
        T r;                                                                                       \
        uint64_t f;                                                                                \
        asm volatile(insn " %2, %0\n\tpushfq\n\tpopq %1"                                           \
                     : "=&r"(r), "=&r"(f)                                                          \
                     : "r"(static_cast<T>(a))                                                      \
                     : "cc");                                                                      \
        return {r, f};                                                                             \
    }
HVLAB_HOST3(host_bextr64, "bextr", uint64_t)
HVLAB_HOST3(host_bextr32, "bextr", uint32_t)
HVLAB_HOST3(host_bzhi64, "bzhi", uint64_t)
HVLAB_HOST3(host_bzhi32, "bzhi", uint32_t)
HVLAB_HOST3(host_pdep64, "pdep", uint64_t)
HVLAB_HOST3(host_pdep32, "pdep", uint32_t)
HVLAB_HOST3(host_pext64, "pext", uint64_t)
HVLAB_HOST3(host_pext32, "pext", uint32_t)
HVLAB_HOST2(host_blsi64, "blsi", uint64_t)
HVLAB_HOST2(host_blsi32, "blsi", uint32_t)
#undef HVLAB_HOST3
#undef HVLAB_HOST2

struct HostCase {
    std::vector<uint8_t> code; // dst = rax, a and b as named
    const char* name;
    Gpr a, b;
    HostOut (*host)(uint64_t, uint64_t);
    uint64_t defined_flags;
};

} // namespace

TEST_CASE("bmi vs host CPU: BEXTR, BLSI, BZHI, PDEP, PEXT", "[bmi][host]") {
    if (!__builtin_cpu_supports("bmi") || !__builtin_cpu_supports("bmi2")) {
        WARN("host CPU lacks BMI1/BMI2: comparison skipped");
        return;
    }
    const HostCase cases[] = {
        {{0xc4, 0xe2, 0xe0, 0xf7, 0xc1},
         "bextr rax,rcx,rbx",
         RCX,
         RBX,
         host_bextr64,
         kZF | kCF | kOF},
        {{0xc4, 0xe2, 0x60, 0xf7, 0xc1},
         "bextr eax,ecx,ebx",
         RCX,
         RBX,
         host_bextr32,
         kZF | kCF | kOF},
        {{0xc4, 0xe2, 0xe0, 0xf5, 0xc1},
         "bzhi rax,rcx,rbx",
         RCX,
         RBX,
         host_bzhi64,
         kSF | kZF | kCF | kOF},
        {{0xc4, 0xe2, 0x60, 0xf5, 0xc1},
         "bzhi eax,ecx,ebx",
         RCX,
         RBX,
         host_bzhi32,
         kSF | kZF | kCF | kOF},
        {{0xc4, 0xe2, 0xe3, 0xf5, 0xc1}, "pdep rax,rbx,rcx", RBX, RCX, host_pdep64, 0},
        {{0xc4, 0xe2, 0x63, 0xf5, 0xc1}, "pdep eax,ebx,ecx", RBX, RCX, host_pdep32, 0},
        {{0xc4, 0xe2, 0xe2, 0xf5, 0xc1}, "pext rax,rbx,rcx", RBX, RCX, host_pext64, 0},
        {{0xc4, 0xe2, 0x62, 0xf5, 0xc1}, "pext eax,ebx,ecx", RBX, RCX, host_pext32, 0},
        {{0xc4, 0xe2, 0xf8, 0xf3, 0xd9},
         "blsi rax,rcx",
         RCX,
         RCX,
         host_blsi64,
         kSF | kZF | kCF | kOF},
        {{0xc4, 0xe2, 0x78, 0xf3, 0xd9},
         "blsi eax,ecx",
         RCX,
         RCX,
         host_blsi32,
         kSF | kZF | kCF | kOF},
    };
    constexpr uint64_t kSeed = 0x4057'B312;
    std::printf("bmi vs host: seed %#llx\n", static_cast<unsigned long long>(kSeed));
    std::mt19937_64 g(kSeed);
    for (const HostCase& c : cases) {
        for (unsigned round = 0; round < 300; ++round) {
            SimdRig r;
            const uint64_t a = bmi_value(g), b = bmi_value(g);
            r.reg(c.a) = a;
            if (c.b != c.a) r.reg(c.b) = b;
            r.s().rflags = rflags::kFixed1 | (g() & rflags::kArith);
            const HostOut want = c.host(a, b);
            INFO(c.name << " round " << round << " seed " << kSeed << " a " << a << " b " << b);
            REQUIRE(r.exec(c.code) == kRetired);
            CHECK(r.reg(RAX) == want.value);
            CHECK((r.s().rflags & c.defined_flags) == (want.rflags & c.defined_flags));
        }
    }
}
