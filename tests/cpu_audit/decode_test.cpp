// SDM audit of the decoder, instruction fetch, control transfer, stack, string and I/O
// instructions and the decoded-instruction cache: one TEST_CASE per rule of the Intel SDM
// (Dec 2023, Order 325462-081), each citing the section it comes from.
#include "decode_rig.hpp"
#include "hex_bytes.hpp"

#include "cpu/decode_info.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

constexpr uint64_t kCode = CpuFixture::kCode;
constexpr uint64_t kData = CpuFixture::kData;

std::vector<uint8_t> bytes(std::initializer_list<uint8_t> b) {
    return std::vector<uint8_t>(b);
}

} // namespace

// ---- instruction fetch and the 15-byte limit ----------------------------------------------

// SDM Vol. 3A, "Priority Among Simultaneous Exceptions and Interrupts" (Table 6-2): faults from
// fetching the next instruction (a code page fault) rank above faults from decoding it
// (instruction length > 15 bytes). An over-long instruction whose 16th byte lies on a
// not-present page therefore raises #PF for that page (what QEMU models, too). Before: #GP(0).
TEST_CASE("fetch: a 16th byte on a not-present page is #PF, not #GP", "[cpu_audit][decode]") {
    CpuFixture f;
    split_4k(f);
    set_pte(f, kSplitRegion + 0x1000, 0); // the second page is not present
    const uint64_t at = kSplitRegion + 0x1000 - 15;
    std::vector<uint8_t> code(15, 0x66); // 15 prefixes: the opcode would be byte 16
    f.load(code, at);
    REQUIRE(f.run_until_exception() == PF);
    CHECK(f.s().cr2 == kSplitRegion + 0x1000);
    CHECK(f.pushed_error_code() == 0x10); // not present, read, supervisor, instruction fetch
    CHECK(f.pushed_rip(true) == at);

    // With the second page present, the same bytes are #GP(0).
    CpuFixture g;
    split_4k(g);
    g.load(code, at);
    REQUIRE(g.run_until_exception() == GP);
    CHECK(g.pushed_error_code() == 0);
    CHECK(g.pushed_rip(true) == at);
}

// SDM Vol. 3A, "Limit Checking": outside 64-bit mode every byte of an instruction must lie
// within the CS limit, else #GP(0) with EIP at the instruction.
TEST_CASE("fetch: an instruction crossing the CS limit is #GP(0) in 32-bit mode",
          "[cpu_audit][decode][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[CS].limit = static_cast<uint32_t>(kCode + 0x10);
    f.cpu.invalidate_caches();
    f.load({0x90, 0x90}, kCode + 0x0C);
    f.poke(kCode + 0x0E, {0xB8, 1, 2, 3, 4}); // mov eax, imm32: bytes 0x0E..0x12
    f.reg(RAX) = 0;
    REQUIRE(f.run_until_exception() == GP);
    CHECK(f.pushed_error_code() == 0);
    CHECK(f.pushed_rip(true) == kCode + 0x0E);
    CHECK(f.reg(RAX) == 0);
}

// SDM Vol. 3A, "Page-Fault Exception (#PF)": fetching from a page with XD = 1 (EFER.NXE = 1)
// is #PF with P = 1 and I/D = 1 in the error code, CR2 = the fetch address.
TEST_CASE("fetch: from an execute-disable page is #PF with P and I/D set", "[cpu_audit][decode]") {
    CpuFixture f;
    split_4k(f);
    const uint64_t page = kSplitRegion + 0x3000;
    set_pte(f, page, page | 0x7 | (1ull << 63));
    f.load({0x90}, page + 0x10);
    REQUIRE(f.run_until_exception() == PF);
    CHECK(f.s().cr2 == page + 0x10);
    CHECK(f.pushed_error_code() == 0x11);
    CHECK(f.pushed_rip(true) == page + 0x10);
}

// ---- prefixes ------------------------------------------------------------------------------

// SDM Vol. 2A, "Instruction Prefixes": with more than one prefix of a group the last one
// takes effect; a segment override selects the segment of the memory operand.
TEST_CASE("prefixes: of two segment overrides the last one wins (32-bit mode)",
          "[cpu_audit][decode][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[FS].base = 0x1000;
    f.s().seg[GS].base = 0x2000;
    f.cpu.invalidate_caches();
    f.poke_val<uint32_t>(kData + 0x1000, 0xF5F5F5F5);
    f.poke_val<uint32_t>(kData + 0x2000, 0x65656565);
    f.reg(RBX) = kData;
    f.load({0x64, 0x65, 0x8B, 0x03, 0x65, 0x64, 0x8B, 0x0B}); // gs:mov eax,[ebx]; fs:mov ecx,[ebx]
    f.run(2);
    CHECK(f.reg(RAX) == 0x65656565);
    CHECK(f.reg(RCX) == 0xF5F5F5F5);
}

// SDM Vol. 2A, "REX Prefixes": a REX prefix not immediately before the opcode (or before
// another REX) is ignored; of two REX bytes only the last counts.
TEST_CASE("prefixes: REX followed by a legacy prefix or another REX is ignored",
          "[cpu_audit][decode]") {
    CpuFixture f;
    f.reg(RAX) = 0x1111111111111111ull;
    f.reg(R8) = 0x2222222222222222ull;
    // 48 66 B8 iw: REX.W dropped, 66 applies: mov ax, 0x1234 (5 bytes)
    // 48 41 B8 id: only 41 (REX.B) counts: mov r8d, 0x89ABCDEF (7 bytes)
    f.load({0x48, 0x66, 0xB8, 0x34, 0x12, 0x48, 0x41, 0xB8, 0xEF, 0xCD, 0xAB, 0x89, 0xF4});
    f.run(2);
    CHECK(f.reg(RAX) == 0x1111111111111234ull);
    CHECK(f.reg(R8) == 0x89ABCDEFull);
    CHECK(f.rip() == kCode + 12);
}

// SDM Vol. 2A, "Operand-Size and Address-Size Attributes" (Table 2-4 / 3-4): 67h in 32-bit
// mode selects 16-bit ModR/M addressing; offsets are computed modulo 64 KiB.
TEST_CASE("prefixes: 67h in 32-bit mode is 16-bit addressing that wraps at 64 KiB",
          "[cpu_audit][decode][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[DS].base = kData;
    f.cpu.invalidate_caches();
    f.poke_val<uint32_t>(kData + 0x0001, 0xCAFEF00D);
    f.poke_val<uint32_t>(kData + 0x10001, 0xDEADBEEF);
    f.reg(RBX) = 0xABCDFFFF;                // BX = 0xFFFF
    f.load({0x67, 0x8B, 0x47, 0x02, 0xF4}); // mov eax, [bx+2] -> DS:0x0001
    f.run(1);
    CHECK(f.reg(RAX) == 0xCAFEF00D);
    CHECK(f.rip() == kCode + 4);
}

// SDM Vol. 2A, "Addressing in 64-Bit Mode" / Vol. 1 "Address Calculations in 64-Bit Mode":
// with 67h the effective address is computed with 32 bits and zero-extended.
TEST_CASE("prefixes: 67h in 64-bit mode truncates the address to 32 bits", "[cpu_audit][decode]") {
    CpuFixture f;
    f.poke_val<uint32_t>(kData, 0x13572468);
    f.reg(RAX) = 0xFFFFFFFF00000000ull | kData;
    f.load({0x67, 0x8B, 0x08}); // mov ecx, [eax]
    f.run(1);
    CHECK(f.reg(RCX) == 0x13572468);
}

// SDM Vol. 2A, "RIP-Relative Addressing": with the address-size prefix the RIP-relative
// address is computed from RIP + disp32 and truncated to 32 bits.
TEST_CASE("prefixes: RIP-relative addressing with 67h truncates to 32 bits",
          "[cpu_audit][decode]") {
    CpuFixture f;
    map_high_alias(f);
    // Code at linear 4 GiB + 1 MiB (physical 1 MiB). Target 0x200010 (32-bit) vs
    // 4 GiB + 0x200010 (which maps physical 0x400010).
    f.poke_val<uint32_t>(0x200010, 0x32323232);
    f.poke_val<uint32_t>(0x400010, 0x64646464);
    const uint64_t rip = kHighAlias + kCode;
    const int32_t disp = static_cast<int32_t>(0x200010 - (kCode + 7));
    std::vector<uint8_t> code = {0x67, 0x8B, 0x05};
    for (int i = 0; i < 4; ++i)
        code.push_back(static_cast<uint8_t>(uint32_t(disp) >> (8 * i)));
    // and without 67h: the full 64-bit RIP + disp32 (10 bytes further on)
    const int32_t disp2 = static_cast<int32_t>(0x200010 - (kCode + 13));
    code.insert(code.end(), {0x8B, 0x0D});
    for (int i = 0; i < 4; ++i)
        code.push_back(static_cast<uint8_t>(uint32_t(disp2) >> (8 * i)));
    f.poke(kCode, code.data(), code.size());
    f.s().rip = rip;
    f.run(2);
    CHECK(f.reg(RAX) == 0x32323232);
    CHECK(f.reg(RCX) == 0x64646464);
}

