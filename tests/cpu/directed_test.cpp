// Directed tests per instruction class: strings, stack, control flow, bit addressing, atomics,
// port I/O, system front ends, and the #UD/#GP/#SS rules of each.
#include "cpu/system.hpp"
#include "cpu_fixture.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

constexpr uint64_t kData = CpuFixture::kData;

// Runs `code` followed by HLT and requires that it ends at that HLT without an exception.
void run_ok(CpuFixture& m, std::vector<uint8_t> code, uint64_t budget = 100000) {
    code.push_back(0xF4);
    m.load(code);
    m.s().activity = CpuState::Activity::Active; // a previous run_ok ended in HLT
    const RunResult r = m.run(budget);
    INFO("stopped at rip=" << std::hex << m.rip() << " vector " << std::dec
                           << m.delivered_vector());
    REQUIRE(m.delivered_vector() == -1);
    REQUIRE(r.reason == StopReason::Halted);
    REQUIRE(m.rip() == CpuFixture::kCode + code.size());
}

// Runs `code` and returns the exception vector it raised (or -1).
int run_fault(CpuFixture& m, std::vector<uint8_t> code) {
    code.push_back(0xF4);
    m.load(code);
    m.s().activity = CpuState::Activity::Active;
    m.run(1000);
    return m.delivered_vector();
}

} // namespace

TEST_CASE("string: REP MOVSB copies forward, REP MOVSD backward with DF", "[cpu][string]") {
    CpuFixture m;
    for (int i = 0; i < 16; ++i) m.poke_val<uint8_t>(kData + i, uint8_t(i + 1));
    // mov rsi, kData; mov rdi, kData+0x100; mov rcx, 10; cld; rep movsb
    run_ok(m, {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x30, 0x00, 0x48, 0xc7, 0xc7, 0x00, 0x01, 0x30,
               0x00, 0x48, 0xc7, 0xc1, 0x0a, 0x00, 0x00, 0x00, 0xfc, 0xf3, 0xa4});
    for (int i = 0; i < 10; ++i) CHECK(m.peek_val<uint8_t>(kData + 0x100 + i) == i + 1);
    CHECK(m.peek_val<uint8_t>(kData + 0x10A) == 0);
    CHECK(m.reg(RCX) == 0);
    CHECK(m.reg(RSI) == kData + 10);
    CHECK(m.reg(RDI) == kData + 0x10A);

    CpuFixture n;
    n.poke_val<uint32_t>(kData, 0x11111111);
    n.poke_val<uint32_t>(kData + 4, 0x22222222);
    n.reg(RSI) = kData + 4, n.reg(RDI) = kData + 0x204, n.reg(RCX) = 2;
    run_ok(n, {0xfd, 0xf3, 0xa5}); // std; rep movsd
    CHECK(n.peek_val<uint32_t>(kData + 0x200) == 0x11111111);
    CHECK(n.peek_val<uint32_t>(kData + 0x204) == 0x22222222);
    CHECK(n.reg(RSI) == kData - 4);
    CHECK(n.reg(RDI) == kData + 0x1FC);
}

TEST_CASE("string: REP STOSB, REPE CMPSB and REPNE SCASB stop where they should", "[cpu][string]") {
    CpuFixture m;
    m.reg(RDI) = kData, m.reg(RCX) = 5;
    run_ok(m, {0xb0, 0x5a, 0xf3, 0xaa}); // mov al, 0x5a; rep stosb
    for (int i = 0; i < 5; ++i) CHECK(m.peek_val<uint8_t>(kData + i) == 0x5a);
    CHECK(m.peek_val<uint8_t>(kData + 5) == 0);

    // compare "abcXe" with "abcYe": stops after the 4th byte with ZF=0
    CpuFixture c;
    c.poke(kData, {'a', 'b', 'c', 'X', 'e'});
    c.poke(kData + 0x10, {'a', 'b', 'c', 'Y', 'e'});
    c.reg(RSI) = kData, c.reg(RDI) = kData + 0x10, c.reg(RCX) = 5;
    run_ok(c, {0xf3, 0xa6});
    CHECK(c.reg(RCX) == 1);
    CHECK(c.reg(RSI) == kData + 4);
    CHECK((c.s().rflags & rflags::ZF) == 0);
    CHECK((c.s().rflags & rflags::CF) != 0); // 'X' < 'Y'

    CpuFixture s;
    s.poke(kData, {1, 2, 3, 0, 5});
    s.reg(RDI) = kData, s.reg(RCX) = 100, s.reg(RAX) = 0;
    run_ok(s, {0xf2, 0xae}); // repne scasb: find the 0
    CHECK(s.reg(RDI) == kData + 4);
    CHECK(s.reg(RCX) == 96);
    CHECK((s.s().rflags & rflags::ZF) != 0);
}

