// Independent audit of hvlab's integer core against the Intel SDM, Dec 2023 (Order
// 325462-081), Vol. 2: arithmetic, logic, shifts, bit, BMI/ADX, atomics, moves, the 32-bit
// legacy instructions and the CPUID contract. One TEST_CASE per SDM rule, named after the rule.
// A case whose comment says "Before the fix" failed on the tree it was written against; the
// others cover rules hvlab already followed but no test checked.
#include "alu_rig.hpp"
#include "cpu/flags.hpp"
#include "cpu/system.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {
constexpr uint64_t kData = CpuFixture::kData;
constexpr uint64_t kPfPresent = 1, kPfWrite = 2;
} // namespace

// SDM Vol. 2B, MOVSXD: "66 63 /r MOVSXD r16, r/m16" - with a 16-bit operand size the source is
// a word. Before the fix hvlab read a doubleword, so a word at the end of the last mapped page
// raised #PF.
TEST_CASE("MOVSXD r16, r/m16 reads a word") {
    AluRig m;
    const uint64_t at = AluRig::kNotPresent - 2; // last word before a not-present page
    m.poke_val<uint16_t>(at, 0x8001);
    m.reg(RBX) = at;
    m.reg(RAX) = 0x1111222233334444ull;
    REQUIRE(m.exec({0x66, 0x63, 0x03}) == -1); // movsxd ax, word [rbx]
    CHECK(m.reg(RAX) == 0x1111222233338001ull);
}