// SDM Vol. 2B, MOV (A0-A3 "moffs"): the offset is address-size wide; in 64-bit mode 67h makes
// it a 4-byte moffs32.
TEST_CASE("moffs: MOV EAX, moffs32 with 67h in 64-bit mode", "[cpu_audit][decode]") {
    CpuFixture f;
    f.poke_val<uint32_t>(kData, 0x0BADC0DE);
    f.poke_val<uint64_t>(kData + 8, 0x1122334455667788ull);
    f.load({0x67, 0xA1, 0x00, 0x00, 0x30, 0x00,          // mov eax, [0x300000]
            0x48, 0xA1, 0x08, 0x00, 0x30, 0, 0, 0, 0, 0, // mov rax, [moffs64 0x300008]
            0xF4});
    f.run(1);
    CHECK(f.reg(RAX) == 0x0BADC0DE);
    CHECK(f.rip() == kCode + 6);
    f.run(1);
    CHECK(f.reg(RAX) == 0x1122334455667788ull);
    CHECK(f.rip() == kCode + 16);
}

// ---- opcodes invalid in 64-bit mode, LOCK, UD0/UD1, hint NOPs ------------------------------

// SDM Vol. 2D, Appendix A "Opcode Map" (Table A-2, the i64 entries) and each instruction's
// "64-Bit Mode Exceptions": these one-byte opcodes are #UD in 64-bit mode.
TEST_CASE("64-bit mode: the i64 one-byte opcodes are #UD", "[cpu_audit][decode][negative]") {
    const std::vector<std::vector<uint8_t>> forms = {
        {0x06},
        {0x07},
        {0x0E},
        {0x16},
        {0x17},
        {0x1E},
        {0x1F},
        {0x27},
        {0x2F},
        {0x37},
        {0x3F},
        {0x60},
        {0x61},
        {0x62, 0x00},
        {0x82, 0xC0, 0x01},
        {0x9A, 0, 0, 0, 0, 0, 0},
        {0xCE},
        {0xD4, 0x0A},
        {0xD5, 0x0A},
        {0xD6},
        {0xEA, 0, 0, 0, 0, 0, 0},
    };
    for (const auto& code : forms) {
        CpuFixture f;
        f.load(code);
        INFO("opcode " << std::hex << int(code[0]));
        CHECK(f.run_until_exception() == UD);
        CHECK(f.pushed_rip(false) == kCode);
    }
}

// SDM Vol. 2B, UD (UD0/UD1/UD2): all raise #UD; UD0 and UD1 take a ModR/M byte (and its SIB /
// displacement), which counts for the instruction length.
TEST_CASE("UD0/UD1 take a ModRM and every form is #UD", "[cpu_audit][decode][negative]") {
    const uint8_t ud0[] = {0x0F, 0xFF, 0x84, 0x24, 0, 0, 0, 0};
    const uint8_t ud1[] = {0x0F, 0xB9, 0x40, 0x10};
    CHECK(decode_info(ud0, sizeof ud0, CpuMode::Long64).length == 8);
    CHECK(decode_info(ud1, sizeof ud1, CpuMode::Long64).length == 4);
    for (auto code : {bytes({0x0F, 0xFF, 0x84, 0x24, 0, 0, 0, 0}), bytes({0x0F, 0xB9, 0x40, 0x10}),
                      bytes({0x0F, 0x0B})}) {
        CpuFixture f;
        f.load(code);
        CHECK(f.run_until_exception() == UD);
        CHECK(f.pushed_rip(false) == kCode);
    }
}

// SDM Vol. 2A, "LOCK—Assert LOCK# Signal Prefix": LOCK with a non-lockable instruction, or a
// lockable one whose destination is a register, is #UD (CMPXCHG8B's register form is #UD
// anyway; XCHG reg, reg too).
TEST_CASE("LOCK: register forms of XCHG and CMPXCHG8B, NOP and BT are #UD",
          "[cpu_audit][decode][negative]") {
    for (auto code : {bytes({0xF0, 0x87, 0xC1}), bytes({0xF0, 0x0F, 0xC7, 0xC8}),
                      bytes({0xF0, 0x0F, 0x1F, 0x00}), bytes({0xF0, 0x0F, 0xA3, 0x00}),
                      bytes({0xF0, 0x0F, 0xBA, 0x20, 0x01})}) {
        CpuFixture f;
        f.reg(RAX) = kData;
        f.load(code);
        INFO("second byte " << std::hex << int(code[1]));
        CHECK(f.run_until_exception() == UD);
    }
}

// SDM Vol. 2B, NOP / PREFETCHh and "Opcode Map" 0F 18..0F 1F: hint NOPs never access memory,
// so an unusable address in their ModR/M is no fault; ENDBR32/ENDBR64 are NOPs without CET.
TEST_CASE("hint NOPs and ENDBR never fault on their memory operand", "[cpu_audit][decode]") {
    for (auto mode : {TestMode::Long64, TestMode::Protected32}) {
        CpuFixture f(mode);
        f.reg(RAX) = mode == TestMode::Long64 ? 0x8000000000000000ull : 0xFFFFFFF0ull;
        f.load({0x0F, 0x1F, 0x40, 0x7F,             // nop [rax+0x7f]
                0x0F, 0x18, 0x00,                   // prefetchnta [rax]
                0x0F, 0x19, 0x00, 0x0F, 0x1C, 0x00, // reserved NOPs
                0xF3, 0x0F, 0x1E, 0xFA,             // endbr64
                0xF3, 0x0F, 0x1E, 0xFB,             // endbr32
                0xF4});
        f.run(6);
        CHECK(f.rip() == kCode + 21);
        CHECK(f.delivered_vector() == -1);
    }
}

// ---- near control transfer -----------------------------------------------------------------

// SDM Vol. 2A, JMP / CALL / Jcc: with a 16-bit operand size outside 64-bit mode the target
// EIP is truncated to 16 bits ("EIP <- tempEIP AND 0000FFFFH"); CALL pushes a 16-bit IP.
TEST_CASE("near branches with 66h in 32-bit mode truncate EIP to 16 bits",
          "[cpu_audit][branch][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.poke(0x0004, {0xF4});
    f.load({0x66, 0xE9, 0x00, 0x00}); // jmp rel16 -> (0x100004) & 0xFFFF
    f.run(1);
    CHECK(f.rip() == 0x0004);

    CpuFixture g(TestMode::Protected32);
    g.poke(0x0004, {0xF4});
    g.load({0x66, 0xE8, 0x00, 0x00}); // call rel16: pushes IP 0x0004, 2 bytes
    g.run(1);
    CHECK(g.rip() == 0x0004);
    CHECK(g.reg(RSP) == CpuFixture::kStackTop - 2);
    CHECK(g.peek_val<uint16_t>(CpuFixture::kStackTop - 2) == 0x0004);

    CpuFixture h(TestMode::Protected32);
    h.poke(0x1234, {0xF4});
    h.reg(RSP) -= 12;
    h.poke_val<uint32_t>(h.reg(RSP), 0xFFFF1234); // RET with 66: pops 16 bits only
    h.load({0x66, 0xC2, 0x08, 0x00});             // ret 8 (16-bit)
    h.run(1);
    CHECK(h.rip() == 0x1234);
    CHECK(h.reg(RSP) == CpuFixture::kStackTop - 12 + 2 + 8);
}

// SDM Vol. 2A, CALL / JMP, "64-Bit Mode": near branches have a 64-bit operand size; Intel
// processors ignore 66h on them (rel32 stays rel32, CALL pushes 8 bytes, RET pops 8).
TEST_CASE("near branches ignore 66h in 64-bit mode", "[cpu_audit][branch]") {
    CpuFixture f;
    f.load({0x66, 0xE8, 0x10, 0x00, 0x00, 0x00}); // call rel32
    f.poke(kCode + 0x16, {0x66, 0xC3});           // ret (64-bit)
    f.run(1);
    CHECK(f.rip() == kCode + 0x16);
    CHECK(f.reg(RSP) == CpuFixture::kStackTop - 8);
    CHECK(f.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == kCode + 6);
    f.run(1);
    CHECK(f.rip() == kCode + 6);
    CHECK(f.reg(RSP) == CpuFixture::kStackTop);
}

// SDM Vol. 2A, LOOP/LOOPcc and Jcc (JrCXZ): the count register is CX, ECX or RCX by the
// address size; 67h in 32-bit mode uses CX (ECX[31:16] unchanged, 0 wraps to 0xFFFF), in
// 64-bit mode ECX (written as a 32-bit register).
TEST_CASE("LOOP and JrCXZ use the address-size count register", "[cpu_audit][branch]") {
    CpuFixture f(TestMode::Protected32);
    f.reg(RCX) = 0x12340000;
    f.load({0x67, 0xE2, 0x10}); // loop (CX): 0 -> 0xFFFF, taken
    f.run(1);
    CHECK(f.reg(RCX) == 0x1234FFFF);
    CHECK(f.rip() == kCode + 3 + 0x10);

    CpuFixture g;
    g.reg(RCX) = 0xFFFFFFFF00000002ull;
    g.load({0x67, 0xE2, 0x10, 0x67, 0xE3, 0x20}); // loop (ECX): 1, taken
    g.run(1);
    CHECK(g.reg(RCX) == 1);
    CHECK(g.rip() == kCode + 3 + 0x10);

    CpuFixture h;
    h.reg(RCX) = 0x100000000ull;
    h.load({0x67, 0xE3, 0x20}); // jecxz: ECX = 0 -> taken
    h.run(1);
    CHECK(h.rip() == kCode + 3 + 0x20);
}

