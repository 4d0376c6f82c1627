// Audit of hvlab's SSE/SSE2, MXCSR, FXSAVE/FXRSTOR and x87 control state against the Intel SDM,
// Dec 2023 (Order 325462-081). One TEST_CASE per SDM rule, named after the rule. The cases in
// the first part failed on the tree they were written against (the comment says what hvlab did)
// and pass once hvlab follows the SDM; the cases under "Coverage" checked rules hvlab already
// followed and that no other test covered. Where the SDM leaves a detail to the implementation
// the expected values were checked on an Intel processor.
#include "../cpu_simd/fp_register_forms.hpp"
#include "../cpu_simd/host_sse_page.hpp"
#include "hex_bytes.hpp"
#include "sse_rig.hpp"

#include <cpuid.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::test::sse_audit;

namespace {

const std::vector<uint8_t> kAddps = {0x0f, 0x58, 0xca};          // addps xmm1, xmm2
const std::vector<uint8_t> kAddsd = {0xf2, 0x0f, 0x58, 0xca};    // addsd xmm1, xmm2
const std::vector<uint8_t> kMulsd = {0xf2, 0x0f, 0x59, 0xca};    // mulsd xmm1, xmm2
const std::vector<uint8_t> kDivpd = {0x66, 0x0f, 0x5e, 0xca};    // divpd xmm1, xmm2
const std::vector<uint8_t> kSqrtsd = {0xf2, 0x0f, 0x51, 0xca};   // sqrtsd xmm1, xmm2
const std::vector<uint8_t> kCvtsd2ss = {0xf2, 0x0f, 0x5a, 0xca}; // cvtsd2ss xmm1, xmm2
const std::vector<uint8_t> kCvtpd2ps = {0x66, 0x0f, 0x5a, 0xca}; // cvtpd2ps xmm1, xmm2

constexpr uint64_t kDblMax = 0x7FEFFFFFFFFFFFFFull;
constexpr uint64_t kOldLo = 0x1111111111111111ull, kOldHi = 0x2222222222222222ull; // 1.1e-226

// Runs `code` with xmm1 = {a, kOldHi}, xmm2 = {b0, b1} and MXCSR = mxcsr; expects #XM with the
// destination unchanged and returns the MXCSR exception flags.
uint32_t xm_flags(const std::vector<uint8_t>& code, uint64_t a, uint64_t b0, uint64_t b1,
                  uint32_t mxcsr) {
    SseRig r;
    r.set_x(1, a, kOldHi);
    r.set_x(2, b0, b1);
    r.s().fpu.mxcsr = mxcsr;
    REQUIRE(r.exec(code) == XM);
    CHECK(same(r.x(1), a, kOldHi));
    return r.mxcsr_flags();
}

} // namespace

// SDM Vol. 1, "SSE, SSE2, and SSE3 Exceptions": IE, ZE and DE are pre-computation exceptions;
// with one of them unmasked the processor raises #XM before computing, and "checks for
// post-computation exceptions" (OE, UE, PE) only "upon returning from the exception handler (or
// if no pre-computation exceptions were detected)". Before the fix hvlab computed every lane and
// recorded their PE/OE/UE too (ADDPS with an SNaN in lane 0 and an inexact lane 1 set IE|PE).
TEST_CASE("SIMD FP: an unmasked pre-computation exception records no post-computation flag") {
    // ADDPS: lane 0 SNaN + 1 (IE, unmasked), lane 1 1 + 1e-10 (inexact, PE masked).
    const uint64_t a = (uint64_t{flt(1.0f)} << 32) | 0x7F800001u;
    const uint64_t b = (uint64_t{flt(1e-10f)} << 32) | flt(1.0f);
    {
        SseRig r;
        r.set_x(1, a, 0);
        r.set_x(2, b, 0);
        r.s().fpu.mxcsr = unmask(kIE);
        REQUIRE(r.exec(kAddps) == XM);
        CHECK(same(r.x(1), a, 0));
        CHECK(r.mxcsr_flags() == kIE);
    }
    // SQRTSD of a denormal with DM unmasked: DE only, not the PE of the inexact root.
    CHECK(xm_flags(kSqrtsd, kOldLo, 3, 0, unmask(kDE)) == kDE);
    // DIVPD: lane 0 1/0 (ZE, unmasked), lane 1 1/3 (inexact): ZE only.
    SseRig r;
    r.set_x(1, dbl(1.0), dbl(1.0));
    r.set_x(2, 0, dbl(3.0));
    r.s().fpu.mxcsr = unmask(kZE);
    REQUIRE(r.exec(kDivpd) == XM);
    CHECK(r.mxcsr_flags() == kZE);
    // The same instruction with only PE unmasked: both flags (ZE masked, PE unmasked).
    r.set_x(1, dbl(1.0), dbl(1.0));
    r.s().fpu.mxcsr = unmask(kPE);
    REQUIRE(r.exec(kDivpd) == XM);
    CHECK(r.mxcsr_flags() == (kZE | kPE));
}

// SDM Vol. 1, "Numeric Overflow Exception (#O)" and "Numeric Underflow Exception (#U)": with the
// exception unmasked the SSE destination is left unchanged and the handler is invoked; the
// result is then the one "rounded with unbounded exponent", and PE is reported only when that
// rounding is inexact (checked on an Intel processor: DBL_MAX + DBL_MAX with OM=0 gives OE
// alone). Before the fix hvlab reported the PE of the masked response (infinity, or a
// denormalised tiny result) as well.
TEST_CASE("SIMD FP: with OE or UE unmasked PE follows the unbounded-exponent result") {
    // DBL_MAX + DBL_MAX = 2^1025 (1 - 2^-53): exact with an unbounded exponent.
    CHECK(xm_flags(kAddsd, kDblMax, kDblMax, 0, unmask(kOE)) == kOE);
    // DBL_MAX * 3 needs 55 significant bits: inexact.
    CHECK(xm_flags(kMulsd, kDblMax, dbl(3.0), 0, unmask(kOE)) == (kOE | kPE));
    // (1 + 2^-52) 2^-1000 * 2^-30: 53 bits at 2^-1030, exact unbounded, inexact as a denormal.
    {
        SseRig r;
        r.set_x(1, 0x0170000000000001ull, 0);
        r.set_x(2, 0x3E10000000000000ull, 0);
        r.s().fpu.mxcsr = unmask(kUE);
        REQUIRE(r.exec(kMulsd) == XM);
        CHECK(r.mxcsr_flags() == kUE);
    }
    // The masked response is unchanged: UE and PE, and the denormalised result.
    SseRig r;
    r.set_x(1, 0x0170000000000001ull, 0);
    r.set_x(2, 0x3E10000000000000ull, 0);
    r.s().fpu.mxcsr = kAllMasked;
    REQUIRE(r.exec(kMulsd) == kRetired);
    CHECK(r.mxcsr_flags() == (kUE | kPE));
    CHECK(r.x(1).lo == 0x0000100000000000ull); // 2^-1030 = 2^44 * 2^-1074
}