TEST_CASE("string: a REP with RCX=0 does nothing; 32-bit address size uses ECX/ESI/EDI", "[cpu][string]") {
    CpuFixture m;
    m.reg(RSI) = kData, m.reg(RDI) = kData + 0x100, m.reg(RCX) = 0;
    run_ok(m, {0xf3, 0xa4});
    CHECK(m.reg(RSI) == kData);
    CpuFixture n;
    n.reg(RSI) = 0xFFFFFFFF00000000ull | kData, n.reg(RDI) = kData + 0x100;
    n.reg(RCX) = 0xFFFFFFFF00000002ull;
    run_ok(n, {0x67, 0xf3, 0xa4}); // addr32 rep movsb
    CHECK(n.reg(RCX) == 0);         // ECX written: upper half cleared
    CHECK(n.reg(RSI) == kData + 2);
}

TEST_CASE("string: a long REP is split into chunks but finishes with the right count", "[cpu][string]") {
    CpuFixture m;
    m.reg(RDI) = kData, m.reg(RCX) = 20000, m.reg(RAX) = 0xAB;
    run_ok(m, {0xf3, 0xaa});
    CHECK(m.peek_val<uint8_t>(kData + 19999) == 0xAB);
    CHECK(m.peek_val<uint8_t>(kData + 20000) == 0);
    CHECK(m.reg(RCX) == 0);
}

TEST_CASE("stack: PUSH/POP forms, PUSH imm sign-extension, 16-bit push", "[cpu][stack]") {
    CpuFixture m;
    m.reg(RAX) = 0x1111, m.reg(RBX) = 0x2222;
    run_ok(m, {0x50, 0x53, 0x59, 0x5a, 0x6a, 0xff, 0x68, 0x78, 0x56, 0x34, 0x12});
    CHECK(m.reg(RCX) == 0x2222);
    CHECK(m.reg(RDX) == 0x1111);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == ~0ull);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 16) == 0x12345678);
    CHECK(m.reg(RSP) == CpuFixture::kStackTop - 16);
    CpuFixture n;
    n.reg(RAX) = 0xABCD;
    run_ok(n, {0x66, 0x50}); // push ax
    CHECK(n.reg(RSP) == CpuFixture::kStackTop - 2);
    CHECK(n.peek_val<uint16_t>(CpuFixture::kStackTop - 2) == 0xABCD);
}

TEST_CASE("stack: POP [rsp] uses the incremented RSP; PUSH RSP pushes the old value", "[cpu][stack]") {
    CpuFixture m;
    m.reg(RAX) = 0x55;
    // push rax; push rax; pop qword [rsp]  (8f 04 24)
    run_ok(m, {0x50, 0x50, 0x8f, 0x04, 0x24});
    CHECK(m.reg(RSP) == CpuFixture::kStackTop - 8);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == 0x55);
    CpuFixture n;
    run_ok(n, {0x54, 0x58}); // push rsp; pop rax
    CHECK(n.reg(RAX) == CpuFixture::kStackTop);
}

TEST_CASE("stack: PUSHF/POPF and the IOPL/IF rules at CPL 3", "[cpu][stack]") {
    CpuFixture m;
    m.s().rflags = 0x2 | rflags::CF | rflags::ZF;
    run_ok(m, {0x9c, 0x58}); // pushfq; pop rax
    CHECK(m.reg(RAX) == (0x2 | rflags::CF | rflags::ZF));
    CpuFixture n;
    n.reg(RAX) = 0x2 | rflags::IOPL | rflags::DF | rflags::OF;
    run_ok(n, {0x50, 0x9d}); // push rax; popfq at CPL 0: IOPL changes
    CHECK((n.s().rflags & rflags::IOPL) == rflags::IOPL);
    CHECK((n.s().rflags & rflags::DF) != 0);
    CHECK((n.s().rflags & rflags::IF) == 0);
}