// SDM Vol. 2A, JMP, "64-Bit Mode Exceptions": a non-canonical target is #GP(0) with RIP at the
// branch; for RET the return address stays on the stack.
TEST_CASE("RET and indirect JMP to a non-canonical address fault at the branch",
          "[cpu_audit][branch][negative]") {
    CpuFixture f;
    f.reg(RSP) -= 8;
    f.poke_val<uint64_t>(f.reg(RSP), 0x0000800000000000ull);
    f.load({0xC3});
    REQUIRE(f.run_until_exception() == GP);
    CHECK(f.pushed_rip(true) == kCode);
    CHECK(f.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == 0x0000800000000000ull);

    CpuFixture g;
    g.reg(RAX) = 0xFFFF7FFFFFFFFFFFull;
    g.load({0xFF, 0xE0}); // jmp rax
    REQUIRE(g.run_until_exception() == GP);
    CHECK(g.pushed_rip(true) == kCode);
}

// SDM Vol. 2A, JMP "Far jumps in 64-bit mode": FF /5 with REX.W reads m16:64 (8-byte offset,
// then the selector); without REX.W m16:32.
TEST_CASE("far JMP m16:64 with REX.W and m16:32 without", "[cpu_audit][branch]") {
    CpuFixture f;
    f.poke_val<uint64_t>(kData, kCode + 0x40);
    f.poke_val<uint16_t>(kData + 8, CpuFixture::kCode64);
    f.load({0x48, 0xFF, 0x2C, 0x25, 0x00, 0x00, 0x30, 0x00});
    f.run(1);
    CHECK(f.rip() == kCode + 0x40);

    CpuFixture g;
    g.poke_val<uint32_t>(kData, static_cast<uint32_t>(kCode + 0x44));
    g.poke_val<uint16_t>(kData + 4, CpuFixture::kCode64);
    g.load({0xFF, 0x2C, 0x25, 0x00, 0x00, 0x30, 0x00});
    g.run(1);
    CHECK(g.rip() == kCode + 0x44);
}

// ---- stack ---------------------------------------------------------------------------------

// SDM Vol. 2B, PUSH: "If the source operand is a memory operand that uses RSP as a base
// register, the address is computed before RSP is decremented."
TEST_CASE("PUSH r/m with an RSP-based address uses the old RSP", "[cpu_audit][stack]") {
    CpuFixture f;
    f.reg(RSP) -= 16;
    const uint64_t sp = f.reg(RSP);
    f.poke_val<uint64_t>(sp, 0x1111);
    f.poke_val<uint64_t>(sp + 8, 0x2222);
    f.load({0xFF, 0x34, 0x24, 0xFF, 0x74, 0x24, 0x10}); // push [rsp]; push [rsp+16]
    f.run(2);
    CHECK(f.peek_val<uint64_t>(sp - 8) == 0x1111);
    CHECK(f.peek_val<uint64_t>(sp - 16) == 0x2222); // [sp-8+16] = [sp+8]
}

// SDM Vol. 2B, PUSH / POP: in 64-bit mode 66h makes the stack operation 16 bits (RSP moves by
// 2), for PUSH imm8, PUSH r/m, POP r/m and PUSH FS.
TEST_CASE("16-bit PUSH/POP forms in 64-bit mode", "[cpu_audit][stack]") {
    CpuFixture f;
    f.poke_val<uint16_t>(kData, 0xBEEF);
    f.reg(RAX) = kData;
    f.load({0x66, 0x6A, 0xFE,       // push word -2
            0x66, 0xFF, 0x30,       // push word [rax]
            0x66, 0x8F, 0x40, 0x10, // pop word [rax+16]
            0x66, 0x0F, 0xA0});     // push fs (16-bit)
    f.run(4);
    const uint64_t top = CpuFixture::kStackTop;
    CHECK(f.peek_val<uint16_t>(top - 2) == 0xFFFE);
    CHECK(f.peek_val<uint16_t>(kData + 16) == 0xBEEF);
    CHECK(f.peek_val<uint16_t>(top - 4) == CpuFixture::kData32);
    CHECK(f.reg(RSP) == top - 4);
}

// SDM Vol. 1, "Address-Size Attributes for Stack Accesses" / Vol. 3A "Expand-Down Segments":
// with SS.B = 0 the stack pointer is SP: it wraps at 64 KiB and ESP[31:16] is unchanged.
TEST_CASE("a 16-bit stack segment wraps SP and keeps ESP[31:16]", "[cpu_audit][stack][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[SS] = Segment{CpuFixture::kData32, kData, 0xFFFF, 0x0093};
    f.cpu.invalidate_caches();
    f.reg(RSP) = 0x12340000;
    f.reg(RAX) = 0xA5A5A5A5;
    f.load({0x50, 0xE8, 0x00, 0x00, 0x00, 0x00}); // push eax; call +0
    f.run(2);
    CHECK(f.reg(RSP) == 0x1234FFF8);
    CHECK(f.peek_val<uint32_t>(kData + 0xFFFC) == 0xA5A5A5A5);
    CHECK(f.peek_val<uint32_t>(kData + 0xFFF8) == kCode + 6);
}

// SDM Vol. 2B, POPF/POPFD/POPFQ, "Operation" (protected mode, CPL 0): all non-reserved flags
// except RF, VIP, VIF and VM can be modified; VIP, VIF and VM are unaffected; RF is cleared.
// With 66h only FLAGS[15:0] are popped (2 bytes).
TEST_CASE("POPF keeps VIP, VIF and VM; 66h pops 16 bits", "[cpu_audit][stack]") {
    CpuFixture f;
    f.reg(RSP) -= 8;
    f.poke_val<uint64_t>(f.reg(RSP), rflags::VIP | rflags::VIF | rflags::VM | rflags::RF |
                                         rflags::AC | rflags::CF | rflags::kFixed1);
    f.load({0x9D, 0x66, 0x9D});
    f.run(1);
    CHECK(f.s().rflags == (rflags::AC | rflags::CF | rflags::kFixed1));
    f.reg(RSP) -= 2;
    f.poke_val<uint16_t>(f.reg(RSP), static_cast<uint16_t>(rflags::ZF | rflags::kFixed1));
    f.run(1);
    CHECK(f.s().rflags == (rflags::AC | rflags::ZF | rflags::kFixed1));
    CHECK(f.reg(RSP) == CpuFixture::kStackTop);
}

// SDM Vol. 2B, POP ("Loading the SS register with a POP instruction suppresses or inhibits
// some debug exceptions and inhibits interrupts on the following instruction boundary").
TEST_CASE("POP SS holds an interrupt until after the next instruction",
          "[cpu_audit][stack][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().rflags |= rflags::IF;
    f.reg(RSP) -= 4;
    f.poke_val<uint32_t>(f.reg(RSP), CpuFixture::kData32);
    f.load({0x17, 0x90, 0x90, 0xF4}); // pop ss; nop; nop
    f.run(1);                         // POP SS (the run's entry poll saw no interrupt)
    f.env.pending_vector = 0x40;
    f.run(1); // the NOP in the shadow
    CHECK(f.rip() == kCode + 2);
    CHECK(f.env.acknowledged.empty());
    f.run(1); // now the interrupt is taken before the second NOP
    CHECK(f.env.acknowledged.size() == 1);
    CHECK(f.delivered_vector() == 0x40);
}

// ---- strings -------------------------------------------------------------------------------

// SDM Vol. 2B, MOVS/STOS "Operation": with a 16-bit address size SI/DI are used and wrap at
// 64 KiB (ESI/EDI[31:16] unchanged); REP counts CX.
TEST_CASE("strings with 67h in 32-bit mode use SI/DI/CX and wrap", "[cpu_audit][string][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[DS].base = kData;
    f.s().seg[ES].base = kData + 0x20000;
    f.cpu.invalidate_caches();
    f.poke(kData + 0xFFFF, {0xA1});
    f.poke(kData + 0x0000, {0xA2});
    f.reg(RSI) = 0x7777FFFF;
    f.reg(RDI) = 0x8888FFFF;
    f.reg(RCX) = 0x99990002;
    f.load({0x67, 0xF3, 0xA4}); // rep movsb (16-bit addressing)
    f.run(1);
    CHECK(f.reg(RSI) == 0x77770001);
    CHECK(f.reg(RDI) == 0x88880001);
    CHECK(f.reg(RCX) == 0x99990000);
    CHECK(f.peek_val<uint8_t>(kData + 0x2FFFF) == 0xA1);
    CHECK(f.peek_val<uint8_t>(kData + 0x20000) == 0xA2);
}

// SDM Vol. 2B, MOVS/CMPS/STOS: a segment override applies to the DS:rSI operand only; the
// ES:rDI operand cannot be overridden.
TEST_CASE("a segment override moves the source of MOVS, never ES:rDI of STOS",
          "[cpu_audit][string][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[FS].base = 0x1000;
    f.cpu.invalidate_caches();
    f.poke(kData + 0x1000, {0x5A});
    f.reg(RSI) = kData;
    f.reg(RDI) = kData + 0x100;
    f.reg(RAX) = 0x77;
    f.load({0x64, 0xA4, 0x64, 0xAA}); // fs: movsb; fs: stosb
    f.run(2);
    CHECK(f.peek_val<uint8_t>(kData + 0x100) == 0x5A);
    CHECK(f.peek_val<uint8_t>(kData + 0x101) == 0x77);
    CHECK(f.peek_val<uint8_t>(kData + 0x1101) == 0);
}