// SDM Vol. 1, "Numeric Underflow Exception (#U)": with the underflow exception unmasked it is
// reported "when the result is non-zero tiny, regardless of inexactness", and CVTSD2SS and
// CVTPD2PS are listed among the instructions that can generate it. Before the fix hvlab's
// double-to-single conversion reported underflow only through the host's (inexact) flag, so an
// exactly representable tiny result (2^-140) completed without #XM.
TEST_CASE("CVTSD2SS/CVTPD2PS: an exact tiny result is an underflow when UE is unmasked") {
    constexpr uint64_t kTwoPowMinus140 = 0x3730000000000000ull;
    CHECK(xm_flags(kCvtsd2ss, kOldLo, kTwoPowMinus140, 0, unmask(kUE)) == kUE);
    CHECK(xm_flags(kCvtpd2ps, kOldLo, kTwoPowMinus140, 0, unmask(kUE)) == kUE);
    // Masked: the exact denormal single, no flag; with FTZ a zero with UE and PE.
    SseRig r;
    r.set_x(2, kTwoPowMinus140, 0);
    r.s().fpu.mxcsr = kAllMasked;
    REQUIRE(r.exec(kCvtsd2ss) == kRetired);
    CHECK((r.x(1).lo & 0xFFFFFFFF) == 0x00000200u);
    CHECK(r.mxcsr_flags() == 0);
    r.s().fpu.mxcsr = kAllMasked | 0x8000;
    REQUIRE(r.exec(kCvtsd2ss) == kRetired);
    CHECK((r.x(1).lo & 0xFFFFFFFF) == 0);
    CHECK(r.mxcsr_flags() == (kUE | kPE));
}

// SDM Vol. 1, "Numeric Overflow Exception (#O)", applied to the double-to-single conversions:
// with OM=0 PE accompanies OE only if the value is not exact in single precision with an
// unbounded exponent. Before the fix hvlab reported OE|PE for 2^200.
TEST_CASE("CVTSD2SS: with OE unmasked PE follows the unbounded-exponent result") {
    CHECK(xm_flags(kCvtsd2ss, kOldLo, 0x4C70000000000000ull, 0, unmask(kOE)) == kOE); // 2^200
    CHECK(xm_flags(kCvtsd2ss, kOldLo, 0x4C70000000000100ull, 0, unmask(kOE)) ==
          (kOE | kPE)); // + 2^-44
    CHECK(xm_flags(kCvtpd2ps, kOldLo, 0, 0x4C70000000000000ull, unmask(kOE)) == kOE);
}

// SDM Vol. 3A, "Interrupt 7--Device Not Available Exception (#NM)": #NM occurs when "the
// processor executed an x87 FPU floating-point instruction while the EM flag in control register
// CR0 was set", or with TS set; Vol. 1 describes EM=1 as the setting for a processor without an
// x87 FPU, whose instructions the OS emulates from the #NM handler. hvlab advertises no FPU and
// implements only the x87 control instructions; before the fix every other ESC (D8..DF)
// encoding was #UD even with CR0.EM=1 or CR0.TS=1.
TEST_CASE("x87: every ESC instruction is #NM with CR0.EM or CR0.TS set") {
    const std::vector<std::vector<uint8_t>> insns = {
        {0xd9, 0xe8},                         // fld1
        {0xde, 0xc1},                         // faddp st(1), st
        {0xd8, 0x00},                         // fadd dword [rax]
        {0xdd, 0x30},                         // fnsave [rax]
        {0xdb, 0x2c, 0x85, 0, 0, 0, 0},       // fld tbyte [rax*4]
        {0xdf, 0xe8},                         // fucomip st, st(0)
        {0xdb, 0xe4},                         // fnsetpm (a no-op since the 387)
        {0xd9, 0x0c, 0x24},                   // D9 /1 with a memory operand (reserved)
        {0x66, 0xdc, 0x84, 0x24, 0, 1, 0, 0}, // fadd qword [rsp+256], with 66h
    };
    for (TestMode m : {TestMode::Long64, TestMode::Protected32}) {
        for (const auto& code : insns) {
            INFO("mode " << int(m) << " opcode " << std::hex << int(code[0]) << " "
                         << int(code[1]));
            for (uint64_t bits : {cr0::EM, cr0::TS, cr0::EM | cr0::TS}) {
                SseRig r(m);
                r.reg(RAX) = CpuFixture::kData;
                r.s().cr0 |= bits;
                CHECK(r.exec(code) == NM);
                CHECK(r.pushed_rip(false) == CpuFixture::kCode);
            }
            SseRig r(m); // without EM and TS: hvlab has no x87 arithmetic
            r.reg(RAX) = CpuFixture::kData;
            CHECK(r.exec(code) == UD);
        }
    }
    SseRig r; // LOCK is decoded first: #UD even with CR0.TS
    r.s().cr0 |= cr0::TS;
    CHECK(r.exec({0xf0, 0xd8, 0x00}) == UD);
}

namespace {

// Fills ST(i) with a distinct 80-bit value (i + 1 in the low mantissa byte) and sets TOP.
void fill_x87_stack(SseRig& r, unsigned top) {
    for (unsigned i = 0; i < 8; ++i) {
        r.s().fpu.st[i].fill(0);
        r.s().fpu.st[i][0] = static_cast<uint8_t>(i + 1);
        r.s().fpu.st[i][7] = 0x80;                    // integer bit
        r.s().fpu.st[i][8] = static_cast<uint8_t>(i); // exponent low byte
        r.s().fpu.st[i][9] = 0x3F;                    // exponent high byte
    }
    r.s().fpu.fsw = static_cast<uint16_t>(top << 11);
    r.s().fpu.ftw = 0xFF;
}

// The low mantissa byte of ST(i) as FXSAVE64 stores it at `area` (32 + 16 i).
uint8_t saved_st_tag(SseRig& r, uint64_t area, unsigned i) {
    return r.peek_val<uint8_t>(area + 32 + 16 * i);
}

} // namespace