TEST_CASE("stack: ENTER with nesting and LEAVE", "[cpu][stack]") {
    CpuFixture m;
    m.reg(RBP) = 0x1000;
    run_ok(m, {0xc8, 0x20, 0x00, 0x00}); // enter 0x20, 0
    CHECK(m.reg(RBP) == CpuFixture::kStackTop - 8);
    CHECK(m.reg(RSP) == CpuFixture::kStackTop - 8 - 0x20);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == 0x1000);
    CpuFixture n;
    const uint64_t frame = CpuFixture::kStackTop - 0x100;
    n.reg(RBP) = frame;
    n.poke_val<uint64_t>(frame - 8, 0xAAAA);  // outer frame pointers copied by level 3
    n.poke_val<uint64_t>(frame - 16, 0xBBBB);
    run_ok(n, {0xc8, 0x10, 0x00, 0x03, 0xc9}); // enter 0x10, 3; leave
    CHECK(n.reg(RSP) == CpuFixture::kStackTop);
    CHECK(n.reg(RBP) == frame);
    CHECK(n.peek_val<uint64_t>(CpuFixture::kStackTop - 16) == 0xAAAA);
    CHECK(n.peek_val<uint64_t>(CpuFixture::kStackTop - 24) == 0xBBBB);
    CHECK(n.peek_val<uint64_t>(CpuFixture::kStackTop - 32) == CpuFixture::kStackTop - 8);
}

// Regression (difftest, 64-bit stream 21910): the SDM pushes RBP before reading the outer frame
// pointers, so with RBP = RSP the first one read is the RBP just pushed (verified on the host:
// enter 0x58, 2 with RBP = RSP and a stale 0xdcdc.. at [RSP-8] stores the pushed RBP).
TEST_CASE("stack: ENTER nesting reads see the values ENTER pushed itself", "[cpu][stack]") {
    CpuFixture m;
    m.reg(RBP) = CpuFixture::kStackTop;
    m.poke_val<uint64_t>(CpuFixture::kStackTop - 8, 0xDCDCDCDCDCDCDCDCull); // stale
    run_ok(m, {0xc8, 0x58, 0x00, 0x02}); // enter 0x58, 2
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 8) == CpuFixture::kStackTop);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 16) == CpuFixture::kStackTop);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 24) == CpuFixture::kStackTop - 8);
    CHECK(m.reg(RBP) == CpuFixture::kStackTop - 8);
    CHECK(m.reg(RSP) == CpuFixture::kStackTop - 24 - 0x58);
}

TEST_CASE("control: CALL/RET near, RET imm16, indirect JMP/CALL", "[cpu][branch]") {
    CpuFixture m;
    // call +5 (to the mov); hlt; mov eax, 7; ret  -> returns to hlt
    m.load({0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3});
    m.run(100);
    CHECK(m.reg(RAX) == 7);
    CHECK(m.rip() == CpuFixture::kCode + 6);
    CHECK(m.reg(RSP) == CpuFixture::kStackTop);

    CpuFixture n;
    n.poke_val<uint64_t>(CpuFixture::kStackTop - 8, CpuFixture::kCode + 3);
    n.reg(RSP) = CpuFixture::kStackTop - 8;
    n.load({0xc2, 0x10, 0x00, 0xf4}); // ret 0x10
    n.run(10);
    CHECK(n.reg(RSP) == CpuFixture::kStackTop + 0x10);

    CpuFixture j;
    j.poke_val<uint64_t>(kData, CpuFixture::kCode + 0x40);
    j.poke(CpuFixture::kCode + 0x40, {0xf4});
    j.reg(RSI) = kData;
    j.load({0xff, 0x26}); // jmp [rsi]
    j.run(10);
    CHECK(j.rip() == CpuFixture::kCode + 0x41);
}

TEST_CASE("control: a non-canonical near target is #GP with nothing pushed", "[cpu][branch][negative]") {
    CpuFixture m;
    m.reg(RAX) = 0x0000800000000000ull;
    CHECK(run_fault(m, {0xff, 0xd0}) == GP); // call rax
    CHECK(m.pushed_rip(true) == CpuFixture::kCode);
    // Only the exception frame (SS, RSP, RFLAGS, CS, RIP, error code) is on the stack: the
    // return address was never pushed, and the frame holds the original RSP.
    CHECK(m.reg(RSP) == CpuFixture::kStackTop - 48);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kStackTop - 16) == CpuFixture::kStackTop);
}