// SDM Vol. 2B, REP/REPE/REPZ/REPNE/REPNZ: with a count of 0 no iteration runs (no access, no
// fault); the count is the address-size register (ECX with 67h in 64-bit mode).
TEST_CASE("REP with a zero count touches nothing", "[cpu_audit][string]") {
    CpuFixture f;
    f.reg(RSI) = 0x8000000000000000ull; // non-canonical: any access would be #GP
    f.reg(RDI) = 0x8000000000000000ull;
    f.reg(RCX) = 0x100000000ull;                  // ECX = 0
    f.load({0x67, 0xF3, 0xA4, 0xF3, 0xA6, 0xF4}); // rep movsb (ECX); repe cmpsb (RCX)
    f.run(1);
    CHECK(f.rip() == kCode + 3);
    CHECK(f.reg(RCX) == 0x100000000ull);
    f.reg(RCX) = 0;
    f.run(1);
    CHECK(f.rip() == kCode + 5);
}

// SDM Vol. 2B, REP: "a repeating string operation can be suspended by an exception"; the
// registers hold the state after the last completed iteration and the saved RIP points at
// the instruction, so it resumes. SDM Vol. 3A, "EFLAGS.RF": a fault pushes RF = 1.
TEST_CASE("a fault in the middle of REP MOVS leaves the completed iterations",
          "[cpu_audit][string][negative]") {
    CpuFixture f;
    split_4k(f);
    set_pte(f, kSplitRegion + 0x2000, 0);
    f.reg(RSI) = kData;
    f.reg(RDI) = kSplitRegion + 0x1FFC;
    f.reg(RCX) = 8;
    for (uint8_t i = 0; i < 8; ++i)
        f.poke(kData + i, {static_cast<uint8_t>(0x10 + i)});
    f.load({0xF3, 0xA4});
    REQUIRE(f.run_until_exception() == PF);
    CHECK(f.s().cr2 == kSplitRegion + 0x2000);
    CHECK(f.pushed_error_code() == 0x2); // not present, write
    CHECK(f.pushed_rip(true) == kCode);
    CHECK(f.reg(RCX) == 4);
    CHECK(f.reg(RSI) == kData + 4);
    CHECK(f.reg(RDI) == kSplitRegion + 0x2000);
    CHECK(f.peek_val<uint32_t>(kSplitRegion + 0x1FFC) == 0x13121110);
    CHECK((frame_rflags64(f, true) & rflags::RF) != 0);
}

// ---- MOV Sreg, LEA, XLAT -------------------------------------------------------------------

// SDM Vol. 2B, MOV "Move to/from segment registers": to a 32/64-bit register the selector is
// zero-extended; with 66h only the low 16 bits are written; to memory always 16 bits.
TEST_CASE("MOV r/m, Sreg writes 16 bits to memory and zero-extends into registers",
          "[cpu_audit][mov]") {
    CpuFixture f;
    f.reg(RAX) = ~0ull;
    f.reg(RCX) = ~0ull;
    f.reg(RDX) = ~0ull;
    f.reg(RBX) = kData;
    f.poke_val<uint64_t>(kData, ~0ull);
    f.load({0x8C, 0xD8, 0x66, 0x8C, 0xD9, 0x48, 0x8C, 0xDA, 0x48, 0x8C, 0x1B});
    f.run(4);
    CHECK(f.reg(RAX) == CpuFixture::kData32);
    CHECK(f.reg(RCX) == (0xFFFFFFFFFFFF0000ull | CpuFixture::kData32));
    CHECK(f.reg(RDX) == CpuFixture::kData32);
    CHECK(f.peek_val<uint64_t>(kData) == (0xFFFFFFFFFFFF0000ull | CpuFixture::kData32));
}

// SDM Vol. 2A, LEA (Table 3-54): the address is computed with the address size, then
// truncated or zero-extended to the operand size.
TEST_CASE("LEA with mixed operand and address sizes", "[cpu_audit][mov]") {
    CpuFixture f;
    f.reg(RBX) = 0x00000001FFFFFFF0ull;
    f.reg(RSI) = 0x20;
    f.reg(RAX) = ~0ull;
    f.reg(RCX) = ~0ull;
    f.reg(RDX) = ~0ull;
    f.load({0x67, 0x48, 0x8D, 0x04, 0x33, // lea rax, [ebx+esi] -> 0x10 (32-bit wrap)
            0x66, 0x8D, 0x0C, 0x33,       // lea cx, [rbx+rsi]
            0x8D, 0x14, 0x33});           // lea edx, [rbx+rsi]
    f.run(3);
    CHECK(f.reg(RAX) == 0x10);
    CHECK(f.reg(RCX) == 0xFFFFFFFFFFFF0010ull);
    CHECK(f.reg(RDX) == 0x10);
}

// SDM Vol. 2B, XLAT/XLATB: the table base is DS:BX/EBX/RBX by address size, overridable.
TEST_CASE("XLAT uses EBX with 67h in 64-bit mode and honours FS", "[cpu_audit][mov]") {
    CpuFixture f;
    f.poke(kData + 0x42, {0x99});
    f.reg(RBX) = 0xFFFFFFFF00000000ull | kData;
    f.reg(RAX) = 0x42;
    f.load({0x67, 0xD7});
    f.run(1);
    CHECK((f.reg(RAX) & 0xFF) == 0x99);
}

// ---- decoded-instruction cache and self-modifying code -------------------------------------

// SDM Vol. 3A, "Self-Modifying Code": a write to a code byte through any linear address is
// seen by the next fetch of that byte (the cache is keyed by physical address).
TEST_CASE("SMC: a store through a second linear alias changes the next instruction",
          "[cpu_audit][smc]") {
    CpuFixture f;
    map_high_alias(f);
    // mov byte [rbx], 0x77 with RBX = the alias of the imm8 of the MOV AL, 0x11 below.
    const std::vector<uint8_t> code = {0xC6, 0x03, 0x77, 0x90, 0x90, 0x90,
                                       0x90, 0x90, 0xB0, 0x11, 0xF4};
    f.reg(RBX) = kHighAlias + kCode + 9;
    f.load(code);
    f.reg(RAX) = 0;
    // decode everything once first, so the cache holds the old MOV AL, 0x11
    f.s().rip = kCode + 8;
    f.run(1);
    CHECK(f.reg(RAX) == 0x11);
    f.s().rip = kCode;
    f.run(7);
    CHECK(f.reg(RAX) == 0x77);
}

// SDM Vol. 3A, "Self-Modifying Code": the same physical bytes decode differently in 32-bit and
// 64-bit code (48 is DEC EAX in compatibility mode, REX.W in 64-bit mode).
TEST_CASE("SMC: the same bytes run in compatibility mode and then in 64-bit mode",
          "[cpu_audit][smc]") {
    CpuFixture f(TestMode::Compat32);
    // At P (compat): 48 FF C0 = dec eax; inc eax. Then jmp far 0x08:Q.
    // At Q (64-bit): jmp far [m16:32] -> 0x08:P, which runs 48 FF C0 = inc rax.
    const uint64_t p = kCode, q = kCode + 0x100, ptr = kData;
    f.poke(p, {0x48, 0xFF, 0xC0, 0xEA});
    f.poke_val<uint32_t>(p + 4, static_cast<uint32_t>(q));
    f.poke_val<uint16_t>(p + 8, CpuFixture::kCode64);
    f.poke(q, {0xFF, 0x2C, 0x25, 0x00, 0x00, 0x30, 0x00});
    f.poke_val<uint32_t>(ptr, static_cast<uint32_t>(p));
    f.poke_val<uint16_t>(ptr + 4, CpuFixture::kCode64);
    f.s().rip = p;
    f.reg(RAX) = 5;
    f.run(3); // dec, inc, jmp far
    CHECK(f.reg(RAX) == 5);
    CHECK(f.rip() == q);
    f.run(2); // jmp far m16:32, inc rax
    CHECK(f.reg(RAX) == 6);
    CHECK(f.rip() == p + 3);
}

// SDM Vol. 3A, "Self-Modifying Code": a store to the second page of an instruction that
// straddles two pages is seen by the next execution of that instruction.
TEST_CASE("SMC: a store to the second page of a straddling instruction", "[cpu_audit][smc]") {
    CpuFixture f;
    const uint64_t at = kCode + 0x1000 - 2; // mov eax, imm32 across the page boundary
    f.poke(at, {0xB8, 0x11, 0x22, 0x33, 0x44, 0xF4});
    f.s().rip = at;
    f.run(1);
    CHECK(f.reg(RAX) == 0x44332211);
    // A store into the second page only (the imm32's high bytes) by the guest.
    f.reg(RBX) = kCode + 0x1000;
    f.load({0x66, 0xC7, 0x03, 0xBB, 0xAA, 0xE9}, kCode + 0x2000); // mov word [rbx], 0xAABB; jmp
    const int32_t rel = static_cast<int32_t>(at - (kCode + 0x2000 + 10));
    f.poke_val<int32_t>(kCode + 0x2006, rel);
    f.run(3);
    CHECK(f.reg(RAX) == 0x44AABB11); // 11 | 22 33 44 -> 11 | BB AA 44
}

