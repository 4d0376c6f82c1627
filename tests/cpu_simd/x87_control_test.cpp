// x87 control state: FNINIT, FLDCW/FNSTCW, FNSTSW, FNCLEX, FWAIT, FNSTENV/FLDENV, with the #NM
// rules (EM or TS for ESC instructions, MP and TS for WAIT), pending-exception #MF for the waiting
// forms with CR0.NE=1, and #UD for x87 arithmetic, which hvlab does not implement.
#include "tests/cpu_simd/simd_rig.hpp"

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {
const std::vector<uint8_t> kFninit = {0xdb, 0xe3};
const std::vector<uint8_t> kFnclex = {0xdb, 0xe2};
const std::vector<uint8_t> kFnstcw = {0xd9, 0x38};   // fnstcw [rax]
const std::vector<uint8_t> kFldcw = {0xd9, 0x28};    // fldcw [rax]
const std::vector<uint8_t> kFnstswAx = {0xdf, 0xe0}; // fnstsw ax
const std::vector<uint8_t> kFnstswM = {0xdd, 0x38};  // fnstsw [rax]
const std::vector<uint8_t> kFnstenv = {0xd9, 0x30};  // fnstenv [rax]
const std::vector<uint8_t> kFldenv = {0xd9, 0x20};   // fldenv [rax]
const std::vector<uint8_t> kFwait = {0x9b};
} // namespace

TEST_CASE("x87: FNINIT resets control, status, tags and pointers", "[x87]") {
    SimdRig r;
    FpuState& f = r.s().fpu;
    f.fcw = 0x0000, f.fsw = 0xFFFF, f.ftw = 0xFF, f.fop = 0x123, f.fip = 5, f.fdp = 6;
    f.mxcsr = 0x1F81;
    REQUIRE(r.exec(kFninit) == kRetired);
    CHECK(f.fcw == 0x037F);
    CHECK(f.fsw == 0);
    CHECK(f.ftw == 0);
    CHECK(f.fop == 0);
    CHECK(f.fip == 0);
    CHECK(f.fdp == 0);
    CHECK(f.mxcsr == 0x1F81); // SSE state is not x87 state
}

TEST_CASE("x87: FNSTCW/FLDCW, reserved control bits", "[x87]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    REQUIRE(r.exec(kFnstcw) == kRetired);
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData) == 0x037F);
    r.poke_val<uint16_t>(CpuFixture::kData, 0x0C7F);
    REQUIRE(r.exec(kFldcw) == kRetired);
    CHECK(r.s().fpu.fcw == 0x0C7F);
    r.poke_val<uint16_t>(CpuFixture::kData, 0xFFBF); // reserved 15:13 set, bit 6 clear
    REQUIRE(r.exec(kFldcw) == kRetired);
    CHECK(r.s().fpu.fcw == 0x1F7F);
}