TEST_CASE("control: LOOP, JRCXZ, Jcc and SETcc/CMOVcc", "[cpu][branch]") {
    CpuFixture m;
    m.reg(RCX) = 5;
    // l: inc rax; loop l
    run_ok(m, {0x48, 0xff, 0xc0, 0xe2, 0xfb});
    CHECK(m.reg(RAX) == 5);
    CHECK(m.reg(RCX) == 0);
    CpuFixture n;
    n.reg(RAX) = 1, n.reg(RBX) = 2;
    // cmp rax, rbx; setl cl; setg dl; cmovl eax, ebx
    run_ok(n, {0x48, 0x39, 0xd8, 0x0f, 0x9c, 0xc1, 0x0f, 0x9f, 0xc2, 0x0f, 0x4c, 0xc3});
    CHECK((n.reg(RCX) & 0xFF) == 1);
    CHECK((n.reg(RDX) & 0xFF) == 0);
    CHECK(n.reg(RAX) == 2);
    CpuFixture k;
    k.reg(RAX) = 0xFFFFFFFF00000001ull, k.reg(RBX) = 9;
    run_ok(k, {0x85, 0xc0, 0x0f, 0x44, 0xc3}); // test eax,eax; cmovz eax, ebx (not taken)
    CHECK(k.reg(RAX) == 1); // 32-bit CMOV zero-extends even when the condition is false
}

TEST_CASE("bit: BT with a register offset reaches outside the operand", "[cpu][bit]") {
    CpuFixture m;
    m.poke_val<uint32_t>(kData + 8, 0x10); // bit 68 of the bit string at kData
    m.reg(RSI) = kData, m.reg(RAX) = 68;
    run_ok(m, {0x48, 0x0f, 0xa3, 0x06}); // bt [rsi], rax
    CHECK((m.s().rflags & rflags::CF) != 0);
    CpuFixture n;
    n.poke_val<uint32_t>(kData - 4, 0x80000000); // bit -1
    n.reg(RSI) = kData, n.reg(RAX) = uint64_t(-1);
    run_ok(n, {0x0f, 0xab, 0x06}); // bts [rsi], eax
    CHECK((n.s().rflags & rflags::CF) != 0);
    CpuFixture k;
    k.reg(RSI) = kData;
    run_ok(k, {0x66, 0x0f, 0xba, 0x3e, 0x13}); // btc word [rsi], 19 -> bit 3 (mod 16)
    CHECK(k.peek_val<uint16_t>(kData) == 8);
}

TEST_CASE("bit: POPCNT flags and TZCNT/LZCNT of zero", "[cpu][bit]") {
    CpuFixture m;
    m.reg(RBX) = 0;
    m.s().rflags = 0x2 | rflags::kArith;
    run_ok(m, {0xf3, 0x48, 0x0f, 0xb8, 0xc3}); // popcnt rax, rbx
    CHECK(m.reg(RAX) == 0);
    CHECK((m.s().rflags & rflags::kArith) == rflags::ZF);
    CpuFixture n;
    n.reg(RBX) = 0xF0F0;
    run_ok(n, {0xf3, 0x48, 0x0f, 0xb8, 0xc3});
    CHECK(n.reg(RAX) == 8);
    CHECK((n.s().rflags & rflags::kArith) == 0);
}

TEST_CASE("atomic: CMPXCHG8B/16B and the 16-byte alignment rule", "[cpu][atomic]") {
    CpuFixture m;
    m.poke_val<uint64_t>(kData, 0x0000000200000001ull);
    m.reg(RSI) = kData, m.reg(RAX) = 1, m.reg(RDX) = 2, m.reg(RBX) = 3, m.reg(RCX) = 4;
    run_ok(m, {0x0f, 0xc7, 0x0e});
    CHECK(m.peek_val<uint64_t>(kData) == 0x0000000400000003ull);
    CHECK((m.s().rflags & rflags::ZF) != 0);
    run_ok(m, {0x0f, 0xc7, 0x0e}); // now not equal: EDX:EAX gets memory
    CHECK((m.s().rflags & rflags::ZF) == 0);
    CHECK(m.reg(RAX) == 3);
    CHECK(m.reg(RDX) == 4);

    CpuFixture n;
    n.poke_val<uint64_t>(kData, 5);
    n.poke_val<uint64_t>(kData + 8, 6);
    n.reg(RSI) = kData, n.reg(RAX) = 5, n.reg(RDX) = 6, n.reg(RBX) = 7, n.reg(RCX) = 8;
    run_ok(n, {0x48, 0x0f, 0xc7, 0x0e});
    CHECK(n.peek_val<uint64_t>(kData) == 7);
    CHECK(n.peek_val<uint64_t>(kData + 8) == 8);
    CpuFixture a;
    a.reg(RSI) = kData + 8;
    CHECK(run_fault(a, {0x48, 0x0f, 0xc7, 0x0e}) == GP);
}

TEST_CASE("atomic: CMPXCHG r32 success keeps RAX[63:32]; failure loads EAX", "[cpu][atomic]") {
    CpuFixture m;
    m.reg(RAX) = 0xAAAAAAAA00000005ull, m.reg(RBX) = 5, m.reg(RCX) = 9;
    run_ok(m, {0x0f, 0xb1, 0xcb}); // cmpxchg ebx, ecx
    CHECK(m.reg(RBX) == 9);
    CHECK(m.reg(RAX) == 0xAAAAAAAA00000005ull);
    run_ok(m, {0x0f, 0xb1, 0xcb}); // 5 != 9: EAX = 9
    CHECK(m.reg(RAX) == 9);
}