// ---- far transfers (system layer) ----------------------------------------------------------

// SDM Vol. 2A, CALL, "CALL-GATE" (and JMP, "CALL-GATE"): in IA-32e mode a gate whose code
// segment is not a 64-bit code segment is #GP(code-segment selector), a check made before the
// present check of that segment (#NP comes last). Before: #NP(selector).
TEST_CASE("call gate to a not-present non-64-bit code segment is #GP(selector) in IA-32e mode",
          "[cpu_audit][far]") {
    hvlab::test::SystemFixture f;
    namespace sel = hvlab::test::sel;
    // A not-present 32-bit code segment at the kConforming slot.
    f.gdt(sel::kConforming, hvlab::test::seg_desc(0, 0xFFFFF, 0x1A, 0xC));
    f.call_gate(sel::kCallGate, sel::kConforming, 0x50'0000, 0);
    Fault x = far_call(f.c, sel::kCallGate, 0, 8, 0);
    CHECK(x.vector == GP);
    CHECK(x.error_code == sel::kConforming);
    x = far_jump(f.c, sel::kCallGate, 0, 8);
    CHECK(x.vector == GP);
    CHECK(x.error_code == sel::kConforming);
    // A not-present 64-bit code segment is #NP(selector).
    f.gdt(sel::kConforming, hvlab::test::seg_desc(0, 0xFFFFF, 0x1A, 0xA));
    x = far_call(f.c, sel::kCallGate, 0, 8, 0);
    CHECK(x.vector == NP);
    CHECK(x.error_code == sel::kConforming);
}

// SDM Vol. 2A, "LOCK—Assert LOCK# Signal Prefix": LOCK is valid only with ADD, ADC, AND, BTC,
// BTR, BTS, CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD and XCHG with a
// memory destination; with anything else it is #UD.
TEST_CASE("LOCK: exactly the listed read-modify-write forms decode", "[cpu_audit][decode]") {
    const std::vector<std::vector<uint8_t>> lockable = {
        {0xF0, 0x00, 0x00},          {0xF0, 0x11, 0x00},
        {0xF0, 0x20, 0x00},          {0xF0, 0x09, 0x00},
        {0xF0, 0x18, 0x00},          {0xF0, 0x29, 0x00},
        {0xF0, 0x31, 0x00},          {0xF0, 0x80, 0x00, 1},
        {0xF0, 0x83, 0x30, 1},       {0xF0, 0xF6, 0x10},
        {0xF0, 0xF7, 0x18},          {0xF0, 0xFE, 0x00},
        {0xF0, 0xFF, 0x08},          {0xF0, 0x86, 0x00},
        {0xF0, 0x0F, 0xB0, 0x00},    {0xF0, 0x0F, 0xB1, 0x00},
        {0xF0, 0x0F, 0xC0, 0x00},    {0xF0, 0x0F, 0xC1, 0x00},
        {0xF0, 0x0F, 0xAB, 0x00},    {0xF0, 0x0F, 0xB3, 0x00},
        {0xF0, 0x0F, 0xBB, 0x00},    {0xF0, 0x0F, 0xBA, 0x28, 1},
        {0xF0, 0x0F, 0xBA, 0x30, 1}, {0xF0, 0x0F, 0xBA, 0x38, 1},
        {0xF0, 0x0F, 0xC7, 0x08},    {0xF0, 0x48, 0x0F, 0xC7, 0x08},
    };
    const std::vector<std::vector<uint8_t>> not_lockable = {
        {0xF0, 0x38, 0x00},
        {0xF0, 0x84, 0x00},
        {0xF0, 0x80, 0x38, 1},
        {0xF0, 0xF6, 0x20},
        {0xF0, 0xF7, 0x38},
        {0xF0, 0xD1, 0x20},
        {0xF0, 0x0F, 0xAF, 0x00},
        {0xF0, 0x0F, 0xA3, 0x00},
        {0xF0, 0x0F, 0xBA, 0x20, 1},
        {0xF0, 0xFF, 0x10},
        {0xF0, 0xFF, 0x30},
        {0xF0, 0x8F, 0x00},
        {0xF0, 0xC6, 0x00, 1},
        {0xF0, 0x0F, 0xB6, 0x00},
        {0xF0, 0x0F, 0xBC, 0x00},
        {0xF0, 0x0F, 0xC7, 0x30},
        {0xF0, 0x0F, 0x38, 0xF1, 0x00},
        {0xF0, 0xA4},
        {0xF0, 0xAB},
        {0xF0, 0x6A, 0x01},
        {0xF0, 0x90},
    };
    for (const auto& b : lockable) {
        INFO("lockable " << hex_bytes(b));
        CHECK(decode_info(b.data(), b.size(), CpuMode::Long64).status == DecodeInfo::Status::Ok);
    }
    for (const auto& b : not_lockable) {
        INFO("not lockable " << hex_bytes(b));
        CHECK(decode_info(b.data(), b.size(), CpuMode::Long64).status ==
              DecodeInfo::Status::Undefined);
    }
}

// SDM Vol. 1, "Operand-Size and Address-Size Attributes" / Vol. 2A CALL, RET, PUSH, LOOP: in a
// 16-bit code segment (CS.D = 0) the defaults are 16-bit operands and addresses: CALL pushes
// IP (2 bytes), RET pops 2, PUSH imm pushes 2, LOOP counts CX, [bx+si] addressing; 66h/67h
// select 32 bits.
TEST_CASE("16-bit code segment defaults in protected mode", "[cpu_audit][decode][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[CS] = Segment{CpuFixture::kCode16, kCode, 0xFFFF, 0x009B};
    f.cpu.invalidate_caches();
    f.poke_val<uint16_t>(kData + 0x30, 0x4321);
    f.reg(RBX) = kData + 0x10; // BX = 0x0010 (with DS base 0: 16-bit addressing uses BX only)
    f.s().seg[DS].base = kData;
    f.cpu.invalidate_caches();
    f.reg(RSI) = 0xFFFF0020;
    f.reg(RCX) = 0xABCD0001;
    f.load({0xE8, 0x10, 0x00, // 0: call +0x10 -> 0x13 (pushes IP 3, 2 bytes)
            0x8B, 0x00,       // 3: mov ax, [bx+si] -> DS:0x30
            0x6A, 0xFF,       // 5: push -1 (2 bytes)
            0xE2, 0x00,       // 7: loop (CX 1 -> 0, not taken)
            0x66, 0x6A, 0x01, // 9: push dword 1
            0xF4},
           kCode);
    f.poke(kCode + 0x13, {0xC3}); // ret (pops 2 bytes)
    f.s().rip = 0;
    f.run(2); // call, ret
    CHECK(f.rip() == 3);
    CHECK(f.reg(RSP) == CpuFixture::kStackTop);
    CHECK(f.peek_val<uint16_t>(CpuFixture::kStackTop - 2) == 3);
    f.run(4);
    CHECK((f.reg(RAX) & 0xFFFF) == 0x4321);
    CHECK(f.reg(RCX) == 0xABCD0000);
    CHECK(f.reg(RSP) == CpuFixture::kStackTop - 6);
    CHECK(f.peek_val<uint16_t>(CpuFixture::kStackTop - 2) == 0xFFFF);
    CHECK(f.peek_val<uint32_t>(CpuFixture::kStackTop - 6) == 1);
    CHECK(f.rip() == 12);
}

// SDM Vol. 3B, "Single-Step Exception Condition" (and Vol. 2B, REP: "a repeating string
// operation can be suspended by an exception"): with TF = 1 a REP string instruction is
// single-stepped per iteration: a #DB trap after each iteration with RIP still at the
// instruction while the count is not exhausted; with a count of 0 it completes at once.
// Before: the whole chunk (up to 4096 iterations) ran before the one #DB.
TEST_CASE("TF single-steps a REP string instruction one iteration at a time",
          "[cpu_audit][string]") {
    CpuFixture f;
    f.s().rflags |= rflags::TF;
    f.reg(RSI) = kData;
    f.reg(RDI) = kData + 0x100;
    f.reg(RCX) = 3;
    f.load({0xF3, 0xA4});
    f.run(2); // one iteration, then the #DB handler's HLT
    REQUIRE(f.delivered_vector() == DB);
    CHECK(f.reg(RCX) == 2);
    CHECK(f.reg(RSI) == kData + 1);
    CHECK(f.pushed_rip(false) == kCode);
    CHECK((f.s().dr[6] & (1u << 14)) != 0); // DR6.BS

    // The last iteration moves RIP past the instruction; a zero count does too.
    for (uint64_t count : {1u, 0u}) {
        CpuFixture g;
        g.s().rflags |= rflags::TF;
        g.reg(RSI) = kData;
        g.reg(RDI) = kData + 0x100;
        g.reg(RCX) = count;
        g.load({0xF3, 0xAA});
        g.run(2);
        REQUIRE(g.delivered_vector() == DB);
        CHECK(g.reg(RCX) == 0);
        CHECK(g.pushed_rip(false) == kCode + 2);
    }
}

namespace {

// Ring 3 in 64-bit mode with IOPL 0 and an I/O permission bitmap at TSS offset 0x68 that
// covers ports up to 8 * (limit - 0x68) (SDM Vol. 1, "I/O Permission Bit Map").
void ring3_with_io_bitmap(CpuFixture& f, uint32_t tss_limit) {
    CpuState& s = f.s();
    s.seg[CS] = Segment{CpuFixture::kUserCode64 | 3, 0, 0xFFFFFFFF, 0xA0FB};
    s.seg[SS] = Segment{CpuFixture::kUserData | 3, 0, 0xFFFFFFFF, 0xC0F3};
    s.tr.limit = tss_limit;
    f.poke_val<uint16_t>(CpuFixture::kTss + 0x66, 0x68);
    for (uint32_t o = 0x68; o <= tss_limit; ++o)
        f.poke(CpuFixture::kTss + o, {0});
    f.cpu.invalidate_caches();
}

} // namespace

// SDM Vol. 1, "I/O Permission Bit Map" (and Vol. 2A INS / Vol. 2B OUTS, "Protected Mode
// Exceptions"): at CPL > IOPL each port of the access needs its bit clear; the processor
// reads two bytes of the map, and a byte beyond the TSS limit is #GP(0). For INS/OUTS the
// check is made per iteration, before any memory access.
TEST_CASE("INS/OUTS at CPL 3 use the TSS I/O permission bitmap", "[cpu_audit][io]") {
    CpuFixture f;
    ring3_with_io_bitmap(f, 0x68 + 0x11);
    f.poke(CpuFixture::kTss + 0x68 + 0x10, {0x02}); // port 0x81 denied
    f.poke(kData, {0xAB, 0xCD});
    f.reg(RDX) = 0x80;
    f.reg(RSI) = kData;
    f.load({0x6E}); // outsb to port 0x80: allowed
    f.run(1);
    REQUIRE(f.env.log.size() == 1);
    CHECK(f.env.log[0].port == 0x80);
    CHECK(f.env.log[0].value == 0xAB);
    CHECK(f.reg(RSI) == kData + 1);
    // OUTSW to 0x80 covers ports 0x80 and 0x81: denied, nothing read or changed.
    f.load({0x66, 0x6F});
    REQUIRE(f.run_until_exception() == GP);
    CHECK(f.pushed_error_code() == 0);
    CHECK(f.env.log.size() == 1);
    CHECK(f.reg(RSI) == kData + 1);

    // REP INSB: the second port of a word access at 0x87 lies in the next map byte.
    CpuFixture g;
    ring3_with_io_bitmap(g, 0x68 + 0x11);
    g.poke(CpuFixture::kTss + 0x68 + 0x11, {0x01}); // port 0x88 denied
    g.reg(RDX) = 0x87;
    g.reg(RDI) = kData;
    g.load({0x66, 0x6D}); // insw from 0x87: ports 0x87, 0x88
    REQUIRE(g.run_until_exception() == GP);
    CHECK(g.env.log.empty());

    // The two map bytes must both lie within the TSS limit: port 0x80 with the limit at the
    // byte of 0x80 (its successor outside) is #GP(0) although its bit is clear.
    CpuFixture h;
    ring3_with_io_bitmap(h, 0x68 + 0x10);
    h.reg(RDX) = 0x80;
    h.reg(RSI) = kData;
    h.load({0x6E});
    REQUIRE(h.run_until_exception() == GP);
    CHECK(h.env.log.empty());
}

namespace {

// Maps the highest 2 MiB of the lower canonical half (0x7FFF'FFE0'0000) to physical 6 MiB.
constexpr uint64_t kTopOfLowHalf = 0x0000'8000'0000'0000ull;
void map_top_of_low_half(CpuFixture& f) {
    f.poke_val<uint64_t>(CpuFixture::kPml4 + 8 * 255, 0xA000 | 0x7);
    for (uint64_t i = 0; i < 512; ++i) {
        f.poke_val<uint64_t>(0xA000 + 8 * i, 0);
        f.poke_val<uint64_t>(0xB000 + 8 * i, 0);
    }
    f.poke_val<uint64_t>(0xA000 + 8 * 511, 0xB000 | 0x7);
    f.poke_val<uint64_t>(0xB000 + 8 * 511, 0x600000 | 0x87);
    f.cpu.invalidate_caches();
}
constexpr uint64_t phys_of_top(uint64_t linear) {
    return 0x600000 + (linear - 0x7FFF'FFE0'0000);
}

} // namespace

// SDM Vol. 1, "Canonical Addressing" / Vol. 3A, "Interrupt 13—General Protection Exception":
// in 64-bit mode an instruction fetch from a non-canonical address is #GP(0), never a page
// walk. Sequential execution off the end of the lower half faults on the next fetch; an
// instruction straddling the boundary faults at its own RIP.
TEST_CASE("fetch from a non-canonical RIP is #GP(0)", "[cpu_audit][decode][negative]") {
    CpuFixture f;
    map_top_of_low_half(f);
    f.poke(phys_of_top(kTopOfLowHalf - 1), {0x90});
    f.s().rip = kTopOfLowHalf - 1;
    REQUIRE(f.run_until_exception() == GP);
    CHECK(f.pushed_error_code() == 0);
    CHECK(f.pushed_rip(true) == kTopOfLowHalf);

    CpuFixture g;
    map_top_of_low_half(g);
    g.poke(phys_of_top(kTopOfLowHalf - 2), {0x90, 0x48}); // nop; then REX.W ... across it
    g.s().rip = kTopOfLowHalf - 2;
    REQUIRE(g.run_until_exception() == GP);
    CHECK(g.pushed_error_code() == 0);
    CHECK(g.pushed_rip(true) == kTopOfLowHalf - 1);
}

// SDM Vol. 2B, MOVSX/MOVSXD: 63 /r in 64-bit mode is MOVSXD; with a 16-bit operand size it
// is "MOVSXD r16, r/m16" (a word source), so a word at the end of a mapped page does not fault.
// Before: a doubleword was read whatever the operand size (#PF on the next page).
TEST_CASE("MOVSXD with 66h reads a word", "[cpu_audit][decode]") {
    CpuFixture f;
    split_4k(f);
    set_pte(f, kSplitRegion + 0x1000, 0);
    const uint64_t at = kSplitRegion + 0x1000 - 2;
    f.poke_val<uint16_t>(at, 0x8001);
    f.reg(RBX) = at;
    f.reg(RAX) = 0x1111111111111111ull;
    f.load({0x66, 0x63, 0x03, 0xF4}); // movsxd ax, word [rbx]
    f.run(1);
    CHECK(f.delivered_vector() == -1);
    CHECK(f.rip() == kCode + 3);
    CHECK(f.reg(RAX) == 0x1111111111118001ull);
}

// SDM Vol. 3A, "Interrupt and Exception Handling": delivering an interrupt through an
// interrupt or trap gate clears TF, and a single-step trap pending for the INT n / INT3 /
// INTO that caused the delivery is discarded with the old context (it resumes after IRET):
// the handler's first instruction runs without a #DB.
TEST_CASE("INT n with TF set enters the handler without a single-step trap",
          "[cpu_audit][branch]") {
    for (auto code : {bytes({0xCD, 0x40}), bytes({0xCC})}) {
        CpuFixture f;
        f.s().rflags |= rflags::TF;
        f.load(code);
        f.run(2); // INT, then the handler's HLT
        const int expected = code[0] == 0xCC ? int(BP) : 0x40;
        CHECK(f.delivered_vector() == expected);
        CHECK(f.pushed_rip(false) == kCode + code.size());
        CHECK((f.s().dr[6] & (1u << 14)) == 0);
    }
}

// SDM Vol. 3B, "Instruction-Breakpoint Exception Condition" (how the processor manages RF):
// "For any interrupt arriving after any iteration of a repeated string instruction but the
// last iteration, the value pushed for RF is 1. For any trap-class exception generated by any
// iteration of a repeated string instruction but the last iteration, the value pushed for RF
// is 1." After the last iteration the pushed RF is EFLAGS.RF (0). Before: RF 0 in both cases.
TEST_CASE("an event between REP iterations pushes RF = 1, after the last one RF = 0",
          "[cpu_audit][string]") {
    // Single-step trap after the first of three iterations, then after the last one.
    CpuFixture f;
    f.s().rflags |= rflags::TF;
    f.reg(RDI) = kData;
    f.reg(RCX) = 2;
    f.load({0xF3, 0xAA});
    f.run(2);
    REQUIRE(f.delivered_vector() == DB);
    CHECK(f.pushed_rip(false) == kCode);
    CHECK((frame_rflags64(f, false) & rflags::RF) != 0);
    CHECK((f.s().rflags & rflags::RF) == 0); // cleared by the delivery
    // Return to the REP with IRET's image (TF, RF = 1): its last iteration, then #DB again.
    f.s().rflags = frame_rflags64(f, false);
    f.s().rip = kCode;
    f.reg(RSP) += 40;
    f.s().activity = CpuState::Activity::Active; // out of the stub's HLT
    f.run(2);
    REQUIRE(f.delivered_vector() == DB);
    CHECK(f.reg(RCX) == 0);
    CHECK(f.pushed_rip(false) == kCode + 2);
    CHECK((frame_rflags64(f, false) & rflags::RF) == 0);

    // An external interrupt arriving while a long REP STOSB is in progress.
    CpuFixture g;
    g.s().rflags |= rflags::IF;
    g.reg(RDI) = kData;
    g.reg(RCX) = 100000;
    g.load({0xF3, 0xAA, 0xF4});
    g.run(1);
    REQUIRE(g.reg(RCX) != 0); // hvlab runs a long REP in bounded chunks
    REQUIRE(g.rip() == kCode);
    g.env.pending_vector = 0x41;
    g.run(2);
    REQUIRE(g.delivered_vector() == 0x41);
    CHECK(g.pushed_rip(false) == kCode);
    CHECK((frame_rflags64(g, false) & rflags::RF) != 0);

    // Without events a finished REP leaves RF clear.
    CpuFixture h;
    h.reg(RDI) = kData;
    h.reg(RCX) = 100000;
    h.load({0xF3, 0xAA, 0xF4});
    h.run(1000);
    CHECK(h.reg(RCX) == 0);
    CHECK(h.rip() == kCode + 3);
    CHECK((h.s().rflags & rflags::RF) == 0);
}

// SDM Vol. 2A, CALL / JMP and Vol. 2B, RET (far forms, protected mode, same privilege): a far
// CALL pushes CS then EIP with the operand size (ptr16:32 or, with 66h, ptr16:16); RETF
// imm16 pops them and releases imm16 more bytes.
TEST_CASE("far CALL ptr16:32 and ptr16:16, RETF imm16 in 32-bit mode", "[cpu_audit][branch]") {
    CpuFixture f(TestMode::Protected32);
    const uint64_t top = CpuFixture::kStackTop;
    f.load({0x9A, 0x40, 0x00, 0x10, 0x00, CpuFixture::kCode32, 0x00, // call far 0x18:0x100040
            0x66, 0x9A, 0x50, 0x00, CpuFixture::kCode32, 0x00});     // call far 0x18:0x0050
    f.poke(kCode + 0x40, {0xCA, 0x08, 0x00});                        // retf 8
    f.poke(0x50, {0x66, 0xCB});                                      // retf (16-bit)
    f.run(1);
    CHECK(f.rip() == kCode + 0x40);
    CHECK(f.reg(RSP) == top - 8);
    CHECK(f.peek_val<uint32_t>(top - 4) == CpuFixture::kCode32);
    CHECK(f.peek_val<uint32_t>(top - 8) == kCode + 7);
    f.run(1);
    CHECK(f.rip() == kCode + 7);
    CHECK(f.reg(RSP) == top + 8);
    f.reg(RSP) = top;
    f.run(1);
    CHECK(f.rip() == 0x50);
    CHECK(f.reg(RSP) == top - 4);
    CHECK(f.peek_val<uint16_t>(top - 2) == CpuFixture::kCode32);
    CHECK(f.peek_val<uint16_t>(top - 4) == 13);
    f.run(1); // back to IP 13: the 16-bit far CALL pushed IP, EIP[31:16] are lost
    CHECK(f.rip() == 13);
    CHECK(f.reg(RSP) == top);
    CHECK(f.s().seg[CS].selector == CpuFixture::kCode32);
}

// SDM Vol. 3A, "Accessing Nonconforming/Conforming Code Segments" and Vol. 2A JMP
// "CONFORMING-CODE-SEGMENT": a far JMP from CPL 3 to a conforming DPL-0 code segment keeps
// CPL 3 (CS.RPL is set to CPL); to a non-conforming DPL-0 segment it is #GP(selector).
TEST_CASE("far JMP to a conforming segment keeps CPL", "[cpu_audit][branch]") {
    CpuFixture f;
    f.poke_val<uint64_t>(CpuFixture::kGdt + 0x40, 0x00AF9F000000FFFFull); // conforming 64-bit
    f.s().gdtr.limit = 0x47;
    f.s().seg[CS] = Segment{CpuFixture::kUserCode64 | 3, 0, 0xFFFFFFFF, 0xA0FB};
    f.s().seg[SS] = Segment{CpuFixture::kUserData | 3, 0, 0xFFFFFFFF, 0xC0F3};
    f.cpu.invalidate_caches();
    f.poke_val<uint64_t>(kData, kCode + 0x80);
    f.poke_val<uint16_t>(kData + 8, 0x40);
    f.poke_val<uint64_t>(kData + 16, kCode + 0x90);
    f.poke_val<uint16_t>(kData + 24, CpuFixture::kCode64);
    f.load({0x48, 0xFF, 0x2C, 0x25, 0x00, 0x00, 0x30, 0x00}); // jmp far [0x300000] (m16:64)
    f.poke(kCode + 0x80, {0x48, 0xFF, 0x2C, 0x25, 0x10, 0x00, 0x30, 0x00});
    f.run(1);
    CHECK(f.rip() == kCode + 0x80);
    CHECK(f.s().seg[CS].selector == (0x40 | 3));
    CHECK(f.s().cpl() == 3);
    REQUIRE(f.run_until_exception() == GP);
    CHECK(f.pushed_error_code() == CpuFixture::kCode64);
    CHECK(f.pushed_rip(true) == kCode + 0x80);
}

// SDM Vol. 3A, "Self-Modifying Code" / "Handling Self- and Cross-Modifying Code": bytes
// written into RAM by something other than this processor (a debugger, a loader, a DMA-like
// bus write) are what the next fetch decodes.
TEST_CASE("SMC: a bus write to already decoded code takes effect", "[cpu_audit][smc]") {
    CpuFixture f;
    f.load({0xB0, 0x11, 0xF4}); // mov al, 0x11; hlt
    f.run(2);
    CHECK((f.reg(RAX) & 0xFF) == 0x11);
    f.poke(kCode + 1, {0x22}); // through PhysBus::write_bytes
    f.s().activity = CpuState::Activity::Active;
    f.s().rip = kCode;
    f.run(1);
    CHECK((f.reg(RAX) & 0xFF) == 0x22);
}

// SDM Vol. 2A, ENTER: the nesting level is imm8 MOD 32; level 1 pushes RBP and the frame
// pointer; an exception while copying the outer frame pointers leaves RSP, RBP and the stack
// as they were (a fault-class exception restarts the instruction).
TEST_CASE("ENTER: level modulo 32, and a fault changes nothing", "[cpu_audit][stack]") {
    CpuFixture f;
    const uint64_t top = CpuFixture::kStackTop;
    f.reg(RBP) = 0x1234;
    f.load({0xC8, 0x10, 0x00, 0x21}); // enter 16, 33 -> level 1
    f.run(1);
    CHECK(f.peek_val<uint64_t>(top - 8) == 0x1234);
    CHECK(f.peek_val<uint64_t>(top - 16) == top - 8);
    CHECK(f.reg(RBP) == top - 8);
    CHECK(f.reg(RSP) == top - 16 - 16);

    CpuFixture g; // at CPL 3, so the #PF frame goes to the TSS stack, not over ENTER's
    g.s().seg[CS] = Segment{CpuFixture::kUserCode64 | 3, 0, 0xFFFFFFFF, 0xA0FB};
    g.s().seg[SS] = Segment{CpuFixture::kUserData | 3, 0, 0xFFFFFFFF, 0xC0F3};
    split_4k(g);
    set_pte(g, kSplitRegion + 0x1000, 0);
    g.reg(RBP) = kSplitRegion + 0x1000 + 0x10; // [RBP-8] lies on the not-present page
    g.poke_val<uint64_t>(top - 8, 0x5555);
    g.load({0xC8, 0x00, 0x00, 0x02}); // enter 0, 2: reads [RBP-8]
    REQUIRE(g.run_until_exception() == PF);
    CHECK(g.s().cr2 == kSplitRegion + 0x1008);
    CHECK(g.pushed_error_code() == 0x4); // user, read, not present
    CHECK(g.pushed_rip(true) == kCode);
    CHECK(g.peek_val<uint64_t>(g.reg(RSP) + 32) == top); // the interrupted RSP
    CHECK(g.reg(RBP) == kSplitRegion + 0x1010);
    CHECK(g.peek_val<uint64_t>(top - 8) == 0x5555);
}

// SDM Vol. 2A, CALL (far, IA-32e mode) and Vol. 2B, RET (far): a far CALL m16:32 from 64-bit
// code to a compatibility-mode code segment pushes CS and EIP as 4-byte values; RETF (32-bit
// operand size) in compatibility mode pops them and returns to 64-bit mode; RETF imm16
// releases the parameters.
TEST_CASE("far CALL to compatibility mode and RETF imm16 back to 64-bit code",
          "[cpu_audit][branch]") {
    CpuFixture f;
    const uint64_t top = CpuFixture::kStackTop;
    f.poke_val<uint32_t>(kData, static_cast<uint32_t>(kCode + 0x40));
    f.poke_val<uint16_t>(kData + 4, CpuFixture::kCode32);
    f.load({0x6A, 0x77,                                 // push 0x77 (a parameter)
            0xFF, 0x1C, 0x25, 0x00, 0x00, 0x30, 0x00}); // call far [0x300000] (m16:32)
    f.poke(kCode + 0x40, {0x48, 0xCA, 0x04, 0x00});     // compat: dec eax; retf 4
    f.reg(RAX) = 10;
    f.run(2);
    CHECK(f.s().mode() == CpuMode::Compat32);
    CHECK(f.rip() == kCode + 0x40);
    CHECK(f.reg(RSP) == top - 8 - 8);
    CHECK(f.peek_val<uint32_t>(top - 12) == CpuFixture::kCode64);
    CHECK(f.peek_val<uint32_t>(top - 16) == kCode + 9);
    f.run(2);
    CHECK(f.reg(RAX) == 9);
    CHECK(f.s().mode() == CpuMode::Long64);
    CHECK(f.rip() == kCode + 9);
    CHECK(f.reg(RSP) == top - 8 + 4); // 8 popped, then 4 released
}

// SDM Vol. 2A, INT n/INTO/INT3/INT1: outside 64-bit mode INTO raises #OF (a trap: the saved
// EIP is the next instruction) only when OF = 1; INT1 (F1) raises #DB as a trap too.
TEST_CASE("INTO traps only with OF set, INT1 raises #DB", "[cpu_audit][branch][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.load({0xCE, 0x90, 0xCE});
    f.run(2); // OF = 0: INTO and NOP run through
    CHECK(f.rip() == kCode + 2);
    f.s().rflags |= rflags::OF;
    f.run(2);
    REQUIRE(f.delivered_vector() == OF);
    CHECK(f.pushed_rip(false) == kCode + 3);

    CpuFixture g;
    g.load({0xF1});
    g.run(2);
    REQUIRE(g.delivered_vector() == DB);
    CHECK(g.pushed_rip(false) == kCode + 1);
}

// SDM Vol. 2B, POP, "Operation": the stack-address size (SP or ESP) of the pop is that of the
// stack in use when POP starts; POP SS loading a segment with a different B bit does not
// change how this pop moves the stack pointer. Before: the new SS.B chose SP (16-bit wrap).
TEST_CASE("POP SS moves the stack pointer with the old stack size", "[cpu_audit][stack][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.poke_val<uint64_t>(CpuFixture::kGdt + 0x40, 0x008F93000000FFFFull); // 16-bit stack, G=1
    f.s().gdtr.limit = 0x47;
    f.cpu.invalidate_caches();
    f.reg(RSP) = 0x1FFFC;
    f.poke_val<uint32_t>(0x1FFFC, 0x40);
    f.load({0x17}); // pop ss
    f.run(1);
    CHECK(f.s().seg[SS].selector == 0x40);
    CHECK(!f.s().seg[SS].db());
    CHECK(f.reg(RSP) == 0x20000);
}

// SDM Vol. 2A, JMP / CALL (far, protected and IA-32e mode) and Vol. 2B, RET (far): the error
// code of each check, in the order the pseudo-code makes them.
TEST_CASE("far transfer checks and their error codes", "[cpu_audit][far]") {
    namespace sel = hvlab::test::sel;
    using hvlab::test::seg_desc;
    auto expect = [](Fault x, uint8_t vector, uint32_t ec) {
        CHECK(x.vector == vector);
        CHECK(x.error_code == ec);
    };
    hvlab::test::SystemFixture f;
    expect(far_jump(f.c, 0, 0x1000, 8), GP, 0);                                   // null selector
    expect(far_jump(f.c, sel::kGdtEntries | 3, 0x1000, 8), GP, sel::kGdtEntries); // beyond GDT
    expect(far_jump(f.c, sel::kData0, 0x1000, 8), GP, sel::kData0);               // not code
    expect(far_call(f.c, sel::kTss, 0x1000, 8, 0), GP, sel::kTss);        // TSS in IA-32e mode
    expect(far_jump(f.c, sel::kCode64 | 3, 0x1000, 8), GP, sel::kCode64); // RPL > CPL
    f.gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0x1E, 0xA));             // conforming, not present
    expect(far_jump(f.c, sel::kConforming, 0x1000, 8), NP, sel::kConforming);
    f.gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0x9A, 0xE)); // L = 1 and D = 1
    expect(far_jump(f.c, sel::kConforming, 0x1000, 8), GP, sel::kConforming);
    expect(far_jump(f.c, sel::kCode32, 0x1'0000'0000ull, 8), GP, 0);         // beyond the limit
    expect(far_jump(f.c, sel::kCode64, 0x0000'8000'0000'0000ull, 8), GP, 0); // non-canonical
    f.to_ring3();
    f.gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0xFE, 0xA)); // conforming DPL 3
    expect(far_jump(f.c, sel::kConforming | 3, 0x1000, 8), kNoFault.vector, 0);
    hvlab::test::SystemFixture g;
    g.to_ring3();
    g.gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0xDE, 0xA)); // conforming DPL 2 <= CPL 3
    expect(far_jump(g.c, sel::kConforming | 3, 0x1000, 8), kNoFault.vector, 0);
    CHECK(g.s.cpl() == 3);
    hvlab::test::SystemFixture h;
    h.gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0x9E, 0xA)); // conforming DPL 0 at CPL 0
    h.gdt(sel::kData1, seg_desc(0, 0xFFFFF, 0xBE, 0xA));      // conforming DPL 1 > CPL 0
    expect(far_jump(h.c, sel::kData1, 0x1000, 8), GP, sel::kData1);
}