// SDM Vol. 1, "x87 FPU Data Registers": ST(i) names physical register (TOP + i) mod 8; FINIT/
// FNINIT (Vol. 2A) sets TOP to 0 (FSW <- 0) and FLDENV loads TOP from the image, neither moves
// the register contents, so ST(i) afterwards names a different register (checked on an Intel
// processor with FXSAVE). Before the fix hvlab kept ST(i) = the old ST(i): after TOP 3 -> 0 an
// FXSAVE stored the old ST(0) in the ST0 slot instead of the old ST(5).
TEST_CASE("x87: FNINIT and FLDENV change TOP without moving the physical registers") {
    constexpr uint64_t kArea = CpuFixture::kData + 0x1000, kEnv = CpuFixture::kData;
    const std::vector<uint8_t> fxsave64_rbx = {0x48, 0x0f, 0xae, 0x03};
    {
        SseRig r;
        fill_x87_stack(r, 3);
        r.reg(RBX) = kArea;
        REQUIRE(r.exec({0xdb, 0xe3}) == kRetired); // fninit
        REQUIRE(r.exec(fxsave64_rbx) == kRetired);
        for (unsigned i = 0; i < 8; ++i)
            CHECK(saved_st_tag(r, kArea, i) == ((i + 5) & 7) + 1);
    }
    for (bool env16 : {false, true}) {
        SseRig r;
        fill_x87_stack(r, 3);
        if (env16) { // 14-byte environment: FCW, FSW (TOP = 5), FTW, IP, CS, DP, DS
            const uint16_t e[7] = {0x037F, 5 << 11, 0x0000, 0, 0, 0, 0};
            r.poke(kEnv, e, sizeof e);
        } else {
            const uint32_t e[7] = {0xFFFF037F, 0xFFFF0000u | (5 << 11), 0xFFFF0000, 0, 0, 0, 0};
            r.poke(kEnv, e, sizeof e);
        }
        r.reg(RAX) = kEnv;
        r.reg(RBX) = kArea;
        REQUIRE(r.exec(env16 ? std::vector<uint8_t>{0x66, 0xd9, 0x20}
                             : std::vector<uint8_t>{0xd9, 0x20}) == kRetired); // fldenv [rax]
        CHECK((r.s().fpu.fsw >> 11 & 7) == 5);
        REQUIRE(r.exec(fxsave64_rbx) == kRetired);
        for (unsigned i = 0; i < 8; ++i)
            CHECK(saved_st_tag(r, kArea, i) == ((i + 2) & 7) + 1);
    }
}

// SDM Vol. 2A, FSTENV/FNSTENV: the environment is stored, "then masks all floating-point
// exceptions"; Vol. 1, "x87 FPU Status Register": ES is set when any unmasked exception flag is
// set (B mirrors it), so with every exception masked nothing is pending and the next waiting
// instruction does not raise #MF (an Intel processor reports FSW = 0001H after FNSTENV with a
// pending IE). Before the fix hvlab kept ES and B set and the following FWAIT raised #MF.
TEST_CASE("x87: FNSTENV masks every exception and so clears FSW.ES and B") {
    SseRig r;
    r.s().fpu.fcw = 0x037E; // IM clear
    r.s().fpu.fsw = 0x8081; // IE, ES, B: a pending unmasked invalid-operation exception
    r.reg(RAX) = CpuFixture::kData;
    REQUIRE(r.exec({0x9b}) == MF);                                // fwait: pending
    REQUIRE(r.exec({0xd9, 0x30}) == kRetired);                    // fnstenv [rax]
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 4) == 0x8081); // the stored FSW
    CHECK(r.s().fpu.fcw == 0x037F);
    CHECK(r.s().fpu.fsw == 0x0001);
    CHECK(r.exec({0x9b}) == kRetired);
    // FLDENV of the stored environment brings the unmasked exception back (pending again).
    REQUIRE(r.exec({0xd9, 0x20}) == kRetired); // fldenv [rax]
    CHECK(r.s().fpu.fsw == 0x8081);
    CHECK(r.exec({0x9b}) == MF);
}

// SDM Vol. 2A, FSTENV/FNSTENV and FLDENV, "Protected Mode Exceptions": "#AC(0) If alignment
// checking is enabled and an unaligned memory reference is made while the current privilege
// level is 3". The environment is made of doublewords (28-byte format) or words (14-byte
// format), and an Intel processor checks that alignment (+2 is #AC, +4 is not, for the 28-byte
// format). Before the fix hvlab accessed the environment as one block and never raised #AC.
TEST_CASE("x87: FNSTENV and FLDENV take #AC at CPL 3 when the environment is misaligned") {
    struct Case {
        std::vector<uint8_t> code;
        unsigned misalign;
        int vector;
    };
    const Case cases[] = {
        {{0xd9, 0x30}, 2, AC},
        {{0xd9, 0x30}, 1, AC},
        {{0xd9, 0x30}, 4, kRetired},
        {{0xd9, 0x20}, 2, AC},
        {{0xd9, 0x20}, 4, kRetired},
        {{0x66, 0xd9, 0x30}, 1, AC},
        {{0x66, 0xd9, 0x30}, 2, kRetired},
        {{0x66, 0xd9, 0x20}, 1, AC},
        {{0x66, 0xd9, 0x20}, 2, kRetired},
    };
    for (TestMode m : {TestMode::Long64, TestMode::Protected32}) {
        for (const Case& c : cases) {
            INFO("mode " << int(m) << " " << std::hex << int(c.code[0]) << " " << int(c.code[1])
                         << " +" << c.misalign);
            SseRig r(m);
            r.enter_user_with_ac();
            const uint64_t at = CpuFixture::kData + c.misalign;
            const uint32_t env[7] = {0xFFFF037F, 0xFFFF0000, 0xFFFFFFFF, 0, 0, 0, 0xFFFF0000};
            r.poke(at, env, sizeof env);
            r.s().fpu.fcw = 0x0360; // distinct from the image, so a load would show
            r.reg(RAX) = at;
            CHECK(r.exec(c.code) == c.vector);
            if (c.vector == AC) {
                CHECK(r.pushed_error_code() == 0);
                CHECK(r.s().fpu.fcw == 0x0360);                // FLDENV loaded nothing
                CHECK(r.peek_val<uint32_t>(at) == 0xFFFF037F); // FNSTENV stored nothing
            }
        }
    }
}