TEST_CASE("atomic: LOCK on a register form or a non-lockable instruction is #UD", "[cpu][atomic][negative]") {
    CpuFixture m;
    CHECK(run_fault(m, {0xf0, 0x01, 0xc0}) == UD);
    CpuFixture n;
    n.reg(RSI) = kData;
    CHECK(run_fault(n, {0xf0, 0x8b, 0x06}) == UD);
    CpuFixture k;
    k.reg(RSI) = kData, k.reg(RAX) = 3;
    run_ok(k, {0xf0, 0x0f, 0xc1, 0x06}); // lock xadd [rsi], eax
    CHECK(k.peek_val<uint32_t>(kData) == 3);
    CHECK(k.reg(RAX) == 0);
}

TEST_CASE("io: IN/OUT reach CpuEnv with the right port and size", "[cpu][io]") {
    CpuFixture m;
    m.env.port_values[0x3F8] = 0x12345678;
    m.reg(RAX) = 0xAB, m.reg(RDX) = 0x3F8;
    run_ok(m, {0xe6, 0x80, 0xed, 0x66, 0xef}); // out 0x80, al; in eax, dx; out dx, ax
    REQUIRE(m.env.log.size() == 3);
    CHECK(m.env.log[0].port == 0x80);
    CHECK(m.env.log[0].write);
    CHECK(m.env.log[0].value == 0xAB);
    CHECK(m.reg(RAX) == 0x12345678);
    CHECK(m.env.log[2].size == 2);
    CHECK(m.env.log[2].value == 0x5678);
}

TEST_CASE("io: REP OUTSB and REP INSW", "[cpu][io]") {
    CpuFixture m;
    m.poke(kData, {'h', 'i', '!'});
    m.reg(RSI) = kData, m.reg(RCX) = 3, m.reg(RDX) = 0xE9;
    run_ok(m, {0xf3, 0x6e});
    REQUIRE(m.env.log.size() == 3);
    CHECK(m.env.log[1].value == 'i');
    CpuFixture n;
    n.env.port_values[0x60] = 0xBEEF;
    n.reg(RDI) = kData, n.reg(RCX) = 2, n.reg(RDX) = 0x60;
    run_ok(n, {0x66, 0xf3, 0x6d});
    CHECK(n.peek_val<uint32_t>(kData) == 0xBEEFBEEF);
}

TEST_CASE("io: IN/OUT at CPL 3 with IOPL 0 and no I/O bitmap is #GP(0)", "[cpu][io][negative]") {
    CpuFixture m;
    m.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    m.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    m.cpu.invalidate_caches();
    CHECK(run_fault(m, {0xe6, 0x80}) == GP);
    CHECK(m.env.log.empty());
}

TEST_CASE("system: MOV CR, LGDT/SGDT, RDMSR at CPL 0; #GP at CPL 3", "[cpu][system]") {
    CpuFixture m;
    run_ok(m, {0x0f, 0x20, 0xc0}); // mov rax, cr0
    CHECK(m.reg(RAX) == m.s().cr0);
    m.poke_val<uint16_t>(kData, 0x1FF);
    m.poke_val<uint64_t>(kData + 2, 0x12345000);
    m.reg(RSI) = kData;
    run_ok(m, {0x0f, 0x01, 0x16}); // lgdt [rsi]
    CHECK(m.s().gdtr.base == 0x12345000);
    CHECK(m.s().gdtr.limit == 0x1FF);
    m.reg(RSI) = kData + 0x20;
    run_ok(m, {0x0f, 0x01, 0x06}); // sgdt [rsi]
    CHECK(m.peek_val<uint16_t>(kData + 0x20) == 0x1FF);
    CHECK(m.peek_val<uint64_t>(kData + 0x22) == 0x12345000);
    m.reg(RCX) = 0xC0000080; // IA32_EFER
    run_ok(m, {0x0f, 0x32});
    CHECK(m.reg(RAX) == (m.s().efer & 0xFFFFFFFF));

    CpuFixture u;
    u.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    u.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    u.cpu.invalidate_caches();
    CHECK(run_fault(u, {0x0f, 0x20, 0xc0}) == GP);
}