TEST_CASE("x87: FNSTSW to AX and memory, FNCLEX", "[x87]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData | 0xFFFF0000'0000FFFFull;
    r.s().fpu.fsw = 0xB8A5;
    REQUIRE(r.exec(kFnstswAx) == kRetired);
    CHECK(r.reg(RAX) == ((CpuFixture::kData | 0xFFFF0000'0000FFFFull) & ~0xFFFFull) + 0xB8A5);
    r.reg(RAX) = CpuFixture::kData;
    REQUIRE(r.exec(kFnstswM) == kRetired); // non-waiting: no #MF although ES is set
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData) == 0xB8A5);
    REQUIRE(r.exec(kFnclex) == kRetired);
    CHECK(r.s().fpu.fsw == 0x3800); // TOP and condition codes kept
}

TEST_CASE("x87: #NM for ESC instructions with CR0.EM or CR0.TS; WAIT only with MP and TS",
          "[x87][fault]") {
    for (uint64_t bits : {cr0::EM, cr0::TS}) {
        for (const auto* code : {&kFninit, &kFnclex, &kFnstcw, &kFldcw, &kFnstswAx, &kFnstenv}) {
            SimdRig r;
            r.reg(RAX) = CpuFixture::kData;
            r.s().cr0 |= bits;
            CHECK(r.exec(*code) == NM);
        }
    }
    SimdRig r;
    r.s().cr0 = (r.s().cr0 & ~cr0::MP) | cr0::TS;
    CHECK(r.exec(kFwait) == kRetired);
    r.s().cr0 |= cr0::MP;
    CHECK(r.exec(kFwait) == NM);
    r.s().cr0 = (r.s().cr0 & ~cr0::TS) | cr0::EM | cr0::MP;
    CHECK(r.exec(kFwait) == kRetired); // EM does not affect WAIT
}

TEST_CASE("x87: an unmasked pending exception is #MF at the next waiting instruction",
          "[x87][fault]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.s().fpu.fsw = 0x0004; // ZE flagged, masked by the default FCW
    CHECK(r.exec(kFwait) == kRetired);
    r.poke_val<uint16_t>(CpuFixture::kData, 0x037B); // unmask ZE
    REQUIRE(r.exec(kFldcw) == kRetired);
    CHECK(r.s().fpu.fsw == 0x8084); // ES and B now set
    CHECK(r.exec(kFwait) == MF);
    CHECK(r.pushed_rip(false) == CpuFixture::kCode);
    CHECK(r.exec(kFldcw) == MF);        // FLDCW waits too
    CHECK(r.exec(kFnstcw) == kRetired); // FNSTCW does not
    r.s().cr0 &= ~cr0::NE;              // the FERR# path is not modelled: nothing happens
    CHECK(r.exec(kFwait) == kRetired);
    r.s().cr0 |= cr0::NE;
    REQUIRE(r.exec(kFnclex) == kRetired);
    CHECK(r.exec(kFwait) == kRetired);
}

TEST_CASE("x87: FNSTENV/FLDENV 28-byte layout, full tag word, exceptions masked after", "[x87]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    FpuState& f = r.s().fpu;
    f.fcw = 0x0360; // all exceptions unmasked
    f.fsw = 0x3000; // TOP = 6
    f.ftw = 0x0F;   // physical registers 0..3 in use
    // Physical register p holds ST((p - 6) mod 8): p0 = ST2, p1 = ST3, p2 = ST4, p3 = ST5.
    f.st[2] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F}; // 1.0: valid (00)
    f.st[3] = {};                                      // +0: zero (01)
    f.st[4] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0x7F}; // NaN: special (10)
    f.st[5] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};          // denormal: special (10)
    f.fip = 0x0000'0010'0040'1000ull;
    f.fdp = 0x0000'0018'0060'2000ull;
    f.fop = 0x1D9;
    REQUIRE(r.exec(kFnstenv) == kRetired);
    const uint64_t e = CpuFixture::kData;
    CHECK(r.peek_val<uint32_t>(e + 0) == 0xFFFF0360);
    CHECK(r.peek_val<uint32_t>(e + 4) == 0xFFFF3000);
    CHECK(r.peek_val<uint32_t>(e + 8) == 0xFFFFFFA4); // p7..p4 empty, p3 10, p2 10, p1 01, p0 00
    CHECK(r.peek_val<uint32_t>(e + 12) == 0x00401000);
    CHECK(r.peek_val<uint32_t>(e + 16) == (0x0010u | (0x1D9u << 16)));
    CHECK(r.peek_val<uint32_t>(e + 20) == 0x00602000);
    CHECK(r.peek_val<uint32_t>(e + 24) == 0xFFFF0018);
    CHECK(f.fcw == 0x037F); // FNSTENV masks every exception

    // FLDENV: a different environment in; an empty tag clears the abridged bit.
    r.poke_val<uint32_t>(e + 0, 0xFFFF027F);
    r.poke_val<uint32_t>(e + 4, 0xFFFF0800);
    r.poke_val<uint32_t>(e + 8, 0xFFFFEFFC); // p0 valid, p6 special, others empty
    r.poke_val<uint32_t>(e + 16, 0x0123'0020);
    REQUIRE(r.exec(kFldenv) == kRetired);
    CHECK(f.fcw == 0x027F);
    CHECK(f.fsw == 0x0800);
    CHECK(f.ftw == 0x41);
    CHECK(f.fop == 0x123);
    CHECK(f.fip == 0x0000'0020'0040'1000ull);
}

TEST_CASE("x87: the 16-bit environment is 14 bytes", "[x87]") {
    SimdRig r;
    r.reg(RAX) = CpuFixture::kData;
    r.poke_val<uint64_t>(CpuFixture::kData + 8, 0xCCCCCCCCCCCCCCCCull);
    r.poke_val<uint64_t>(CpuFixture::kData + 16, 0xCCCCCCCCCCCCCCCCull);
    r.s().fpu.fip = 0x0000'0008'0000'1234ull;
    REQUIRE(r.exec({0x66, 0xd9, 0x30}) == kRetired); // fnstenv (16-bit operand size)
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 0) == 0x037F);
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 4) == 0xFFFF); // all empty
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 6) == 0x1234);
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 8) == 0x0008);
    CHECK(r.peek_val<uint16_t>(CpuFixture::kData + 14) == 0xCCCC); // nothing past 14 bytes
    r.poke_val<uint16_t>(CpuFixture::kData + 0, 0x007F);
    REQUIRE(r.exec({0x66, 0xd9, 0x20}) == kRetired); // fldenv (16-bit)
    CHECK(r.s().fpu.fcw == 0x007F);
}

TEST_CASE("x87: arithmetic and register forms have no rows and raise #UD", "[x87][fault]") {
    SimdRig r;
    CHECK(r.exec({0xd9, 0xe8}) == UD); // fld1
    CHECK(r.exec({0xde, 0xc1}) == UD); // faddp
    CHECK(r.exec({0xdb, 0xe4}) == UD); // fnsetpm (387-only)
    r.reg(RAX) = CpuFixture::kData;
    CHECK(r.exec({0xdd, 0x30}) == UD); // fnsave: not provided
}