// SDM Vol. 2B, PUSHA/PUSHAD ("#SS(0) if the starting or ending stack address is outside the
// stack segment limit") with SS.B = 0: the eight pushes wrap SP at 64 KiB one by one; a frame
// that wraps is not a limit violation. Before: the frame was checked as one range past 0xFFFF.
TEST_CASE("PUSHAD on a 16-bit stack wraps SP", "[cpu_audit][stack][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[SS] = Segment{CpuFixture::kData32, kData, 0xFFFF, 0x0093};
    f.cpu.invalidate_caches();
    f.reg(RSP) = 0xABCD0010;
    for (unsigned r = 0; r < 8; ++r)
        if (r != RSP) f.reg(static_cast<Gpr>(r)) = 0x11111111u * (r + 1);
    f.load({0x60, 0x61}); // pushad; popad
    f.run(1);
    REQUIRE(f.delivered_vector() == -1);
    CHECK(f.reg(RSP) == 0xABCDFFF0);
    CHECK(f.peek_val<uint32_t>(kData + 0x0C) == 0x11111111u);   // EAX
    CHECK(f.peek_val<uint32_t>(kData + 0x00) == 0x44444444u);   // EBX
    CHECK(f.peek_val<uint32_t>(kData + 0xFFFC) == 0xABCD0010u); // the original ESP
    CHECK(f.peek_val<uint32_t>(kData + 0xFFF0) == 0x88888888u); // EDI
    for (unsigned r = 0; r < 8; ++r)
        if (r != RSP) f.reg(static_cast<Gpr>(r)) = 0;
    f.run(1);
    CHECK(f.reg(RAX) == 0x11111111u);
    CHECK(f.reg(RDI) == 0x88888888u);
    CHECK(f.reg(RSP) == 0xABCD0010);
}