TEST_CASE("system: MOV to CR7 is #UD; CPUID and RDTSC work", "[cpu][system]") {
    CpuFixture m;
    CHECK(run_fault(m, {0x0f, 0x22, 0xf8}) == UD); // mov cr7, rax
    CpuFixture n;
    n.reg(RAX) = 0;
    run_ok(n, {0x0f, 0xa2});
    CHECK(n.reg(RAX) >= 7); // max basic leaf
    CpuFixture t;
    t.cpu.set_clock(1000);
    run_ok(t, {0x0f, 0x31});
    const uint64_t tsc = (t.reg(RDX) << 32) | t.reg(RAX);
    CHECK(tsc >= 1000);
    CHECK(tsc < 1100);
}

TEST_CASE("mov: moffs, MOVBE, XLAT, byte registers AH..BH", "[cpu][mov]") {
    CpuFixture m;
    m.poke_val<uint32_t>(kData, 0x11223344);
    m.reg(RSI) = kData;
    run_ok(m, {0x8a, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, // mov al, [kData]
               0x0f, 0x38, 0xf0, 0x1e,                   // movbe ebx, [rsi]
               0x8a, 0x26});                             // mov ah, [rsi]
    CHECK((m.reg(RAX) & 0xFFFF) == 0x4444);
    CHECK(m.reg(RBX) == 0x44332211);
    CpuFixture x;
    x.poke(kData, {10, 20, 30, 40});
    x.reg(RBX) = kData, x.reg(RAX) = 2;
    run_ok(x, {0xd7}); // xlatb
    CHECK(x.reg(RAX) == 30);
    CpuFixture a;
    a.reg(RAX) = 0x1234;
    run_ok(a, {0x0f, 0xb6, 0xcc}); // movzx ecx, ah
    CHECK(a.reg(RCX) == 0x12);
}

TEST_CASE("mov: MOV to SS blocks interrupts for one instruction", "[cpu][mov]") {
    CpuFixture m;
    m.s().rflags |= rflags::IF;
    m.reg(RAX) = CpuFixture::kData32;
    m.load({0x8e, 0xd0, 0x90, 0x90, 0xf4}); // mov ss, ax; nop; nop
    m.run(1);
    m.env.pending_vector = 0x40; // raised right after MOV SS
    m.run(1);                    // the first nop runs in the shadow
    CHECK(m.env.acknowledged.empty());
    m.run(1);
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x40});
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 3);
}

TEST_CASE("protected32: flat 32-bit code runs; a segment limit violation is #GP(0)", "[cpu][mode32]") {
    CpuFixture m(TestMode::Protected32);
    // mov eax, 5; add eax, eax; push eax; pop ebx
    run_ok(m, {0xb8, 0x05, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x50, 0x5b});
    CHECK(m.reg(RBX) == 10);
    CHECK(m.reg(RSP) == CpuFixture::kStackTop);
    CpuFixture n(TestMode::Protected32);
    n.s().seg[DS].limit = 0xFFF;
    n.reg(RSI) = 0xFFE;
    CHECK(run_fault(n, {0x8b, 0x06}) == GP); // mov eax, [esi]: bytes 0xFFE..0x1001
    CHECK(n.pushed_error_code() == 0);
    CpuFixture w(TestMode::Protected32);
    w.s().seg[DS].attr = 0xC091; // read-only data
    w.reg(RSI) = 0x100;
    CHECK(run_fault(w, {0x89, 0x06}) == GP); // mov [esi], eax
}

TEST_CASE("protected32: stack limit violations are #SS; expand-down segments", "[cpu][mode32]") {
    CpuFixture m(TestMode::Protected32);
    m.s().seg[SS].limit = 0x1FFFFF;
    m.reg(RBP) = 0x1FFFFE;
    CHECK(run_fault(m, {0x8b, 0x45, 0x00}) == SS_); // mov eax, [ebp]: crosses the SS limit
    CHECK(m.pushed_error_code() == 0);
    CpuFixture n(TestMode::Protected32);
    // expand-down data segment with limit 0xFFF: offsets 0x1000..0xFFFFFFFF are valid
    n.s().seg[ES].attr = 0xC097;
    n.s().seg[ES].limit = 0xFFF;
    n.reg(RDI) = 0x800;
    CHECK(run_fault(n, {0x26, 0x89, 0x07}) == GP); // mov es:[edi], eax
    CpuFixture k(TestMode::Protected32);
    k.s().seg[ES].attr = 0xC097;
    k.s().seg[ES].limit = 0xFFF;
    k.reg(RDI) = kData;
    k.reg(RAX) = 0x77;
    run_ok(k, {0x26, 0x89, 0x07});
    CHECK(k.peek_val<uint32_t>(kData) == 0x77);
}