// SDM Vol. 2A, CMPXCHG, Operation: "ELSE ZF := 0; accumulator := TEMP; DEST := TEMP" and
// "the destination operand is written back if the comparison fails". A failing compare on a
// read-only page is therefore a write fault (#PF with W/R = 1), and the accumulator and flags
// stay as they were because the instruction faulted.
TEST_CASE("CMPXCHG writes its memory destination back when the comparison fails") {
    AluRig m;
    m.poke_val<uint32_t>(AluRig::kReadOnly, 5);
    m.reg(RBX) = AluRig::kReadOnly, m.reg(RAX) = 0xAAAA'BBBB'0000'0007ull, m.reg(RCX) = 9;
    m.s().rflags = rflags::kFixed1 | rflags::CF | rflags::ZF;
    REQUIRE(m.exec({0x0F, 0xB1, 0x0B}) == PF); // cmpxchg [rbx], ecx
    CHECK(m.pushed_error_code() == (kPfPresent | kPfWrite));
    CHECK(m.s().cr2 == AluRig::kReadOnly);
    CHECK(m.reg(RAX) == 0xAAAA'BBBB'0000'0007ull);
    CHECK(m.pushed_rip(true) == CpuFixture::kCode);
    CHECK(m.peek_val<uint32_t>(AluRig::kReadOnly) == 5);
}

// SDM Vol. 2A, CMPXCHG8B/CMPXCHG16B, Operation: "ELSE ZF := 0; EDX:EAX := TEMP64;
// DEST := TEMP64" - the destination is written back on failure too.
TEST_CASE("CMPXCHG8B writes its destination back when the comparison fails") {
    AluRig m;
    m.poke_val<uint64_t>(AluRig::kReadOnly, 0x0000'0002'0000'0001ull);
    m.reg(RSI) = AluRig::kReadOnly, m.reg(RAX) = 7, m.reg(RDX) = 8;
    REQUIRE(m.exec({0x0F, 0xC7, 0x0E}) == PF); // cmpxchg8b [rsi]
    CHECK(m.pushed_error_code() == (kPfPresent | kPfWrite));
    CHECK(m.reg(RAX) == 7);
    CHECK(m.reg(RDX) == 8);
}

// SDM Vol. 2A, CMPXCHG8B/CMPXCHG16B: "#UD If the destination is a register" (0F C7 /1 has only
// a memory form).
TEST_CASE("CMPXCHG8B with a register operand is #UD") {
    AluRig m;
    CHECK(m.exec({0x0F, 0xC7, 0xC8}) == UD);
    AluRig n;
    CHECK(n.exec({0x48, 0x0F, 0xC7, 0xC8}) == UD);
}

// SDM Vol. 2A, IDIV, Operation (byte form): "temp := AX / SRC; IF (temp > 7FH) or (temp < 80H)
// THEN #DE". -32768 / -1 does not fit; -128 / 1 does. DIV r/m8: a quotient above FFH is #DE.
// Nothing is written when #DE is raised.
TEST_CASE("IDIV and DIV r/m8 raise #DE when the quotient does not fit AL") {
    AluRig m;
    m.reg(RAX) = 0x8000, m.reg(RCX) = 0xFF;
    CHECK(m.exec({0xF6, 0xF9}) == DE); // idiv cl
    CHECK(m.reg(RAX) == 0x8000);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode);
    AluRig n;
    n.reg(RAX) = 0xFF80, n.reg(RCX) = 1;
    REQUIRE(n.exec({0xF6, 0xF9}) == -1);
    CHECK(n.reg(RAX) == 0x0080); // AL = -128, AH = 0
    AluRig k;
    k.reg(RAX) = 0x0100, k.reg(RCX) = 1;
    CHECK(k.exec({0xF6, 0xF1}) == DE); // div cl
    CHECK(k.reg(RAX) == 0x0100);
}

// SDM Vol. 2B, RCL/RCR/ROL/ROR, Operation: "IF OperandSize = 8 THEN tempCOUNT := (COUNT AND
// 1FH) MOD 9; IF OperandSize = 16 THEN tempCOUNT := (COUNT AND 1FH) MOD 17". A count that
// reduces to 0 leaves the value and CF; 10 (8-bit) and 18 (16-bit) rotate by one.
TEST_CASE("RCL and RCR take 8-bit counts mod 9 and 16-bit counts mod 17 after masking") {
    AluRig m;
    m.s().rflags = rflags::kFixed1 | rflags::CF;
    m.reg(RAX) = 0x81, m.reg(RCX) = 0x29; // 41 & 31 = 9 -> 0
    REQUIRE(m.exec({0xD2, 0xD0}) == -1);  // rcl al, cl
    CHECK((m.reg(RAX) & 0xFF) == 0x81);
    CHECK((m.rflags() & rflags::CF) != 0);
    m.reg(RCX) = 10;                     // rotate by 1 through CF=1
    REQUIRE(m.exec({0xD2, 0xD0}) == -1); // rcl al, cl
    CHECK((m.reg(RAX) & 0xFF) == 0x03);
    CHECK((m.rflags() & rflags::CF) != 0);
    AluRig n;
    n.s().rflags = rflags::kFixed1;
    n.reg(RAX) = 0x8001, n.reg(RCX) = 17;
    REQUIRE(n.exec({0x66, 0xD3, 0xD8}) == -1); // rcr ax, cl
    CHECK((n.reg(RAX) & 0xFFFF) == 0x8001);
    CHECK((n.rflags() & rflags::CF) == 0);
    n.reg(RCX) = 18;
    REQUIRE(n.exec({0x66, 0xD3, 0xD8}) == -1); // rcr ax, cl: CF <- 1, bit 15 <- 0
    CHECK((n.reg(RAX) & 0xFFFF) == 0x4000);
    CHECK((n.rflags() & rflags::CF) != 0);
}

// SDM Vol. 2B, SAL/SAR/SHL/SHR, "Flags Affected": "If the count is 0, the flags are not
// affected". The memory operand is still an operand of the instruction: a not-present page
// faults even when the count is 0.
TEST_CASE("A shift by a masked count of 0 changes no flag but still accesses its operand") {
    AluRig m;
    m.s().rflags = rflags::kFixed1 | rflags::OF | rflags::SF | rflags::AF | rflags::CF;
    m.poke_val<uint32_t>(kData, 0x80000001);
    m.reg(RBX) = kData, m.reg(RCX) = 0x20; // masked to 0 for a 32-bit operand
    REQUIRE(m.exec({0xD3, 0x23}) == -1);   // shl dword [rbx], cl
    CHECK(m.peek_val<uint32_t>(kData) == 0x80000001);
    CHECK(m.arith() == (rflags::OF | rflags::SF | rflags::AF | rflags::CF));
    AluRig n;
    n.reg(RBX) = AluRig::kNotPresent, n.reg(RCX) = 0;
    CHECK(n.exec({0xD3, 0x23}) == PF);
}

// SDM Vol. 2A, CMOVcc: "the source operand is read ... whether or not the condition is
// satisfied" ("If the condition is not satisfied ... the source operand may be read and a
// memory fault may occur"), and in 64-bit mode a 32-bit destination is zero-extended even when
// the condition is false (Operation: "ELSE IF (OperandSize = 32 and IA-32e mode active) THEN
// DEST[63:32] := 0").
TEST_CASE("CMOVcc reads its source and zero-extends a 32-bit destination when false") {
    AluRig m;
    m.s().rflags = rflags::kFixed1; // ZF = 0: CMOVE is false
    m.reg(RAX) = 0xFFFF'FFFF'1234'5678ull, m.reg(RBX) = AluRig::kNotPresent;
    CHECK(m.exec({0x0F, 0x44, 0x03}) == PF); // cmove eax, [rbx]
    CHECK(m.reg(RAX) == 0xFFFF'FFFF'1234'5678ull);
    m.reg(RBX) = kData;
    REQUIRE(m.exec({0x0F, 0x44, 0x03}) == -1);
    CHECK(m.reg(RAX) == 0x1234'5678ull);
}

// SDM Vol. 2B, XCHG / NOP: 90 is NOP (no zero-extension of EAX) but 87 C0 (XCHG EAX, EAX) is a
// 32-bit register write and clears RAX[63:32] in 64-bit mode.
TEST_CASE("XCHG EAX, EAX as 87 C0 zero-extends RAX but 90 is a NOP") {
    AluRig m;
    m.reg(RAX) = 0x1234'5678'9ABC'DEF0ull;
    REQUIRE(m.exec({0x90}) == -1);
    CHECK(m.reg(RAX) == 0x1234'5678'9ABC'DEF0ull);
    REQUIRE(m.exec({0x87, 0xC0}) == -1);
    CHECK(m.reg(RAX) == 0x9ABC'DEF0ull);
}

// SDM Vol. 2A, BT, "Bit(BitBase, BitOffset)": with a register bit offset and a memory bit base
// the offset is signed; "16-bit operand: -2^15 to 2^15 - 1". BT word [rsi], AX with AX = FFFFH
// (-1) reads bit 15 of the word below the base.
TEST_CASE("BT with a 16-bit register offset treats it as a signed 16-bit bit offset") {
    AluRig m;
    m.poke_val<uint16_t>(kData - 2, 0x8000);
    m.reg(RSI) = kData, m.reg(RAX) = 0xFFFF;
    m.s().rflags = rflags::kFixed1;
    REQUIRE(m.exec({0x66, 0x0F, 0xA3, 0x06}) == -1); // bt [rsi], ax
    CHECK((m.rflags() & rflags::CF) != 0);
    m.reg(RAX) = 0x7FFF; // +32767: word at +4094, bit 15
    m.poke_val<uint16_t>(kData + 4094, 0x8000);
    m.s().rflags = rflags::kFixed1;
    REQUIRE(m.exec({0x66, 0xF0, 0x0F, 0xB3, 0x06}) == -1); // lock btr [rsi], ax
    CHECK((m.rflags() & rflags::CF) != 0);
    CHECK(m.peek_val<uint16_t>(kData + 4094) == 0);
}

// SDM Vol. 2B, MOVBE: "#UD If ... the destination/source operand is a register" (the opcode has
// only memory forms) and "If REP (F3H) prefix is used".
TEST_CASE("MOVBE with a register operand or an F3 prefix is #UD") {
    AluRig m;
    CHECK(m.exec({0x0F, 0x38, 0xF0, 0xC3}) == UD);
    AluRig n;
    CHECK(n.exec({0x0F, 0x38, 0xF1, 0xC3}) == UD);
    AluRig k;
    k.reg(RBX) = kData;
    CHECK(k.exec({0xF3, 0x0F, 0x38, 0xF0, 0x03}) == UD);
}

// SDM Vol. 2A, ADC, Operation: DEST := DEST + SRC + CF. FFH + FFH + 1 = 1FFH: AL = FFH, CF = 1
// (carry out), AF = 1 (F + F + 1 carries out of bit 3), OF = 0 (-1 + -1 + 1 = -1), SF = 1.
TEST_CASE("ADC with CF set and all-ones operands sets CF and AF but not OF") {
    for (unsigned size : {1u, 2u, 4u, 8u}) {
        AluRig m;
        m.s().rflags = rflags::kFixed1 | rflags::CF;
        m.reg(RAX) = ~0ull, m.reg(RBX) = ~0ull;
        std::vector<uint8_t> code;
        if (size == 2) code.push_back(0x66);
        if (size == 8) code.push_back(0x48);
        code.push_back(size == 1 ? 0x10 : 0x11);
        code.push_back(0xD8); // adc al/ax/eax/rax, bl/bx/ebx/rbx
        REQUIRE(m.exec(code) == -1);
        INFO("size " << size);
        CHECK((m.reg(RAX) & size_mask(size)) == size_mask(size));
        CHECK(m.arith() == (rflags::CF | rflags::AF | rflags::SF | rflags::PF));
    }
}

// SDM Vol. 2B, MULX: "If the first and second operand are identical, it will contain the high
// half of the multiplication result."
TEST_CASE("MULX with the same register for both destinations keeps the high half") {
    AluRig m;
    m.reg(RDX) = 0xFFFF'FFFF'FFFF'FFFFull, m.reg(RBX) = 3;
    // mulx rax, rax, rbx: VEX.F2.0F38.W1 F6 /r, vvvv = rax
    REQUIRE(m.exec({0xC4, 0xE2, 0xFB, 0xF6, 0xC3}) == -1);
    CHECK(m.reg(RAX) == 2);
}

// SDM Vol. 2A, BOUND: "#BR If the bounds test fails" (a fault: the saved instruction pointer
// is the BOUND instruction's) and "#UD If second operand is not a memory location".
TEST_CASE("BOUND raises #BR as a fault and #UD for a register operand") {
    AluRig m(TestMode::Protected32);
    m.poke_val<int32_t>(kData, 0);
    m.poke_val<int32_t>(kData + 4, 10);
    m.reg(RSI) = kData, m.reg(RAX) = uint64_t(-1);
    REQUIRE(m.exec({0x62, 0x06}) == BR); // bound eax, [esi]: -1 < 0
    CHECK(m.pushed_rip(false) == CpuFixture::kCode);
    AluRig w(TestMode::Protected32);
    w.poke_val<int16_t>(kData, -3);
    w.poke_val<int16_t>(kData + 2, 3);
    w.reg(RSI) = kData, w.reg(RAX) = 0xFFFD; // -3 as a word
    CHECK(w.exec({0x66, 0x62, 0x06}) == -1); // bound ax, [esi]
    w.reg(RAX) = 4;
    CHECK(w.exec({0x66, 0x62, 0x06}) == BR);
    AluRig r(TestMode::Protected32);
    CHECK(r.exec({0x62, 0xC0}) == UD);
}

// SDM Vol. 2A, AAM: "#DE If an immediate value of 0 is used"; AX is unchanged.
TEST_CASE("AAM with a zero base raises #DE and leaves AX") {
    AluRig m(TestMode::Protected32);
    m.reg(RAX) = 0x1234;
    CHECK(m.exec({0xD4, 0x00}) == DE);
    CHECK(m.reg(RAX) == 0x1234);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode);
}

// SDM Vol. 2B, RDTSC: "#GP(0) If the TSD flag in register CR4 is set and the CPL is greater
// than 0"; RDTSCP likewise, and RDTSCP loads ECX with IA32_TSC_AUX[31:0].
TEST_CASE("RDTSC and RDTSCP with CR4.TSD at CPL 3 raise #GP(0) and RDTSCP returns TSC_AUX") {
    for (bool rdtscp : {false, true}) {
        AluRig u;
        u.s().cr4 |= cr4::TSD;
        u.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
        u.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
        u.cpu.invalidate_caches();
        const std::vector<uint8_t> code =
            rdtscp ? std::vector<uint8_t>{0x0F, 0x01, 0xF9} : std::vector<uint8_t>{0x0F, 0x31};
        CHECK(u.exec(code) == GP);
        CHECK(u.pushed_error_code() == 0);
    }
    AluRig m;
    m.s().cr4 |= cr4::TSD; // CPL 0: allowed
    m.s().msr.tsc_aux = 0x1234'5678;
    m.reg(RCX) = ~0ull;
    REQUIRE(m.exec({0x0F, 0x01, 0xF9}) == -1);
    CHECK(m.reg(RCX) == 0x1234'5678);
}

// SALC (D6): the SDM's opcode map leaves D6 blank, but Intel processors execute it outside
// 64-bit mode as "AL := CF ? FFH : 00H" with no flag change (Intel's name SALC; QEMU and Bochs
// model it). In 64-bit mode it is #UD. Before the fix hvlab raised #UD in 32-bit mode too.
TEST_CASE("SALC sets AL from CF outside 64-bit mode and is #UD in 64-bit mode") {
    AluRig m(TestMode::Protected32);
    m.reg(RAX) = 0x12345678;
    REQUIRE(m.exec({0xF9, 0xD6}) == -1); // stc; salc
    CHECK(m.reg(RAX) == 0x123456FF);
    CHECK((m.rflags() & rflags::CF) != 0);
    REQUIRE(m.exec({0xF8, 0xD6}) == -1); // clc; salc
    CHECK(m.reg(RAX) == 0x12345600);
    CHECK((m.rflags() & rflags::CF) == 0);
    AluRig c(TestMode::Compat32);
    REQUIRE(c.exec({0xF9, 0xD6}) == -1);
    CHECK((c.reg(RAX) & 0xFF) == 0xFF);
    AluRig l;
    CHECK(l.exec({0xD6}) == UD);
}

// SDM Vol. 2A, LDS/LES/LFS/LGS/LSS, Operation: the far pointer's offset goes to the register
// and its selector to the segment register; "16-bit operand size: offset is 16 bits, selector
// at offset+2", 32-bit: selector at +4, 64-bit (REX.W): selector at +8. A segment load that
// faults (#GP(selector) / LSS with a null selector #GP(0)) leaves the register unchanged.
TEST_CASE("LDS, LES, LFS, LGS and LSS load the offset and selector of a far pointer") {
    AluRig m(TestMode::Protected32);
    m.poke_val<uint32_t>(kData, 0xCAFEBABE);
    m.poke_val<uint16_t>(kData + 4, CpuFixture::kData32);
    m.reg(RSI) = kData;
    m.s().seg[ES].selector = 0;
    REQUIRE(m.exec({0xC4, 0x06}) == -1); // les eax, [esi]
    CHECK(m.reg(RAX) == 0xCAFEBABE);
    CHECK(m.s().seg[ES].selector == CpuFixture::kData32);
    m.poke_val<uint16_t>(kData + 8, 0x1234);
    m.poke_val<uint16_t>(kData + 10, CpuFixture::kData32);
    m.reg(RSI) = kData + 8, m.reg(RBX) = 0xFFFF0000;
    REQUIRE(m.exec({0x66, 0x0F, 0xB4, 0x1E}) == -1); // lfs bx, [esi]
    CHECK(m.reg(RBX) == 0xFFFF1234);
    CHECK(m.s().seg[FS].selector == CpuFixture::kData32);
    m.poke_val<uint16_t>(kData + 4, 0);
    m.reg(RSI) = kData, m.reg(RAX) = 1;
    CHECK(m.exec({0x0F, 0xB2, 0x06}) == GP); // lss eax, [esi] with a null selector
    CHECK(m.pushed_error_code() == 0);
    CHECK(m.reg(RAX) == 1);
    AluRig l;
    l.poke_val<uint64_t>(kData, 0x1122'3344'5566'7788ull);
    l.poke_val<uint16_t>(kData + 8, CpuFixture::kData32);
    l.reg(RSI) = kData;
    REQUIRE(l.exec({0x48, 0x0F, 0xB5, 0x06}) == -1); // lgs rax, [rsi]
    CHECK(l.reg(RAX) == 0x1122'3344'5566'7788ull);
    CHECK(l.s().seg[GS].selector == CpuFixture::kData32);
    CHECK(l.exec({0xC5, 0x06}) == UD); // LDS is invalid in 64-bit mode (C5 is VEX there)
}

// SDM Vol. 2A, ARPL: "IF DEST[RPL] < SRC[RPL] THEN ZF := 1; DEST[RPL] := SRC[RPL]; ELSE
// ZF := 0". In 64-bit mode 63 is MOVSXD.
TEST_CASE("ARPL raises the destination RPL, sets ZF only when it did, memory form too") {
    AluRig m(TestMode::Protected32);
    m.poke_val<uint16_t>(kData, 0x0029);
    m.reg(RSI) = kData, m.reg(RCX) = 0x3;
    REQUIRE(m.exec({0x63, 0x0E}) == -1); // arpl [esi], cx
    CHECK(m.peek_val<uint16_t>(kData) == 0x002B);
    CHECK((m.rflags() & rflags::ZF) != 0);
    REQUIRE(m.exec({0x63, 0x0E}) == -1); // RPL already 3: no change, ZF = 0
    CHECK(m.peek_val<uint16_t>(kData) == 0x002B);
    CHECK((m.rflags() & rflags::ZF) == 0);
}

// SDM Vol. 2A, DAA/DAS, Operation, for every AL, CF and AF: AL, CF, AF as in the pseudo-code;
// "The SF, ZF, and PF flags are set according to the result".
TEST_CASE("DAA and DAS follow the SDM Operation for every AL, CF and AF") {
    AluRig m(TestMode::Protected32);
    for (int sub = 0; sub < 2; ++sub)
        for (unsigned v = 0; v < 256; ++v)
            for (unsigned cfaf = 0; cfaf < 4; ++cfaf) {
                const bool cf0 = cfaf & 1, af0 = cfaf & 2;
                unsigned al = v;
                bool cf = false, af = false;
                if ((al & 0xF) > 9 || af0) {
                    const unsigned t = sub ? al - 6 : al + 6;
                    cf = cf0 || (t > 0xFF); // carry / borrow out of AL
                    al = t & 0xFF;
                    af = true;
                }
                if (v > 0x99 || cf0) {
                    al = (sub ? al - 0x60 : al + 0x60) & 0xFF;
                    cf = true;
                } else if (!sub) {
                    cf = false;
                }
                m.reg(RAX) = 0xAB00 | v;
                m.s().rflags = rflags::kFixed1 | (cf0 ? rflags::CF : 0) | (af0 ? rflags::AF : 0);
                REQUIRE(m.exec({uint8_t(sub ? 0x2F : 0x27)}) == -1);
                INFO((sub ? "DAS" : "DAA") << " AL=" << v << " CF=" << cf0 << " AF=" << af0);
                CHECK(m.reg(RAX) == (0xAB00 | al));
                const uint64_t want = (cf ? rflags::CF : 0) | (af ? rflags::AF : 0) |
                                      (al == 0 ? rflags::ZF : 0) | ((al & 0x80) ? rflags::SF : 0) |
                                      (__builtin_parity(al) ? 0 : rflags::PF);
                CHECK((m.arith() & ~rflags::OF) == want);
            }
}

// SDM Vol. 2A, AAA/AAS, Operation: "IF ((AL AND 0FH) > 9) or (AF = 1) THEN AX := AX + 106H
// (AAS: AX := AX - 6; AH := AH - 1); AF := 1; CF := 1; ELSE AF := 0; CF := 0; FI;
// AL := AL AND 0FH".
TEST_CASE("AAA and AAS follow the SDM Operation for every AL and AF") {
    AluRig m(TestMode::Protected32);
    for (int sub = 0; sub < 2; ++sub)
        for (unsigned v = 0; v < 256; ++v)
            for (bool af0 : {false, true}) {
                const unsigned ax0 = 0x3700 | v;
                unsigned ax = ax0;
                const bool adj = (v & 0xF) > 9 || af0;
                if (adj) ax = sub ? (((ax - 6) & 0xFFFF) - 0x100) & 0xFFFF : (ax + 0x106) & 0xFFFF;
                ax &= 0xFF0F;
                m.reg(RAX) = ax0;
                m.s().rflags = rflags::kFixed1 | (af0 ? rflags::AF : 0);
                REQUIRE(m.exec({uint8_t(sub ? 0x3F : 0x37)}) == -1);
                INFO((sub ? "AAS" : "AAA") << " AL=" << v << " AF=" << af0);
                CHECK(m.reg(RAX) == ax);
                CHECK((m.arith() & (rflags::CF | rflags::AF)) ==
                      (adj ? rflags::CF | rflags::AF : 0));
            }
}

// SDM Vol. 2A, AAM/AAD, Operation: AAM: "AH := tempAL / imm8; AL := tempAL MOD imm8"; AAD:
// "AL := (tempAL + (tempAH * imm8)) AND FFH; AH := 0"; "The SF, ZF, and PF flags are set
// according to the resulting binary value in the AL register" - with any base, not only 10.
TEST_CASE("AAM and AAD with any base set AL, AH and SF ZF PF from AL") {
    AluRig m(TestMode::Protected32);
    for (unsigned base : {10u, 16u, 7u, 255u, 1u})
        for (unsigned v = 0; v < 256; v += 3) {
            m.reg(RAX) = 0x5500 | v;
            REQUIRE(m.exec({0xD4, uint8_t(base)}) == -1);
            const unsigned al = v % base, ah = v / base;
            CHECK(m.reg(RAX) == ((ah << 8) | al));
            CHECK((m.arith() & (rflags::SF | rflags::ZF | rflags::PF)) ==
                  ((al == 0 ? rflags::ZF : 0) | ((al & 0x80) ? rflags::SF : 0) |
                   (__builtin_parity(al) ? 0 : rflags::PF)));
            m.reg(RAX) = (v << 8) | 0x33;
            REQUIRE(m.exec({0xD5, uint8_t(base)}) == -1);
            const unsigned al2 = (0x33 + v * base) & 0xFF;
            CHECK(m.reg(RAX) == al2);
            CHECK((m.arith() & (rflags::SF | rflags::ZF | rflags::PF)) ==
                  ((al2 == 0 ? rflags::ZF : 0) | ((al2 & 0x80) ? rflags::SF : 0) |
                   (__builtin_parity(al2) ? 0 : rflags::PF)));
        }
}

// SDM Vol. 2A, INTO: "IF OF = 1 ... THEN ... CALL int 4" - a trap: the saved EIP is the next
// instruction; with OF = 0 it does nothing. Invalid in 64-bit mode.
TEST_CASE("INTO raises #OF as a trap only when OF is set, and is #UD in 64-bit mode") {
    AluRig m(TestMode::Protected32);
    m.s().rflags = rflags::kFixed1;
    CHECK(m.exec({0xCE}) == -1);
    m.s().rflags = rflags::kFixed1 | rflags::OF;
    CHECK(m.exec({0xCE}) == OF);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 1);
    AluRig l;
    l.s().rflags = rflags::kFixed1 | rflags::OF;
    CHECK(l.exec({0xCE}) == UD);
}

// SDM Vol. 2B, PUSHA/PUSHAD and POPA/POPAD: "Temp := (ESP); Push(EAX); Push(ECX); Push(EDX);
// Push(EBX); Push(Temp); Push(EBP); Push(ESI); Push(EDI)"; POPAD skips the ESP image. The
// 16-bit forms push the 16-bit registers and keep the upper register halves on POPA.
TEST_CASE("PUSHAD pushes the original ESP and POPA skips it, 16- and 32-bit forms") {
    AluRig m(TestMode::Protected32);
    const uint64_t sp = CpuFixture::kStackTop;
    for (unsigned r = 0; r < 8; ++r)
        if (r != RSP) m.reg(Gpr(r)) = 0x1000'0000u * (r + 1) + r;
    REQUIRE(m.exec({0x60}) == -1); // pushad
    CHECK(m.reg(RSP) == sp - 32);
    for (unsigned r = 0; r < 8; ++r)
        CHECK(m.peek_val<uint32_t>(sp - 4 * (r + 1)) ==
              (r == RSP ? sp : 0x1000'0000u * (r + 1) + r));
    m.poke_val<uint32_t>(sp - 20, 0xDEAD); // the ESP image is ignored
    for (unsigned r = 0; r < 8; ++r)
        if (r != RSP) m.reg(Gpr(r)) = 0;
    REQUIRE(m.exec({0x61}) == -1); // popad
    CHECK(m.reg(RSP) == sp);
    CHECK(m.reg(RAX) == 0x1000'0000u);
    CHECK(m.reg(RDI) == 0x8000'0007u);
    AluRig w(TestMode::Protected32);
    w.reg(RAX) = 0xAAAA'1111, w.reg(RDI) = 0xBBBB'2222;
    REQUIRE(w.exec({0x66, 0x60}) == -1); // pushaw
    CHECK(w.reg(RSP) == sp - 16);
    CHECK(w.peek_val<uint16_t>(sp - 2) == 0x1111);
    CHECK(w.peek_val<uint16_t>(sp - 10) == uint16_t(sp));
    CHECK(w.peek_val<uint16_t>(sp - 16) == 0x2222);
    w.poke_val<uint16_t>(sp - 2, 0x3333);
    REQUIRE(w.exec({0x66, 0x61}) == -1); // popaw
    CHECK(w.reg(RAX) == 0xAAAA'3333);
    CHECK(w.reg(RSP) == sp);
}

// SDM Vol. 2A, LEA: "IF OperandSize = 16 and AddressSize = 32 THEN DEST := Effective
// Address[15:0]" / "OperandSize = 64 and AddressSize = 32: the 32-bit address is zero-extended"
// / "OperandSize = 32 and AddressSize = 64: DEST := Effective Address[31:0]".
TEST_CASE("LEA truncates or zero-extends the address to the operand size") {
    AluRig m;
    m.reg(RBX) = 0xFFFF'FFFF'FFFF'FFF0ull, m.reg(RCX) = 0x20;
    m.reg(RAX) = 0x5555'5555'5555'5555ull;
    REQUIRE(m.exec({0x67, 0x48, 0x8D, 0x04, 0x0B}) == -1); // lea rax, [ebx+ecx]
    CHECK(m.reg(RAX) == 0x10);
    REQUIRE(m.exec({0x8D, 0x04, 0x0B}) == -1); // lea eax, [rbx+rcx]
    CHECK(m.reg(RAX) == 0x10);
    m.reg(RAX) = 0x5555'5555'5555'5555ull;
    m.reg(RBX) = 0x1234'5678;
    REQUIRE(m.exec({0x66, 0x8D, 0x04, 0x0B}) == -1); // lea ax, [rbx+rcx]
    CHECK(m.reg(RAX) == 0x5555'5555'5555'5698ull);
    CHECK(m.exec({0x8D, 0xC0}) == UD); // register operand
}

// SDM Vol. 2B, XADD, Operation: "TEMP := SRC + DEST; SRC := DEST; DEST := TEMP" - with one
// register for both, the register ends up with the sum. Flags as ADD.
TEST_CASE("XADD with the same register for both operands keeps the sum") {
    AluRig m;
    m.reg(RAX) = 0x8000'0000;
    REQUIRE(m.exec({0x0F, 0xC1, 0xC0}) == -1); // xadd eax, eax
    CHECK(m.reg(RAX) == 0);
    CHECK(m.arith() == (rflags::CF | rflags::ZF | rflags::PF | rflags::OF));
}

namespace {
struct FeatureProbe {
    const char* name;
    uint32_t leaf, subleaf;
    char reg; // 'b', 'c', 'd'
    unsigned bit;
    std::vector<uint8_t> code; // runs with RSI = an aligned data address
};
} // namespace

// SDM Vol. 2A, CPUID: each instruction's page names the feature flag that enumerates it, and
// its "Exceptions" say "#UD If CPUID.(...)[bit n] = 0". hvlab's CPUID advertises exactly what it
// implements, so for every general-purpose instruction: executes if its bit is set, #UD if not.
// Before the fix PREFETCHW (0F 0D /1, flag CPUID.80000001H:ECX.PREFETCHW[bit 8]) ran although
// the bit was clear; it is now advertised (a prefetch is a hint, so running it as one is a
// complete implementation).
TEST_CASE("Each general-purpose instruction executes exactly when CPUID enumerates it") {
    const std::vector<FeatureProbe> probes = {
        {"CMPXCHG8B", 1, 0, 'd', 8, {0x0F, 0xC7, 0x0E}},
        {"CMOV", 1, 0, 'd', 15, {0x0F, 0x44, 0xC0}},
        {"CMPXCHG16B", 1, 0, 'c', 13, {0x48, 0x0F, 0xC7, 0x0E}},
        {"MOVBE", 1, 0, 'c', 22, {0x0F, 0x38, 0xF0, 0x06}},
        {"POPCNT", 1, 0, 'c', 23, {0xF3, 0x0F, 0xB8, 0xC0}},
        {"CRC32 (SSE4.2)", 1, 0, 'c', 20, {0xF2, 0x0F, 0x38, 0xF0, 0xC0}},
        {"RDRAND", 1, 0, 'c', 30, {0x0F, 0xC7, 0xF0}},
        {"XSAVE", 1, 0, 'c', 26, {0x0F, 0xAE, 0x26}},
        {"RDSEED", 7, 0, 'b', 18, {0x0F, 0xC7, 0xF8}},
        {"ANDN (BMI1)", 7, 0, 'b', 3, {0xC4, 0xE2, 0x78, 0xF2, 0xC0}},
        {"BZHI (BMI2)", 7, 0, 'b', 8, {0xC4, 0xE2, 0x78, 0xF5, 0xC0}},
        {"ADCX (ADX)", 7, 0, 'b', 19, {0x66, 0x0F, 0x38, 0xF6, 0xC0}},
        {"XTEST (RTM)", 7, 0, 'b', 11, {0x0F, 0x01, 0xD6}},
        {"RDPKRU (PKU)", 7, 0, 'c', 3, {0x0F, 0x01, 0xEE}},
        {"MOVDIRI", 7, 0, 'c', 27, {0x0F, 0x38, 0xF9, 0x06}},
        {"RDPID", 7, 0, 'c', 22, {0xF3, 0x0F, 0xC7, 0xF8}},
        {"SERIALIZE", 7, 0, 'd', 14, {0x0F, 0x01, 0xE8}},
        {"LAHF (64-bit)", 0x8000'0001, 0, 'c', 0, {0x9F}},
        {"RDTSCP", 0x8000'0001, 0, 'd', 27, {0x0F, 0x01, 0xF9}},
        {"PREFETCHW", 0x8000'0001, 0, 'c', 8, {0x0F, 0x0D, 0x0E}},
        {"XGETBV (XSAVE)", 1, 0, 'c', 26, {0x0F, 0x01, 0xD0}},
        {"CLFLUSHOPT", 7, 0, 'b', 23, {0x66, 0x0F, 0xAE, 0x3E}},
        {"CLWB", 7, 0, 'b', 24, {0x66, 0x0F, 0xAE, 0x36}},
        {"UMONITOR (WAITPKG)", 7, 0, 'c', 5, {0xF3, 0x0F, 0xAE, 0xF6}},
        {"MOVDIR64B", 7, 0, 'c', 28, {0x66, 0x0F, 0x38, 0xF8, 0x06}},
        {"ENQCMD", 7, 0, 'c', 29, {0xF2, 0x0F, 0x38, 0xF8, 0x06}},
        {"PTWRITE", 0x14, 0, 'b', 4, {0xF3, 0x0F, 0xAE, 0x26}},
    };
    for (const FeatureProbe& p : probes) {
        AluRig m;
        const CpuidResult r = cpuid(m.s(), p.leaf, p.subleaf);
        const uint32_t v = p.reg == 'b' ? r.ebx : p.reg == 'c' ? r.ecx : r.edx;
        const bool advertised = (v >> p.bit) & 1;
        m.reg(RSI) = kData;
        INFO(p.name << (advertised ? " (advertised)" : " (not advertised)"));
        CHECK(m.exec(p.code) == (advertised ? -1 : int(UD)));
    }
}

// SDM Vol. 2A, LZCNT: "LZCNT ... on processors that do not support LZCNT, the instruction byte
// encoding is executed as BSR"; with CPUID.80000001H:ECX.LZCNT[bit 5] = 1 F3 0F BD counts
// (32 for a zero source, CF = 1). TZCNT likewise with BMI1 (F3 0F BC).
TEST_CASE("F3 0F BD is LZCNT and F3 0F BC is TZCNT as CPUID enumerates them") {
    AluRig m;
    const bool lzcnt = (cpuid(m.s(), 0x8000'0001, 0).ecx >> 5) & 1;
    const bool bmi1 = (cpuid(m.s(), 7, 0).ebx >> 3) & 1;
    m.reg(RBX) = 0, m.reg(RAX) = 77;
    REQUIRE(m.exec({0xF3, 0x0F, 0xBD, 0xC3}) == -1); // lzcnt eax, ebx
    CHECK(m.reg(RAX) == (lzcnt ? 32u : 77u));
    m.reg(RBX) = 0x10, m.reg(RAX) = 0;
    REQUIRE(m.exec({0xF3, 0x0F, 0xBD, 0xC3}) == -1);
    CHECK(m.reg(RAX) == (lzcnt ? 27u : 4u));
    REQUIRE(m.exec({0xF3, 0x0F, 0xBC, 0xC3}) == -1); // tzcnt eax, ebx
    CHECK(m.reg(RAX) == 4);
    m.reg(RBX) = 0, m.reg(RAX) = 77;
    REQUIRE(m.exec({0x66, 0xF3, 0x0F, 0xBC, 0xC3}) == -1); // tzcnt ax, bx
    CHECK(m.reg(RAX) == (bmi1 ? 16u : 77u));
    CHECK((m.rflags() & rflags::CF) == (bmi1 ? rflags::CF : 0));
}

// SDM Vol. 2A, "LOCK—Assert LOCK# Signal Prefix": "The LOCK prefix can be prepended
// only to the following instructions and only to those forms of the instructions where the
// destination operand is a memory operand: ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B,
// CMPXCHG16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, and XCHG." Every such form runs with
// LOCK and gives the same result as without it.
TEST_CASE("LOCK is accepted on every lockable form with a memory destination") {
    const std::vector<std::vector<uint8_t>> forms = {
        {0x00, 0x06},
        {0x01, 0x06},
        {0x48, 0x01, 0x06},
        {0x66, 0x01, 0x06},
        {0x08, 0x06},
        {0x09, 0x06},
        {0x10, 0x06},
        {0x11, 0x06},
        {0x18, 0x06},
        {0x19, 0x06},
        {0x20, 0x06},
        {0x21, 0x06},
        {0x28, 0x06},
        {0x29, 0x06},
        {0x30, 0x06},
        {0x31, 0x06},
        {0x80, 0x06, 0x7F},
        {0x81, 0x0E, 1, 2, 3, 4},
        {0x83, 0x16, 0x85},
        {0x80, 0x1E, 3},
        {0x83, 0x26, 0xF0},
        {0x81, 0x2E, 9, 0, 0, 0},
        {0x83, 0x36, 0x55},
        {0xF6, 0x16},
        {0xF7, 0x16},
        {0xF6, 0x1E},
        {0xF7, 0x1E},
        {0xFE, 0x06},
        {0xFE, 0x0E},
        {0xFF, 0x06},
        {0x48, 0xFF, 0x0E},
        {0x0F, 0xAB, 0x06},
        {0x0F, 0xB3, 0x06},
        {0x0F, 0xBB, 0x06},
        {0x0F, 0xBA, 0x2E, 5},
        {0x0F, 0xBA, 0x36, 6},
        {0x0F, 0xBA, 0x3E, 7},
        {0x0F, 0xB0, 0x06},
        {0x0F, 0xB1, 0x06},
        {0x0F, 0xC7, 0x0E},
        {0x48, 0x0F, 0xC7, 0x0E},
        {0x0F, 0xC0, 0x06},
        {0x0F, 0xC1, 0x06},
        {0x86, 0x06},
        {0x87, 0x06},
    };
    for (const auto& form : forms) {
        AluRig plain, locked;
        for (AluRig* m : {&plain, &locked}) {
            m->poke_val<uint64_t>(kData, 0x0123'4567'89AB'CDEFull);
            m->poke_val<uint64_t>(kData + 8, 0xFEDC'BA98'7654'3210ull);
            m->reg(RSI) = kData, m->reg(RAX) = 0x23; // also the bit offset of BTS/BTR/BTC
            m->reg(RDX) = 0xFEDC'BA98'7654'3210ull, m->reg(RBX) = 0x1111, m->reg(RCX) = 0x2222;
            m->s().rflags = rflags::kFixed1 | rflags::CF;
        }
        std::vector<uint8_t> with_lock = {0xF0};
        with_lock.insert(with_lock.end(), form.begin(), form.end());
        INFO("form " << std::hex << int(form[0]) << " " << int(form[1]));
        REQUIRE(plain.exec(form) == -1);
        REQUIRE(locked.exec(with_lock) == -1);
        CHECK(locked.peek_val<uint64_t>(kData) == plain.peek_val<uint64_t>(kData));
        CHECK(locked.peek_val<uint64_t>(kData + 8) == plain.peek_val<uint64_t>(kData + 8));
        for (Gpr r : {RAX, RCX, RDX, RBX})
            CHECK(locked.reg(r) == plain.reg(r));
        CHECK(locked.rflags() == plain.rflags());
    }
}

// The same prefix rule: "An undefined opcode exception will also be generated if the LOCK
// prefix is used with any instruction not in the above list" - CMP, TEST, MOV, BT to memory and
// MOVBE stores are #UD with LOCK, as is a lockable instruction with a register destination.
TEST_CASE("LOCK on a non-lockable instruction or a register destination is #UD") {
    const std::vector<std::vector<uint8_t>> forms = {
        {0xF0, 0x39, 0x06},          {0xF0, 0x80, 0x3E, 1},
        {0xF0, 0x85, 0x06},          {0xF0, 0xF6, 0x06, 1},
        {0xF0, 0x89, 0x06},          {0xF0, 0x0F, 0xA3, 0x06},
        {0xF0, 0x0F, 0xBA, 0x26, 1}, {0xF0, 0x0F, 0x38, 0xF1, 0x06},
        {0xF0, 0x87, 0xC0},          {0xF0, 0x0F, 0xC1, 0xC0},
        {0xF0, 0xD1, 0x26},          {0xF0, 0x0F, 0xB1, 0xC1},
    };
    for (const auto& form : forms) {
        AluRig m;
        m.reg(RSI) = kData;
        INFO("form " << std::hex << int(form[1]) << " " << int(form[2]));
        CHECK(m.exec(form) == UD);
    }
}

// cpu/UNDEFINED_FLAGS.md records one choice where the SDM leaves a result or flag undefined;
// Unicorn cannot check these, so they are pinned here: BSWAP r16 ("the result ... is
// undefined") clears the low 16 bits; BSF/BSR with a zero source keep the destination (a 32-bit
// destination is zero-extended); DIV/IDIV leave every arithmetic flag; BT/BTS leave OF SF AF PF.
TEST_CASE("Undefined results and flags follow the documented choices") {
    AluRig m;
    m.reg(RAX) = 0x1122'3344'5566'7788ull;
    REQUIRE(m.exec({0x66, 0x0F, 0xC8}) == -1); // bswap ax
    CHECK(m.reg(RAX) == 0x1122'3344'5566'0000ull);
    m.reg(RAX) = 0xAAAA'BBBB'CCCC'DDDDull, m.reg(RBX) = 0;
    REQUIRE(m.exec({0x0F, 0xBC, 0xC3}) == -1); // bsf eax, ebx
    CHECK(m.reg(RAX) == 0xCCCC'DDDDull);
    CHECK((m.rflags() & rflags::ZF) != 0);
    m.reg(RAX) = 0xAAAA'BBBB'CCCC'DDDDull;
    REQUIRE(m.exec({0x66, 0x0F, 0xBD, 0xC3}) == -1); // bsr ax, bx
    CHECK(m.reg(RAX) == 0xAAAA'BBBB'CCCC'DDDDull);
    const uint64_t all = rflags::kArith;
    m.s().rflags = rflags::kFixed1 | all;
    m.reg(RAX) = 100, m.reg(RDX) = 0, m.reg(RCX) = 7;
    REQUIRE(m.exec({0xF7, 0xF1}) == -1); // div ecx
    CHECK(m.arith() == all);
    m.s().rflags = rflags::kFixed1;
    REQUIRE(m.exec({0xF7, 0xF9}) == -1); // idiv ecx
    CHECK(m.arith() == 0);
    m.s().rflags = rflags::kFixed1 | rflags::OF | rflags::SF | rflags::AF | rflags::PF;
    m.reg(RAX) = 1, m.reg(RCX) = 0;
    REQUIRE(m.exec({0x0F, 0xAB, 0xC8}) == -1); // bts eax, ecx: bit 0 was set
    CHECK(m.arith() == (rflags::OF | rflags::SF | rflags::AF | rflags::PF | rflags::CF));
}

// SDM Vol. 2B, MOVSX/MOVSXD: "63 /r MOVSXD r32, r/m32" without REX.W is a 32-bit move: in
// 64-bit mode the result is zero-extended into the 64-bit register, not sign-extended.
TEST_CASE("MOVSXD without REX.W moves 32 bits and zero-extends") {
    AluRig m;
    m.reg(RBX) = 0x8000'0000, m.reg(RAX) = ~0ull;
    REQUIRE(m.exec({0x63, 0xC3}) == -1); // movsxd eax, ebx
    CHECK(m.reg(RAX) == 0x8000'0000ull);
    REQUIRE(m.exec({0x48, 0x63, 0xC3}) == -1); // movsxd rax, ebx
    CHECK(m.reg(RAX) == 0xFFFF'FFFF'8000'0000ull);
}

// cpu/UNDEFINED_FLAGS.md, the BCD rows (SDM Vol. 2A, "Flags Affected" of each: DAA/DAS "The OF
// flag is undefined"; AAA/AAS "The OF, SF, ZF, and PF flags are undefined"; AAM/AAD "The OF,
// AF, and CF flags are undefined"): DAA/DAS clear OF, AAA/AAS leave OF SF ZF PF, AAM/AAD clear
// OF AF CF.
TEST_CASE("The BCD adjustments' undefined flags follow the documented choices") {
    AluRig m(TestMode::Protected32);
    for (uint8_t op : {uint8_t(0x27), uint8_t(0x2F)}) {
        m.reg(RAX) = 0x7F, m.s().rflags = rflags::kFixed1 | rflags::OF;
        REQUIRE(m.exec({op}) == -1);
        CHECK((m.rflags() & rflags::OF) == 0);
    }
    for (uint8_t op : {uint8_t(0x37), uint8_t(0x3F)})
        for (uint64_t keep : {uint64_t(0), rflags::OF | rflags::SF | rflags::ZF | rflags::PF}) {
            m.reg(RAX) = 0x0A, m.s().rflags = rflags::kFixed1 | keep;
            REQUIRE(m.exec({op}) == -1);
            CHECK((m.arith() & (rflags::OF | rflags::SF | rflags::ZF | rflags::PF)) == keep);
        }
    for (uint8_t op : {uint8_t(0xD4), uint8_t(0xD5)}) {
        m.reg(RAX) = 0x0909, m.s().rflags = rflags::kFixed1 | rflags::OF | rflags::AF | rflags::CF;
        REQUIRE(m.exec({op, 10}) == -1);
        CHECK((m.arith() & (rflags::OF | rflags::AF | rflags::CF)) == 0);
    }
}

// SDM Vol. 2B, NOP: "The multi-byte form of NOP is available on processors with model encoding
// ... 0F 1F /0" (Table 4-12 "Recommended Multi-Byte Sequence of NOP Instruction", lengths 2 to
// 9); the operand is not accessed, so a memory operand on a not-present page or beyond a
// segment limit does not fault. PREFETCHh is a hint and does not fault either.
TEST_CASE("Every recommended NOP sequence is a NOP that never accesses its operand") {
    const std::vector<std::vector<uint8_t>> nops = {
        {0x66, 0x90},
        {0x0F, 0x1F, 0x00},
        {0x0F, 0x1F, 0x40, 0x00},
        {0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0xF3, 0x90},                         // PAUSE
        {0x0F, 0x18, 0x00},                   // PREFETCHNTA [rax]
        {0x0F, 0x18, 0x08},                   // PREFETCHT0 [rax]
        {0x0F, 0x0D, 0x08},                   // PREFETCHW [rax]
        {0x0F, 0x1F, 0x04, 0x1D, 0, 0, 0, 0}, // nop [rbx*1+0]
    };
    for (const auto& nop : nops) {
        AluRig m;
        m.reg(RAX) = AluRig::kNotPresent, m.reg(RBX) = 0x8000'0000'0000'0000ull;
        const uint64_t flags_before = m.rflags();
        INFO("length " << nop.size() << " opcode " << std::hex << int(nop[1]));
        REQUIRE(m.exec(nop) == -1);
        CHECK(m.reg(RAX) == AluRig::kNotPresent);
        CHECK(m.rflags() == flags_before);
    }
    AluRig p(TestMode::Protected32);
    p.s().seg[DS].limit = 0xFFF;
    p.cpu.invalidate_caches();
    p.reg(RAX) = 0x10000;
    CHECK(p.exec({0x0F, 0x1F, 0x00}) == -1);
    CHECK(p.exec({0x0F, 0x18, 0x08}) == -1);
}

// SDM Vol. 1, "General-Purpose Registers in 64-Bit Mode": "32-bit operands generate a 32-bit
// result, zero-extended to a 64-bit result in the destination general-purpose register". A
// shift or rotate of a 32-bit register by a masked count of 0 still writes the register (as on
// Intel processors): RAX[63:32] are cleared and no flag changes.
TEST_CASE("A 32-bit shift or rotate by 0 zero-extends its register destination") {
    for (uint8_t ext : {0, 1, 2, 3, 4, 5, 7}) {
        AluRig m;
        m.reg(RAX) = 0xDEAD'BEEF'8000'0001ull, m.reg(RCX) = 0x40; // masked to 0
        m.s().rflags = rflags::kFixed1 | rflags::CF | rflags::OF;
        INFO("/" << int(ext));
        REQUIRE(m.exec({0xD3, uint8_t(0xC0 | (ext << 3))}) == -1);
        CHECK(m.reg(RAX) == 0x8000'0001ull);
        CHECK(m.arith() == (rflags::CF | rflags::OF));
    }
    AluRig d;
    d.reg(RAX) = 0xDEAD'BEEF'8000'0001ull, d.reg(RBX) = 0;
    REQUIRE(d.exec({0x0F, 0xA4, 0xD8, 0x00}) == -1); // shld eax, ebx, 0
    CHECK(d.reg(RAX) == 0x8000'0001ull);
}

// SDM Vol. 2B, SHLD/SHRD: "If the count is greater than the operand size, the result is
// undefined" (16-bit operands: counts 17-31 after masking) - cpu/UNDEFINED_FLAGS.md: the 48-bit
// value dst:src:dst is shifted and CF is the last bit shifted out of it. Counts up to 16 are
// defined: CF = the last bit shifted out of the destination, OF (count 1) = sign change, count 0
// changes nothing.
TEST_CASE("SHLD and SHRD r/m16 follow the SDM up to 16 and the documented choice above") {
    const uint64_t dst = 0x9234, src = 0x5678;
    const uint64_t v = (dst << 32) | (src << 16) | dst;
    for (unsigned c = 0; c < 32; ++c)
        for (bool left : {true, false}) {
            AluRig m;
            m.reg(RAX) = dst, m.reg(RBX) = src, m.reg(RCX) = c;
            m.s().rflags = rflags::kFixed1 | rflags::CF | rflags::OF | rflags::ZF;
            REQUIRE(m.exec({0x66, 0x0F, uint8_t(left ? 0xA5 : 0xAD), 0xD8}) == -1); // ax, bx, cl
            INFO((left ? "SHLD" : "SHRD") << " count " << c);
            if (c == 0) {
                CHECK(m.reg(RAX) == dst);
                CHECK(m.arith() == (rflags::CF | rflags::OF | rflags::ZF));
                continue;
            }
            const uint64_t r = left ? (v >> (32 - c)) & 0xFFFF : (v >> c) & 0xFFFF;
            const bool cf = left ? (v >> (48 - c)) & 1 : (v >> (c - 1)) & 1;
            CHECK(m.reg(RAX) == r);
            CHECK(((m.rflags() & rflags::CF) != 0) == cf);
            CHECK(((m.rflags() & rflags::ZF) != 0) == (r == 0));
            CHECK(((m.rflags() & rflags::SF) != 0) == ((r >> 15) & 1));
            if (c == 1) CHECK(((m.rflags() & rflags::OF) != 0) == (((r ^ dst) >> 15) & 1));
        }
}

// SDM Vol. 2A, MUL: "The OF and CF flags are set to 0 if the upper half of the result is 0;
// otherwise, they are set to 1"; IMUL: "CF and OF are set when the signed integer value of the
// intermediate product differs from the sign-extended operand-size-truncated product". The
// byte forms put the product in AX; the two- and three-operand forms keep the truncated product.
TEST_CASE("MUL and IMUL set CF and OF exactly when the product does not fit") {
    struct Case {
        std::vector<uint8_t> code;
        uint64_t rax, rbx, want_rax, want_rdx;
        bool overflow;
    };
    const uint64_t keep = 0x5555'5555'5555'5555ull;
    const std::vector<Case> cases = {
        {{0xF6, 0xE3}, 0xFF, 0xFF, 0xFE01, keep, true},  // mul bl: AX = FE01
        {{0xF6, 0xE3}, 0x10, 0x0F, 0x00F0, keep, false}, // mul bl: AH = 0
        {{0xF6, 0xEB}, 0xFF, 0x80, 0x0080, keep, true},  // imul bl: -1 * -128 = 128
        {{0xF6, 0xEB}, 0x7F, 0x02, 0x00FE, keep, true},  // imul bl: 254 > 127
        {{0xF6, 0xEB}, 0xC0, 0x02, 0xFF80, keep, false}, // imul bl: -128 fits
        {{0x66, 0xF7, 0xE3},
         0xFFFF,
         2,
         0x5555'5555'5555'FFFEull,
         0x5555'5555'5555'0001ull,
         true},                                                                  // mul bx
        {{0xF7, 0xEB}, 0xFFFF'FFFF, 0xFFFF'FFFF, 1, 0, false},                   // imul ebx
        {{0x48, 0xF7, 0xE3}, 1ull << 63, 2, 0, 1, true},                         // mul rbx
        {{0x48, 0x0F, 0xAF, 0xC3}, 1ull << 62, 2, 1ull << 63, keep, true},       // imul rax, rbx
        {{0x0F, 0xAF, 0xC3}, 0xFFFF'FFFF, 0x8000'0000, 0x8000'0000, keep, true}, // imul eax, ebx:
                                                                                 // 2^31
        {{0x0F, 0xAF, 0xC3}, 0x1, 0x8000'0000, 0x8000'0000, keep, false}, // imul eax, ebx: -2^31
        {{0x66, 0x6B, 0xC3, 0xFF},
         0x1234,
         0x8000,
         0x5555'5555'5555'8000ull,
         keep,
         true}, // imul ax, bx, -1
        {{0x69, 0xC3, 0x00, 0x00, 0x01, 0x00}, 0, 0x8000, 0x8000'0000, keep, true}, // imul eax,
                                                                                    // ebx, 0x10000
    };
    for (const Case& c : cases) {
        AluRig m;
        m.reg(RAX) = c.rax | (c.code[0] == 0x66 ? 0x5555'5555'5555'0000ull : 0), m.reg(RBX) = c.rbx;
        if (c.code[0] == 0xF6) m.reg(RAX) = 0x5555'5555'5555'0000ull | c.rax;
        m.reg(RDX) = keep;
        INFO("case rax=" << std::hex << c.rax << " rbx=" << c.rbx);
        REQUIRE(m.exec(c.code) == -1);
        const uint64_t want_rax =
            c.code[0] == 0xF6 ? (0x5555'5555'5555'0000ull | c.want_rax) : c.want_rax;
        CHECK(m.reg(RAX) == want_rax);
        CHECK(m.reg(RDX) == c.want_rdx);
        CHECK((m.arith() & (rflags::CF | rflags::OF)) ==
              (c.overflow ? rflags::CF | rflags::OF : 0));
    }
}

// SDM Vol. 2A, DIV/IDIV: "#DE If the source operand (divisor) is 0. If the quotient is too large
// for the designated register." A fault leaves the dividend registers as they were, for every
// operand size.
TEST_CASE("DIV and IDIV raise #DE for a zero divisor or an oversized quotient, writing nothing") {
    struct Case {
        std::vector<uint8_t> code;
        uint64_t rax, rdx, rcx;
    };
    const std::vector<Case> cases = {
        {{0xF6, 0xF1}, 0x1234, 0, 0},                         // div cl, 0
        {{0x66, 0xF7, 0xF1}, 0, 1, 1},                        // div cx: 10000h
        {{0x66, 0xF7, 0xF9}, 0x8000, 0xFFFF, 0xFFFF},         // idiv cx: -8000h/-1
        {{0xF7, 0xF1}, 0, 0, 0},                              // div ecx, 0
        {{0xF7, 0xF1}, 0, 2, 2},                              // div ecx: 1_0000_0000h
        {{0xF7, 0xF9}, 0, 0x4000'0000, 0xFFFF'FFFF},          // idiv ecx: 2^62 / -1
        {{0x48, 0xF7, 0xF1}, 5, 5, 5},                        // div rcx: RDX >= RCX
        {{0x48, 0xF7, 0xF9}, 0, 0x4000'0000'0000'0000ull, 1}, // idiv rcx
    };
    for (const Case& c : cases) {
        AluRig m;
        m.reg(RAX) = c.rax, m.reg(RDX) = c.rdx, m.reg(RCX) = c.rcx;
        INFO("rax=" << std::hex << c.rax << " rdx=" << c.rdx << " rcx=" << c.rcx);
        CHECK(m.exec(c.code) == DE);
        CHECK(m.reg(RAX) == c.rax);
        CHECK(m.reg(RDX) == c.rdx);
        CHECK(m.pushed_rip(false) == CpuFixture::kCode);
    }
}

// SDM Vol. 3A, "Exception and Interrupt Handling" / "Fault": "the state of the processor is
// restored to that before the beginning of the faulting instruction". Every read-modify-write
// form on a read-only page raises #PF with W/R = 1 and changes no register, flag or memory.
TEST_CASE("A read-modify-write instruction that faults on its write changes nothing") {
    const std::vector<std::vector<uint8_t>> forms = {
        {0x01, 0x06},
        {0x11, 0x06},
        {0x19, 0x06},
        {0x48, 0x83, 0x2E, 1},
        {0x80, 0x36, 0xFF},
        {0xF7, 0x16},
        {0xF7, 0x1E},
        {0xFE, 0x06},
        {0x48, 0xFF, 0x0E},
        {0x0F, 0xAB, 0x06},
        {0x0F, 0xBA, 0x36, 0},
        {0x0F, 0xB1, 0x06},
        {0x0F, 0xB0, 0x06},
        {0x0F, 0xC7, 0x0E},
        {0x48, 0x0F, 0xC7, 0x0E},
        {0x0F, 0xC1, 0x06},
        {0x87, 0x06},
        {0xD1, 0x26},
        {0xD3, 0x3E},
        {0xC1, 0x06, 3},
        {0x0F, 0xA5, 0x06},
        {0x0F, 0xAC, 0x06, 4},
        {0x0F, 0x94, 0x06},
        {0x0F, 0x38, 0xF1, 0x06},
        {0xF0, 0x0F, 0xC1, 0x06},
    };
    for (const auto& form : forms) {
        AluRig m;
        m.poke_val<uint64_t>(AluRig::kReadOnly, 0x0123'4567'89AB'CDEFull);
        m.poke_val<uint64_t>(AluRig::kReadOnly + 8, 0x1111'2222'3333'4444ull);
        m.reg(RSI) = AluRig::kReadOnly, m.reg(RAX) = 0x23; // also a BTS bit offset
        m.reg(RDX) = 0x1111'2222'3333'4444ull, m.reg(RBX) = 7, m.reg(RCX) = 0x21;
        const uint64_t f0 = rflags::kFixed1 | rflags::ZF | rflags::AF;
        m.s().rflags = f0;
        INFO("form " << std::hex << int(form[0]) << " " << int(form[1]));
        REQUIRE(m.exec(form) == PF);
        CHECK(m.pushed_error_code() == (kPfPresent | kPfWrite));
        CHECK(m.pushed_rip(true) == CpuFixture::kCode);
        CHECK(m.peek_val<uint64_t>(AluRig::kReadOnly) == 0x0123'4567'89AB'CDEFull);
        CHECK(m.peek_val<uint64_t>(AluRig::kReadOnly + 8) == 0x1111'2222'3333'4444ull);
        CHECK(m.reg(RAX) == 0x23);
        CHECK(m.reg(RDX) == 0x1111'2222'3333'4444ull);
        CHECK(m.reg(RCX) == 0x21);
        CHECK(m.reg(RBX) == 7);
        // The pushed RFLAGS image (after the error code, RIP and CS).
        CHECK((m.peek_val<uint64_t>(m.s().gpr[RSP] + 24) & rflags::kArith) ==
              (f0 & rflags::kArith));
    }
}

// SDM Vol. 2A/2B, the BMI1/BMI2/ADX pages (32-bit forms, VEX.W0 / no REX.W) with SDM Vol. 1,
// "General-Purpose Registers in 64-Bit Mode": a 32-bit result is zero-extended into the 64-bit
// destination, and only the low 32 bits of each source are used.
TEST_CASE("The 32-bit BMI1, BMI2 and ADX forms use 32-bit sources and zero-extend") {
    const uint64_t rcx = 0xDEAD'BEEF'0000'0804ull, rdx = 0xFFFF'FFFF'9234'5678ull;
    const uint64_t rbx = 0xCAFE'0000'0000'0010ull;
    const uint32_t c = 0x0804, x = 0x9234'5678, b = 0x10;
    struct Case {
        const char* name;
        std::vector<uint8_t> code;
        Gpr dst;
        uint32_t want;
    };
    auto rotr = [](uint32_t v, unsigned n) { return (v >> n) | (v << (32 - n)); };
    const std::vector<Case> cases = {
        {"andn eax, ecx, edx", {0xC4, 0xE2, 0x70, 0xF2, 0xC2}, RAX, ~c & x},
        {"bextr eax, edx, ecx", {0xC4, 0xE2, 0x70, 0xF7, 0xC2}, RAX, (x >> 4) & 0xFF},
        {"blsr ecx, edx", {0xC4, 0xE2, 0x70, 0xF3, 0xCA}, RCX, x & (x - 1)},
        {"blsmsk ecx, edx", {0xC4, 0xE2, 0x70, 0xF3, 0xD2}, RCX, x ^ (x - 1)},
        {"blsi ecx, edx", {0xC4, 0xE2, 0x70, 0xF3, 0xDA}, RCX, x & (0u - x)},
        {"bzhi eax, edx, ecx", {0xC4, 0xE2, 0x70, 0xF5, 0xC2}, RAX, x & 0xF},
        {"shlx eax, edx, ecx", {0xC4, 0xE2, 0x71, 0xF7, 0xC2}, RAX, x << 4},
        {"sarx eax, edx, ecx", {0xC4, 0xE2, 0x72, 0xF7, 0xC2}, RAX, uint32_t(int32_t(x) >> 4)},
        {"shrx eax, edx, ecx", {0xC4, 0xE2, 0x73, 0xF7, 0xC2}, RAX, x >> 4},
        {"rorx eax, edx, 36", {0xC4, 0xE3, 0x7B, 0xF0, 0xC2, 36}, RAX, rotr(x, 4)},
        {"pdep eax, ecx, edx", {0xC4, 0xE2, 0x73, 0xF5, 0xC2}, RAX, 0},
        {"pext eax, ecx, edx", {0xC4, 0xE2, 0x72, 0xF5, 0xC2}, RAX, 0},
        {"mulx eax, ecx, ebx (high)",
         {0xC4, 0xE2, 0x73, 0xF6, 0xC3},
         RAX,
         uint32_t((uint64_t(x) * b) >> 32)},
        {"mulx eax, ecx, ebx (low)", {0xC4, 0xE2, 0x73, 0xF6, 0xC3}, RCX, uint32_t(x * b)},
        {"adcx eax, edx", {0x66, 0x0F, 0x38, 0xF6, 0xC2}, RAX, 0xAAAA'AAAAu + x + 1},
        {"adox eax, edx", {0xF3, 0x0F, 0x38, 0xF6, 0xC2}, RAX, 0xAAAA'AAAAu + x + 1},
    };
    for (const Case& k : cases) {
        AluRig m;
        m.reg(RAX) = 0xAAAA'AAAA'AAAA'AAAAull, m.reg(RCX) = rcx, m.reg(RDX) = rdx, m.reg(RBX) = rbx;
        m.s().rflags = rflags::kFixed1 | rflags::CF | rflags::OF;
        INFO(k.name);
        REQUIRE(m.exec(k.code) == -1);
        uint32_t want = k.want;
        if (std::string(k.name).rfind("pdep", 0) == 0 ||
            std::string(k.name).rfind("pext", 0) == 0) {
            // PDEP: low bits of ECX to the set bits of EDX; PEXT: the bits of ECX at EDX's set
            // bits.
            const bool dep = k.name[1] == 'd';
            const uint32_t src = uint32_t(rcx), mask = x;
            unsigned n = 0;
            want = 0;
            for (unsigned i = 0; i < 32; ++i)
                if ((mask >> i) & 1) {
                    if (dep)
                        want |= ((src >> n) & 1u) << i;
                    else
                        want |= ((src >> i) & 1u) << n;
                    ++n;
                }
        }
        CHECK(m.reg(k.dst) == want);
    }
}

// SDM Vol. 2A, "XACQUIRE/XRELEASE—Hardware Lock Elision Prefix Hints": "processors that do not
// support HLE ... ignore the XACQUIRE/XRELEASE prefixes" (F2/F3 on a LOCKed instruction, and F3
// on MOV to memory). CPUID.07H:EBX.HLE[bit 4] is 0 here, so these run as the plain forms.
TEST_CASE("XACQUIRE and XRELEASE prefixes are ignored without HLE") {
    AluRig m;
    REQUIRE(((cpuid(m.s(), 7, 0).ebx >> 4) & 1) == 0);
    m.poke_val<uint32_t>(kData, 5);
    m.reg(RSI) = kData, m.reg(RAX) = 3;
    REQUIRE(m.exec({0xF2, 0xF0, 0x01, 0x06}) == -1); // xacquire lock add [rsi], eax
    CHECK(m.peek_val<uint32_t>(kData) == 8);
    REQUIRE(m.exec({0xF3, 0xF0, 0x0F, 0xC1, 0x06}) == -1); // xrelease lock xadd [rsi], eax
    CHECK(m.peek_val<uint32_t>(kData) == 11);
    CHECK(m.reg(RAX) == 8);
    REQUIRE(m.exec({0xF2, 0x87, 0x06}) == -1); // xacquire xchg [rsi], eax
    CHECK(m.peek_val<uint32_t>(kData) == 8);
    CHECK(m.reg(RAX) == 11);
    REQUIRE(m.exec({0xF3, 0x89, 0x06}) == -1); // xrelease mov [rsi], eax
    CHECK(m.peek_val<uint32_t>(kData) == 11);
}

// SDM Vol. 2A, CMPXCHG, Operation: "ELSE ZF := 0; accumulator := TEMP; DEST := TEMP" - a 32-bit
// register destination is written (zero-extended) even when the comparison fails, and the
// accumulator is written (zero-extended) only then.
TEST_CASE("CMPXCHG r32 that fails writes both the destination and EAX zero-extended") {
    AluRig m;
    m.reg(RBX) = 0xFFFF'FFFF'0000'0005ull, m.reg(RAX) = 0xEEEE'EEEE'0000'0009ull;
    m.reg(RCX) = 0xDDDD'DDDD'0000'0001ull;
    REQUIRE(m.exec({0x0F, 0xB1, 0xCB}) == -1); // cmpxchg ebx, ecx
    CHECK(m.reg(RBX) == 5);
    CHECK(m.reg(RAX) == 5);
    CHECK((m.rflags() & rflags::ZF) == 0);
    m.reg(RAX) = 0xEEEE'EEEE'0000'0005ull;
    REQUIRE(m.exec({0x0F, 0xB1, 0xCB}) == -1); // equal now: EBX := ECX, RAX untouched
    CHECK(m.reg(RBX) == 1);
    CHECK(m.reg(RAX) == 0xEEEE'EEEE'0000'0005ull);
    CHECK((m.rflags() & rflags::ZF) != 0);
}