// ---- Coverage: rules hvlab already followed that no other test checked ------------------------

// SDM Vol. 2A, "Exceptions Type 3" and "Exceptions Type 5" (scalar and m64 SSE forms): "#AC(0)
// If alignment checking is enabled and an unaligned memory reference is made while the current
// privilege level is 3"; Vol. 3A, "Interrupt 17--Alignment Check Exception (#AC)": "A general-
// protection exception (#GP) is generated [for] 128-bit data types that are not aligned on a
// 16-byte boundary" (Type 1/2 aligned forms: #GP(0), never #AC).
TEST_CASE("SSE alignment check: scalar forms take #AC at CPL 3 and aligned 128-bit forms #GP(0)") {
    struct Case {
        std::vector<uint8_t> code;
        unsigned misalign;
        int vector;
        const char* name;
    };
    const Case cases[] = {
        {{0xf3, 0x0f, 0x58, 0x08}, 1, AC, "addss xmm1, [rax+1]"},
        {{0xf2, 0x0f, 0x10, 0x08}, 4, AC, "movsd xmm1, [rax+4]"},
        {{0x0f, 0x13, 0x08}, 2, AC, "movlps [rax+2], xmm1"},
        {{0x66, 0x0f, 0x6e, 0x08}, 2, AC, "movd xmm1, [rax+2]"},
        {{0x0f, 0xae, 0x10}, 1, AC, "ldmxcsr [rax+1]"},
        {{0xf3, 0x0f, 0x10, 0x08}, 4, kRetired, "movss xmm1, [rax+4] (aligned m32)"},
        {{0x0f, 0x28, 0x08}, 8, GP, "movaps xmm1, [rax+8]"},
        {{0x66, 0x0f, 0xfe, 0x08}, 4, GP, "paddd xmm1, [rax+4]"},
        {{0x66, 0x0f, 0xe7, 0x08}, 8, GP, "movntdq [rax+8], xmm1"},
    };
    for (TestMode m : {TestMode::Long64, TestMode::Protected32}) {
        for (const Case& c : cases) {
            INFO(c.name << " mode " << int(m));
            SseRig r(m);
            r.enter_user_with_ac();
            r.s().fpu.mxcsr = kAllMasked;
            r.poke_val<uint32_t>(CpuFixture::kData + c.misalign, kAllMasked);
            r.reg(RAX) = CpuFixture::kData + c.misalign;
            CHECK(r.exec(c.code) == c.vector);
            if (c.vector != kRetired) CHECK(r.pushed_error_code() == 0);
        }
    }
}

// SDM Vol. 3A, "Providing Non-Numeric Exception Handlers for Exceptions Generated by the SSE
// Instructions": "A 128-bit reference within the stack segment that is not aligned to a 16-byte
// boundary will also generate a general-protection exception, instead of a stack-segment fault
// exception (#SS)."
TEST_CASE("SSE: a misaligned 128-bit stack reference is #GP(0) and not #SS") {
    const std::vector<uint8_t> movaps_rsp8 = {0x0f, 0x28, 0x4c, 0x24, 0x08}; // movaps xmm1,[rsp+8]
    for (TestMode m : {TestMode::Long64, TestMode::Protected32}) {
        SseRig r(m);
        r.reg(RSP) = 0x100000 - 0x100;
        r.set_x(1, 5, 6);
        REQUIRE(r.exec(movaps_rsp8) == GP);
        CHECK(r.pushed_error_code() == 0);
        CHECK(same(r.x(1), 5, 6));
    }
}