// SDM Vol. 2A, ENTER, "Operation": the frame is built by successive pushes, each wrapping SP
// at 64 KiB on a 16-bit stack (SS.B = 0). Before: the frame was checked as one range past
// 0xFFFF (#SS).
TEST_CASE("ENTER on a 16-bit stack wraps SP", "[cpu_audit][stack][mode32]") {
    CpuFixture f(TestMode::Protected32);
    f.s().seg[SS] = Segment{CpuFixture::kData32, kData, 0xFFFF, 0x0093};
    f.cpu.invalidate_caches();
    f.reg(RSP) = 0x00000004;
    f.reg(RBP) = 0x12345678;
    f.load({0xC8, 0x08, 0x00, 0x01}); // enter 8, 1
    f.run(1);
    REQUIRE(f.delivered_vector() == -1);
    CHECK(f.peek_val<uint32_t>(kData + 0x0000) == 0x12345678u); // pushed EBP
    CHECK(f.peek_val<uint32_t>(kData + 0xFFFC) == 0x00000000u); // frame pointer (SP 0)
    CHECK(f.reg(RBP) == 0x00000000u);
    CHECK(f.reg(RSP) == 0x0000FFF4u);
}

// SDM Vol. 3A, "Exception- or Interrupt-Handler Procedures" (Protection of Exception- and
// Interrupt-Handler Procedures): a handler in a conforming code segment runs at the current
// privilege level, on the current stack. Before: CPL was taken from the conforming segment's
// DPL (0): a ring-3 INT n through such a gate ended up at CPL 0.
TEST_CASE("INT n to a conforming handler segment keeps CPL 3", "[cpu_audit][branch]") {
    CpuFixture f;
    f.poke_val<uint64_t>(CpuFixture::kGdt + 0x40, 0x00AF9F000000FFFFull); // conforming, DPL 0
    f.s().gdtr.limit = 0x47;
    const uint64_t gate = CpuFixture::kIdt + 16 * 0x50;
    f.poke_val<uint16_t>(gate + 2, 0x40); // vector 0x50's handler: conforming code
    f.s().seg[CS] = Segment{CpuFixture::kUserCode64 | 3, 0, 0xFFFFFFFF, 0xA0FB};
    f.s().seg[SS] = Segment{CpuFixture::kUserData | 3, 0, 0xFFFFFFFF, 0xC0F3};
    f.cpu.invalidate_caches();
    f.load({0xCD, 0x50});
    f.run(1);
    CHECK(f.rip() == CpuFixture::kStubs + 8 * 0x50);
    CHECK(f.s().cpl() == 3);
    CHECK(f.s().seg[CS].selector == (0x40 | 3));
    CHECK(f.reg(RSP) == CpuFixture::kStackTop - 40); // same stack: SS, RSP, RFLAGS, CS, RIP
    CHECK(f.peek_val<uint64_t>(f.reg(RSP) + 8) == (CpuFixture::kUserCode64 | 3));
}