TEST_CASE("protected32: INC r is the 40..47 form; 16-bit operands via 66", "[cpu][mode32]") {
    CpuFixture m(TestMode::Protected32);
    m.reg(RAX) = 0xFFFF;
    run_ok(m, {0x40, 0x66, 0x40}); // inc eax; inc ax
    CHECK(m.reg(RAX) == 0x10001);
}

TEST_CASE("compat32: 32-bit code under IA-32e paging", "[cpu][mode32]") {
    CpuFixture m(TestMode::Compat32);
    run_ok(m, {0xb8, 0x05, 0x00, 0x00, 0x00, 0x01, 0xc0}); // mov eax, 5; add eax, eax
    CHECK(m.reg(RAX) == 10);
    CpuFixture n(TestMode::Compat32);
    CHECK(run_fault(n, {0x0f, 0x01, 0xf8}) == UD); // SWAPGS outside 64-bit mode
}

TEST_CASE("fault: an instruction that faults leaves registers and memory unchanged", "[cpu][negative]") {
    CpuFixture m;
    m.reg(RSI) = 0x40000000 - 4; // the last 4 mapped bytes; an 8-byte access crosses out
    m.reg(RAX) = 0x99;
    const uint64_t before = m.peek_val<uint32_t>(0x40000000 - 4);
    CHECK(run_fault(m, {0x48, 0x01, 0x06}) == PF); // add [rsi], rax
    CHECK(m.peek_val<uint32_t>(0x40000000 - 4) == before);
    CHECK(m.s().cr2 == 0x40000000);
}

TEST_CASE("string: REP MOVSB with dst = src+1 replicates like the element-wise copy", "[cpu][string]") {
    CpuFixture m;
    m.poke(kData, {7, 1, 2, 3, 4, 5, 6, 8, 9});
    m.reg(RSI) = kData, m.reg(RDI) = kData + 1, m.reg(RCX) = 8;
    run_ok(m, {0xf3, 0xa4});
    for (int i = 0; i < 9; ++i) CHECK(m.peek_val<uint8_t>(kData + i) == 7);
}

TEST_CASE("string: REP MOVSQ/STOSD across page boundaries and into a code page", "[cpu][string][smc]") {
    CpuFixture m;
    for (unsigned i = 0; i < 1024; ++i) m.poke_val<uint64_t>(kData + 8 * i, i * 0x0101010101010101ull);
    m.reg(RSI) = kData, m.reg(RDI) = kData + 0x10000 + 0x7F8, m.reg(RCX) = 1024;
    run_ok(m, {0xf3, 0x48, 0xa5});
    for (unsigned i = 0; i < 1024; i += 97)
        CHECK(m.peek_val<uint64_t>(kData + 0x10000 + 0x7F8 + 8 * i) == i * 0x0101010101010101ull);
    CHECK(m.reg(RCX) == 0);
    CpuFixture s;
    s.reg(RDI) = kData + 0xFFE, s.reg(RCX) = 3, s.reg(RAX) = 0xCAFEBABE;
    run_ok(s, {0xf3, 0xab});
    CHECK(s.peek_val<uint32_t>(kData + 0xFFE) == 0xCAFEBABE);
    CHECK(s.peek_val<uint32_t>(kData + 0x1006) == 0xCAFEBABE);
    // REP STOSB over the instructions that follow it: they must execute as stored (NOPs).
    CpuFixture c;
    c.reg(RDI) = CpuFixture::kCode + 7, c.reg(RCX) = 2, c.reg(RAX) = 0x90;
    // 0: rep stosb (2) ; 2: mov eax, 1 (5) ; 7: inc eax (ff c0) -> overwritten by nop nop
    run_ok(c, {0xf3, 0xaa, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xff, 0xc0});
    CHECK(c.reg(RAX) == 1);
}

TEST_CASE("fault: #AC for a misaligned access at CPL 3 with CR0.AM and RFLAGS.AC", "[cpu][negative]") {
    auto user = [](CpuFixture& m) {
        m.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
        m.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
        m.s().cr0 |= cr0::AM;
        m.s().rflags |= rflags::AC;
        m.cpu.invalidate_caches();
    };
    CpuFixture m;
    user(m);
    m.reg(RSI) = kData + 1;
    CHECK(run_fault(m, {0x8b, 0x06}) == AC); // mov eax, [rsi]
    CpuFixture n;
    user(n);
    n.reg(RSI) = kData + 4;
    n.poke_val<uint32_t>(kData + 4, 77);
    n.load({0x8b, 0x06}); // aligned: no #AC
    n.run(1);
    CHECK(n.reg(RAX) == 77);
    CHECK(n.rip() == CpuFixture::kCode + 2);
}