// SDM Vol. 2A, "Exceptions Type 1" and the other SSE exception classes: "#UD If preceded by a
// LOCK prefix (F0H)" and "#UD If any corresponding CPUID feature flag is '0'" are decoding faults
// that precede "#NM If CR0.TS[bit 3]=1" (Vol. 3A, "Priority Among Concurrent Exceptions and
// Interrupts": invalid opcode before coprocessor not available). The model advertises SSE and
// SSE2 only (CPUID.01H:ECX SSE3/SSSE3/SSE4.1/SSE4.2 and EDX.MMX are 0), so the SSE3..SSE4.2 and
// MMX encodings are #UD, also with CR0.TS=1.
TEST_CASE("SSE: instructions of unadvertised extensions and LOCK-prefixed SSE are #UD before #NM") {
    SseRig id;
    id.reg(RAX) = 1;
    id.reg(RCX) = 0;
    REQUIRE(id.exec({0x0f, 0xa2}) == kRetired); // cpuid
    const uint64_t ecx = id.reg(RCX), edx = id.reg(RDX);
    CHECK((edx >> 25 & 3) == 3); // SSE, SSE2
    CHECK((edx >> 24 & 1) == 1); // FXSR
    CHECK((edx >> 23 & 1) == 0); // MMX
    CHECK((ecx & 1) == 0);       // SSE3
    CHECK((ecx >> 9 & 1) == 0);  // SSSE3
    CHECK((ecx >> 19 & 3) == 0); // SSE4.1, SSE4.2
    CHECK((ecx >> 26 & 1) == 0); // XSAVE
    const std::vector<std::vector<uint8_t>> insns = {
        {0xf2, 0x0f, 0xf0, 0x08},             // lddqu xmm1, [rax]          (SSE3)
        {0x66, 0x0f, 0x7c, 0xca},             // haddpd                     (SSE3)
        {0xf2, 0x0f, 0xd0, 0xca},             // addsubps                   (SSE3)
        {0xf3, 0x0f, 0x16, 0xca},             // movshdup                   (SSE3)
        {0xf2, 0x0f, 0x12, 0xca},             // movddup                    (SSE3)
        {0x66, 0x0f, 0x38, 0x00, 0xca},       // pshufb                     (SSSE3)
        {0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x04}, // palignr                    (SSSE3)
        {0x66, 0x0f, 0x38, 0x17, 0xca},       // ptest                      (SSE4.1)
        {0x66, 0x0f, 0x3a, 0x16, 0xc8, 0x01}, // pextrd eax, xmm1, 1        (SSE4.1)
        {0x66, 0x0f, 0x3a, 0x0b, 0xca, 0x00}, // roundsd                    (SSE4.1)
        {0x66, 0x0f, 0x38, 0x2a, 0x08},       // movntdqa xmm1, [rax]       (SSE4.1)
        {0x66, 0x0f, 0x38, 0x37, 0xca},       // pcmpgtq                    (SSE4.2)
        {0x66, 0x0f, 0x3a, 0x63, 0xca, 0x00}, // pcmpistri                  (SSE4.2)
        {0xf2, 0x0f, 0x38, 0xf0, 0xc1},       // crc32 eax, cl              (SSE4.2)
        {0x0f, 0x77},                         // emms                       (MMX)
        {0x0f, 0x6f, 0xca},                   // movq mm1, mm2              (MMX)
        {0x0f, 0xc4, 0xc8, 0x01},             // pinsrw mm1, eax, 1         (SSE on MMX)
        {0x0f, 0xc5, 0xc1, 0x01},             // pextrw eax, mm1, 1         (SSE on MMX)
        {0x0f, 0xd7, 0xc1},                   // pmovmskb eax, mm1          (SSE on MMX)
        {0x0f, 0xe7, 0x08},                   // movntq [rax], mm1          (SSE on MMX)
        {0xf3, 0x0f, 0xd6, 0xca},             // movq2dq xmm1, mm2          (SSE2 on MMX)
        {0xf2, 0x0f, 0xd6, 0xca},             // movdq2q mm1, xmm2          (SSE2 on MMX)
        {0x0f, 0x2d, 0xca},                   // cvtps2pi mm1, xmm2         (SSE on MMX)
        {0x66, 0x0f, 0x2c, 0xca},             // cvttpd2pi mm1, xmm2        (SSE2 on MMX)
        {0x0f, 0x2a, 0xca},                   // cvtpi2ps xmm1, mm2         (SSE on MMX)
        {0xf0, 0x66, 0x0f, 0xfe, 0x08},       // lock paddd xmm1, [rax]
        {0xf0, 0x0f, 0x29, 0x08},             // lock movaps [rax], xmm1
        {0xf0, 0x0f, 0xae, 0x10},             // lock ldmxcsr [rax]
        {0xf0, 0x0f, 0xae, 0x00},             // lock fxsave [rax]
    };
    for (const auto& code : insns) {
        INFO("bytes " << hex_bytes(code));
        for (bool ts : {false, true}) {
            SseRig r;
            r.reg(RAX) = CpuFixture::kData;
            if (ts) r.s().cr0 |= cr0::TS;
            CHECK(r.exec(code) == UD);
        }
    }
}

// SDM Vol. 2A, FINIT/FNINIT, "Operation": FCW <- 037FH, FSW <- 0, FTW <- FFFFH, the data and
// instruction pointers and the last opcode <- 0; MXCSR and the XMM registers are not part of it
// (Vol. 1, "MXCSR Control/Status Register": MXCSR is initialised by reset/INIT and loaded by
// LDMXCSR, FXRSTOR or XRSTOR only).
TEST_CASE("x87: FNINIT leaves MXCSR and the XMM registers alone") {
    SseRig r;
    r.s().fpu.mxcsr = 0x9FFF & ~0x40u;
    r.s().fpu.fcw = 0x0000;
    r.s().fpu.fsw = 0x3805;
    r.set_x(3, 7, 8);
    REQUIRE(r.exec({0xdb, 0xe3}) == kRetired);
    CHECK(r.s().fpu.mxcsr == (0x9FFF & ~0x40u));
    CHECK(same(r.x(3), 7, 8));
    CHECK(r.s().fpu.fcw == 0x037F);
    CHECK(r.s().fpu.fsw == 0);
    CHECK(r.s().fpu.ftw == 0); // abridged: all empty
}

// SDM Vol. 3A, "Providing Non-Numeric Exception Handlers for Exceptions Generated by the SSE
// Instructions" and Vol. 2B, MOVNTI/PAUSE/PREFETCHh: these touch no SSE state, so CR0.EM,
// CR0.TS and CR4.OSFXSR do not apply (their exception lists have no #NM and no EM/OSFXSR #UD).
TEST_CASE("SSE: MOVNTI and PAUSE and PREFETCHh ignore CR0.EM and CR0.TS and CR4.OSFXSR") {
    SseRig r;
    r.s().cr0 |= cr0::EM | cr0::TS;
    r.s().cr4 &= ~cr4::OSFXSR;
    r.reg(RAX) = CpuFixture::kData;
    r.reg(RCX) = 0x1234567890ull;
    REQUIRE(r.exec({0x48, 0x0f, 0xc3, 0x08}) == kRetired); // movnti [rax], rcx
    CHECK(r.peek_val<uint64_t>(CpuFixture::kData) == 0x1234567890ull);
    CHECK(r.exec({0xf3, 0x90}) == kRetired);       // pause
    CHECK(r.exec({0x0f, 0x18, 0x00}) == kRetired); // prefetchnta [rax]
    CHECK(r.exec({0x0f, 0x28, 0xca}) == UD);       // movaps does use SSE state
}

// SDM Vol. 1, "SSE, SSE2, and SSE3 Exceptions", the procedure for unmasked exceptions: the
// processor sets the flags and leaves the operands unaltered, then "checks CR4.OSXMMEXCPT[bit
// 10]. If this flag is set, the processor goes to step 3 [#XM]; if the flag is clear, it
// generates an invalid-opcode exception (#UD)". The flags stay set in both cases.
TEST_CASE("SIMD FP: an unmasked exception with CR4.OSXMMEXCPT=0 is #UD with the flags recorded") {
    for (bool osxmmexcpt : {true, false}) {
        SseRig r;
        if (!osxmmexcpt) r.s().cr4 &= ~cr4::OSXMMEXCPT;
        r.set_x(1, dbl(1.0), kOldHi);
        r.set_x(2, 0, 0);
        r.s().fpu.mxcsr = unmask(kZE);
        CHECK(r.exec({0xf2, 0x0f, 0x5e, 0xca}) == (osxmmexcpt ? XM : UD)); // divsd 1/0
        CHECK(r.pushed_rip(false) == CpuFixture::kCode);
        CHECK(r.mxcsr_flags() == kZE);
        CHECK(same(r.x(1), dbl(1.0), kOldHi));
        // COMISD with an SNaN and IM clear: #XM/#UD before RFLAGS is written.
        r.s().rflags = rflags::kFixed1 | rflags::OF | rflags::SF;
        r.set_x(2, 0x7FF0000000000001ull, 0);
        r.s().fpu.mxcsr = unmask(kIE);
        CHECK(r.exec({0x66, 0x0f, 0x2f, 0xca}) == (osxmmexcpt ? XM : UD));
        CHECK(r.mxcsr_flags() == kIE);
        CHECK((r.s().rflags & (rflags::OF | rflags::SF | rflags::ZF)) == (rflags::OF | rflags::SF));
    }
}

// SDM Vol. 2B, MASKMOVDQU: the destination is "specified by DI/EDI/RDI and DS", "the default
// segment register is DS, but this may be overridden with a segment-override prefix", and "the
// size of the store address depends on the address-size attribute"; no alignment is required.
TEST_CASE("MASKMOVDQU: DS:rDI with the address size and a segment override") {
    const std::vector<uint8_t> maskmov = {0x66, 0x0f, 0xf7, 0xca};
    SseRig r;
    r.set_x(1, 0x8877665544332211ull, 0);
    r.set_x(2, 0x80, 0); // byte 0 only
    // 67h in 64-bit mode: EDI, the upper half of RDI is ignored.
    r.reg(RDI) = 0xFFFF'FFFF'0000'0000ull | (CpuFixture::kData + 1);
    REQUIRE(r.exec({0x67, 0x66, 0x0f, 0xf7, 0xca}) == kRetired);
    CHECK(r.peek_val<uint8_t>(CpuFixture::kData + 1) == 0x11);
    // FS override: the FS base is added.
    r.s().seg[FS].base = 0x1000;
    r.reg(RDI) = CpuFixture::kData + 5;
    REQUIRE(r.exec({0x64, 0x66, 0x0f, 0xf7, 0xca}) == kRetired);
    CHECK(r.peek_val<uint8_t>(CpuFixture::kData + 0x1005) == 0x11);
    CHECK(r.peek_val<uint8_t>(CpuFixture::kData + 5) == 0);
    // 32-bit protected mode: the operand is "an 128-bit memory location"; hvlab checks it as a
    // whole, so a DS limit violation in its last bytes is #GP(0) and nothing is written, even
    // for the selected byte that lies inside the limit.
    SseRig p(TestMode::Protected32);
    p.set_x(1, 0x11, 0);
    p.set_x(2, 0x80, 0);
    p.s().seg[DS].limit = CpuFixture::kData + 0x17;
    p.reg(RDI) = CpuFixture::kData + 0x10;
    REQUIRE(p.exec(maskmov) == GP);
    CHECK(p.pushed_error_code() == 0);
    CHECK(p.peek_val<uint8_t>(CpuFixture::kData + 0x10) == 0);
}

// SDM Vol. 2, the opcode tables of MOVNTDQ, MOVNTPS, MOVNTPD, MOVNTI (m forms only), MASKMOVDQU,
// MOVMSKPS, PMOVMSKB, MOVHLPS/MOVLHPS (register forms only), MOVLPD/MOVHPD (m64 only),
// LDMXCSR/STMXCSR/FXSAVE/FXRSTOR (m only) and the shift-by-immediate groups (register only):
// the other ModRM.mod form has no instruction and is #UD (Vol. 2D, opcode map, Group 15).
TEST_CASE("SSE: the memory-only and register-only forms are #UD in their other form") {
    const std::vector<std::vector<uint8_t>> insns = {
        {0x66, 0x0f, 0xe7, 0xca},       // movntdq xmm2, xmm1
        {0x0f, 0x2b, 0xca},             // movntps
        {0x66, 0x0f, 0x2b, 0xca},       // movntpd
        {0x0f, 0xc3, 0xc8},             // movnti eax, ecx
        {0x66, 0x0f, 0xf7, 0x08},       // maskmovdqu with a memory operand
        {0x0f, 0x50, 0x08},             // movmskps eax, [rax]
        {0x66, 0x0f, 0xd7, 0x08},       // pmovmskb eax, [rax]
        {0x66, 0x0f, 0x12, 0xca},       // movlpd xmm1, xmm2
        {0x66, 0x0f, 0x17, 0xca},       // movhpd xmm2, xmm1
        {0x0f, 0x13, 0xca},             // movlps xmm2, xmm1
        {0x0f, 0xae, 0xd0},             // ldmxcsr eax
        {0x0f, 0xae, 0xd8},             // stmxcsr eax
        {0x0f, 0xae, 0xc0},             // fxsave eax
        {0x0f, 0xae, 0xc8},             // fxrstor eax
        {0x66, 0x0f, 0x72, 0x20, 0x01}, // psrad [rax], 1
        {0x66, 0x0f, 0x73, 0x38, 0x01}, // pslldq [rax], 1
        {0x66, 0x0f, 0xc5, 0x00, 0x01}, // pextrw eax, [rax], 1
    };
    for (const auto& code : insns) {
        INFO("bytes " << hex_bytes(code));
        SseRig r;
        r.reg(RAX) = CpuFixture::kData;
        CHECK(r.exec(code) == UD);
    }
}

// SDM Vol. 3A, "Control Registers" (CR0.MP, EM, TS), table "Action Taken By x87 FPU
// Instructions for Different Combinations of EM, MP, and TS": an x87 instruction is #NM when EM
// or TS is set; WAIT/FWAIT only when MP and TS are both set. For SSE (Vol. 3A, "Effect of
// Instruction Prefixes and CR0/CR4 Flags on SSE"): EM=1 is #UD, else TS=1 is #NM; MP plays no
// part. FXSAVE is #NM for EM or TS (Vol. 2A, FXSAVE, "Protected Mode Exceptions").
TEST_CASE("CR0.EM MP and TS: the whole table for x87 and WAIT and SSE and FXSAVE") {
    for (unsigned combo = 0; combo < 8; ++combo) {
        const bool em = combo & 4, mp = combo & 2, ts = combo & 1;
        INFO("EM " << em << " MP " << mp << " TS " << ts);
        auto check = [&](const std::vector<uint8_t>& code, int expected) {
            SseRig r;
            r.s().cr0 &= ~(cr0::EM | cr0::MP | cr0::TS);
            r.s().cr0 |= (em ? cr0::EM : 0) | (mp ? cr0::MP : 0) | (ts ? cr0::TS : 0);
            r.reg(RAX) = CpuFixture::kData;
            CHECK(r.exec(code) == expected);
        };
        check({0xdb, 0xe2}, (em || ts) ? NM : kRetired);               // fnclex
        check({0xd9, 0xe8}, (em || ts) ? NM : UD);                     // fld1: no x87 arithmetic
        check({0x9b}, (mp && ts) ? NM : kRetired);                     // fwait
        check({0x66, 0x0f, 0xef, 0xca}, em ? UD : ts ? NM : kRetired); // pxor xmm1, xmm2
        check({0x0f, 0xae, 0x00}, (em || ts) ? NM : kRetired);         // fxsave [rax]
    }
}