TEST_CASE("legacy: DAA/DAS/AAA/AAM/AAD, BOUND and ARPL outside 64-bit mode", "[cpu][mode32]") {
    CpuFixture m(TestMode::Protected32);
    // mov al, 0x79; add al, 0x35; daa  -> 0x14, CF=1 (79 + 35 = 114 BCD)
    run_ok(m, {0xb0, 0x79, 0x04, 0x35, 0x27});
    CHECK((m.reg(RAX) & 0xFF) == 0x14);
    CHECK((m.s().rflags & rflags::CF) != 0);
    // mov al, 0x35; sub al, 0x47; das -> 0x88, CF=1 (35 - 47 = -12 -> 88 with borrow)
    run_ok(m, {0xb0, 0x35, 0x2c, 0x47, 0x2f});
    CHECK((m.reg(RAX) & 0xFF) == 0x88);
    CHECK((m.s().rflags & rflags::CF) != 0);
    // mov ax, 0x0009; add al, 8; aaa -> AX = 0x0107
    run_ok(m, {0x66, 0xb8, 0x09, 0x00, 0x04, 0x08, 0x37});
    CHECK((m.reg(RAX) & 0xFFFF) == 0x0107);
    // mov al, 75; aam -> AH=7, AL=5; aad -> AL=75, AH=0
    run_ok(m, {0xb0, 75, 0xd4, 0x0a});
    CHECK((m.reg(RAX) & 0xFFFF) == 0x0705);
    run_ok(m, {0xd5, 0x0a});
    CHECK((m.reg(RAX) & 0xFFFF) == 75);
    CHECK(run_fault(m, {0xd4, 0x00}) == DE); // aam 0
    CpuFixture b(TestMode::Protected32);
    b.poke_val<int32_t>(kData, -5);
    b.poke_val<int32_t>(kData + 4, 10);
    b.reg(RSI) = kData, b.reg(RAX) = 10;
    run_ok(b, {0x62, 0x06}); // bound eax, [esi]: -5 <= 10 <= 10
    b.reg(RAX) = 11;
    CHECK(run_fault(b, {0x62, 0x06}) == BR);
    CpuFixture a(TestMode::Protected32);
    a.reg(RAX) = 0x10, a.reg(RCX) = 0x3;
    run_ok(a, {0x63, 0xc8}); // arpl ax, cx
    CHECK((a.reg(RAX) & 0xFFFF) == 0x13);
    CHECK((a.s().rflags & rflags::ZF) != 0);
}

TEST_CASE("mov: LAHF/SAHF in 32-bit mode, and in 64-bit mode only as CPUID says", "[cpu][mov]") {
    CpuFixture m(TestMode::Protected32);
    m.s().rflags = 0x2 | rflags::CF | rflags::ZF;
    m.reg(RBX) = 0xD5; // SF ZF AF PF CF
    run_ok(m, {0x9f, 0x88, 0xe1, 0x88, 0xdc, 0x9e}); // lahf; mov cl, ah; mov ah, bl; sahf
    CHECK((m.reg(RCX) & 0xFF) == (0x2 | rflags::CF | rflags::ZF));
    CHECK((m.s().rflags & rflags::kArith) == 0xD5);
    CpuFixture n;
    const bool advertised = cpuid(n.s(), 0x80000001, 0).ecx & 1;
    CHECK(run_fault(n, {0x9f}) == (advertised ? -1 : int(UD)));
}

TEST_CASE("muldiv: IDIV of -2^127 by -1 is #DE, not a host fault", "[cpu][negative]") {
    CpuFixture m;
    m.reg(RDX) = 0x8000000000000000ull, m.reg(RAX) = 0, m.reg(RCX) = ~0ull;
    CHECK(run_fault(m, {0x48, 0xf7, 0xf9}) == DE); // idiv rcx
    CpuFixture n;
    n.reg(RDX) = ~0ull, n.reg(RAX) = 0x8000000000000000ull, n.reg(RCX) = ~0ull;
    CHECK(run_fault(n, {0x48, 0xf7, 0xf9}) == DE); // -2^63 / -1 does not fit
    CpuFixture k;
    k.reg(RDX) = ~0ull, k.reg(RAX) = ~0ull - 6, k.reg(RCX) = 2; // -7 / 2
    run_ok(k, {0x48, 0xf7, 0xf9});
    CHECK(k.reg(RAX) == uint64_t(-3));
    CHECK(k.reg(RDX) == uint64_t(-1));
}