// ---- Guard: unmasked SIMD floating-point exceptions against the host processor -----------------

namespace {

// Runs one instruction on the host with XMM1, XMM2, RAX and MXCSR from `io`; an unmasked
// exception arrives as SIGFPE, whose handler records the faulting MXCSR and resumes after the
// instruction with every exception masked. x86-64 Linux only.
using HostIo = HostSseIo;
uint64_t g_host_resume;
volatile sig_atomic_t g_host_faulted;
volatile uint32_t g_host_fault_mxcsr;

void host_on_sigfpe(int, siginfo_t*, void* ctx) {
    auto* uc = static_cast<ucontext_t*>(ctx);
    g_host_faulted = 1;
    g_host_fault_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    uc->uc_mcontext.fpregs->mxcsr |= kAllMasked;
    uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(g_host_resume);
}

class HostSimd {
  public:
    bool ok() const { return page_.ok(); }
    // Returns whether the instruction raised #XM on the host.
    bool run(const std::vector<uint8_t>& insn, HostIo& io) {
        g_host_resume = page_.prepare(insn);
        struct sigaction sa {
        }, old{};
        sa.sa_sigaction = host_on_sigfpe;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGFPE, &sa, &old);
        g_host_faulted = 0;
        page_.run(io);
        sigaction(SIGFPE, &old, nullptr);
        if (g_host_faulted) io.mxcsr_out = g_host_fault_mxcsr;
        return g_host_faulted;
    }

    // Calls `code` (which must not end in RET: one is appended) with RDI = arg.
    void call(const std::vector<uint8_t>& code, void* arg) {
        uint8_t* page = page_.data();
        std::memcpy(page, code.data(), code.size());
        page[code.size()] = 0xc3;
        reinterpret_cast<void (*)(void*)>(page)(arg);
    }

  private:
    HostSsePage page_;
};

bool host_is_intel() {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
    char v[13];
    std::memcpy(v, &b, 4), std::memcpy(v + 4, &d, 4), std::memcpy(v + 8, &c, 4), v[12] = 0;
    return std::strcmp(v, "GenuineIntel") == 0;
}

// Operands where the exception rules change: zeros, infinities, NaNs, denormals, the extremes,
// values whose products or quotients overflow or underflow, and random bit patterns.
uint64_t host_double(std::mt19937_64& g) {
    static constexpr uint64_t k[] = {0,
                                     0x8000000000000000ull,
                                     0x7FF0000000000000ull,
                                     0xFFF0000000000000ull,
                                     0x7FF8000000000000ull,
                                     0x7FF0000000000001ull,
                                     0x0000000000000001ull,
                                     0x800FFFFFFFFFFFFFull,
                                     0x0010000000000000ull,
                                     kDblMax,
                                     0x3FF0000000000000ull,
                                     0x3FD5555555555555ull,
                                     0x43E0000000000000ull,
                                     0x3690000000000000ull,
                                     0x3800000000000000ull,
                                     0x36A0000000000001ull,
                                     0x47F0000000000000ull};
    const unsigned pick = g() % 32;
    if (pick < 17) return k[pick];
    if (pick < 24) return dbl(std::ldexp(double(g() % 2000000) - 1e6, int(g() % 2200) - 1100));
    return g();
}
uint32_t host_float(std::mt19937_64& g) {
    static constexpr uint32_t k[] = {0,           0x80000000u, 0x7F800000u, 0xFF800000u,
                                     0x7FC00000u, 0x7F800001u, 0x00000001u, 0x807FFFFFu,
                                     0x00800000u, 0x7F7FFFFFu, 0x3F800000u, 0x3EAAAAABu,
                                     0x4F000000u, 0x0C800000u, 0x1F800000u};
    const unsigned pick = g() % 32;
    if (pick < 15) return k[pick];
    if (pick < 24) return flt(std::ldexp(float(g() % 20000) - 1e4f, int(g() % 300) - 150));
    return static_cast<uint32_t>(g());
}

} // namespace

// SDM Vol. 1, "SSE, SSE2, and SSE3 Exceptions" (masked and unmasked responses, the pre- and
// post-computation order) and Vol. 3A, "SIMD Floating-Point Exception (#XM)": with random mask
// bits, rounding, DAZ and FTZ, every register form of the SSE/SSE2 arithmetic, compare and
// conversion instructions must fault (#XM) exactly when the host processor does, with the same
// MXCSR flags and the same destination. tests/cpu_simd compares the masked responses only.
// Runs on an Intel host only (other vendors differ in details the SDM leaves open); the seed is
// fixed, HVLAB_SSE_HOST_ROUNDS sets the rounds per form (default 300).
TEST_CASE("SIMD FP exceptions agree with an Intel processor with exceptions unmasked") {
    HostSimd host;
    if (!host_is_intel() || !host.ok()) {
        WARN("not an Intel x86-64 host (or no executable page): comparison skipped");
        return;
    }
    using Insn = FpRegisterForm;
    const std::vector<Insn> insns = fp_register_forms();
    const char* env = std::getenv("HVLAB_SSE_HOST_ROUNDS");
    const unsigned rounds = env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : 300;
    constexpr uint64_t kSeed = 0x5E5E'0A0D;
    std::printf("SIMD FP unmasked vs host: seed %#llx, %u rounds\n",
                static_cast<unsigned long long>(kSeed), rounds);
    std::mt19937_64 g(kSeed);
    SseRig r;
    for (const Insn& insn : insns) {
        for (unsigned round = 0; round < rounds; ++round) {
            uint64_t v[4];
            for (auto& q : v)
                q = insn.single ? (uint64_t{host_float(g)} << 32) | host_float(g) : host_double(g);
            // Half the rounds unmask one exception, the others a random set.
            const uint32_t masks =
                (g() % 2) ? unmask(1u << (g() % 6)) : (static_cast<uint32_t>(g()) & kAllMasked);
            const uint32_t mxcsr = masks | static_cast<uint32_t>((g() % 4) << 13) |
                                   (g() % 4 == 0 ? 0x40 : 0) | (g() % 4 == 0 ? 0x8000 : 0);
            const uint64_t rax = g() % 3 == 0 ? host_double(g) : g();
            HostIo io{{v[0], v[1]}, {v[2], v[3]}, rax, 0, mxcsr, 0, 0};
            const bool host_xm = host.run(insn.code, io);
            r.set_x(1, v[0], v[1]);
            r.set_x(2, v[2], v[3]);
            r.reg(RAX) = rax;
            r.reg(RSP) = CpuFixture::kStackTop;
            r.s().fpu.mxcsr = mxcsr;
            INFO(insn.name << " round " << round << std::hex << " x1 " << v[0] << ":" << v[1]
                           << " x2 " << v[2] << ":" << v[3] << " rax " << rax << " mxcsr "
                           << mxcsr);
            REQUIRE(r.exec(insn.code) == (host_xm ? XM : kRetired));
            CHECK(r.s().fpu.mxcsr == io.mxcsr_out);
            CHECK(same(r.x(1), io.x1[0], io.x1[1]));
            CHECK(r.reg(RAX) == io.rax);
        }
    }
}

// SDM Vol. 2A, FXSAVE/FXRSTOR, FSTENV/FNSTENV, FLDENV, FINIT/FNINIT, and Vol. 1, "x87 FPU
// Status Register" / "x87 FPU Tag Word": a random FXSAVE image is restored, the environment
// stored, a random environment (exceptions masked) loaded and stored again, and the state saved
// before and after FNINIT; every byte must equal what an Intel processor writes, except the FPU
// CS/DS selectors, which that processor stores as 0 (CPUID.07H:EBX[13], not advertised by
// hvlab). Covers TOP and the ST(i) view, the full and abridged tag words, FSW.ES/B, FCW
// normalisation and the image layout. Intel hosts only; fixed seed.
TEST_CASE("x87 environment and FXSAVE images agree with an Intel processor") {
    HostSimd host;
    if (!host_is_intel() || !host.ok()) {
        WARN("not an Intel x86-64 host (or no executable page): comparison skipped");
        return;
    }
    // fxrstor64 [rdi]; fnstenv [rdi+200h]; fldenv [rdi+220h]; fnstenv [rdi+240h];
    // fxsave64 [rdi+400h]; fninit; fxsave64 [rdi+600h]; fninit; ret
    const std::vector<uint8_t> seq = {
        0x48, 0x0f, 0xae, 0x0f, 0xd9, 0xb7, 0x00, 0x02, 0x00, 0x00, 0xd9, 0xa7, 0x20, 0x02,
        0x00, 0x00, 0xd9, 0xb7, 0x40, 0x02, 0x00, 0x00, 0x48, 0x0f, 0xae, 0x87, 0x00, 0x04,
        0x00, 0x00, 0xdb, 0xe3, 0x48, 0x0f, 0xae, 0x87, 0x00, 0x06, 0x00, 0x00, 0xdb, 0xe3};
    constexpr unsigned kEnv1 = 0x200, kEnvIn = 0x220, kEnv2 = 0x240, kSave1 = 0x400, kSave2 = 0x600,
                       kSize = 0x800;
    // Bytes hvlab may differ in: FCS/FDS in the environments and, after FLDENV, bits 47:32 of
    // FXSAVE64's pointers (hvlab keeps the selectors there, see cpu/NOTES-cpu2.md).
    auto ignored = [](unsigned off) {
        for (unsigned env : {kEnv1, kEnv2})
            if (off == env + 16 || off == env + 17 || off == env + 24 || off == env + 25)
                return true;
        return off == kSave1 + 12 || off == kSave1 + 13 || off == kSave1 + 20 || off == kSave1 + 21;
    };
    std::mt19937_64 g(0x87E0);
    SseRig r;
    for (unsigned trial = 0; trial < 100; ++trial) {
        alignas(64) static uint8_t buf[kSize];
        for (auto& b : buf)
            b = static_cast<uint8_t>(g());
        const uint32_t mxcsr = kAllMasked; // keep the host's MXCSR as it is
        std::memcpy(buf + 24, &mxcsr, 4);
        buf[13] &= 0x7F, buf[14] = buf[15] = 0; // canonical FPU IP and DP in the image
        buf[21] &= 0x7F, buf[22] = buf[23] = 0;
        buf[kEnvIn] |= 0x3F; // the loaded environment masks every exception
        for (unsigned off : {kEnv1, kEnv2})
            std::memset(buf + off, 0xCC, 28);
        for (unsigned off : {kSave1, kSave2})
            std::memset(buf + off, 0xCC, 512);
        r.poke(CpuFixture::kData, buf, kSize);
        host.call(seq, buf);
        INFO("trial " << trial);
        r.reg(RDI) = CpuFixture::kData;
        REQUIRE(r.exec({0x48, 0x0f, 0xae, 0x0f}) == kRetired);
        REQUIRE(r.exec({0xd9, 0xb7, 0x00, 0x02, 0x00, 0x00}) == kRetired);
        REQUIRE(r.exec({0xd9, 0xa7, 0x20, 0x02, 0x00, 0x00}) == kRetired);
        REQUIRE(r.exec({0xd9, 0xb7, 0x40, 0x02, 0x00, 0x00}) == kRetired);
        REQUIRE(r.exec({0x48, 0x0f, 0xae, 0x87, 0x00, 0x04, 0x00, 0x00}) == kRetired);
        REQUIRE(r.exec({0xdb, 0xe3}) == kRetired);
        REQUIRE(r.exec({0x48, 0x0f, 0xae, 0x87, 0x00, 0x06, 0x00, 0x00}) == kRetired);
        REQUIRE(r.exec({0xdb, 0xe3}) == kRetired);
        for (unsigned off = kEnv1; off < kSize; ++off) {
            if (ignored(off)) continue;
            INFO("offset " << std::hex << off);
            CHECK(r.peek_val<uint8_t>(CpuFixture::kData + off) == buf[off]);
        }
    }
}
