// The run loop: retiring, the clock, faults delivered through the IDT with RIP at the faulting
// instruction, HLT, interrupts and the STI shadow, the decoded-instruction cache and
// self-modifying code.
#include "cpu_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

TEST_CASE("run: the ALU loop computes what the instructions say", "[cpu][run]") {
    CpuFixture m;
    // loop: add rax,rbx; xor rcx,rax; imul r8,rcx; mov [rsi],rax; dec rdx; jnz loop; hlt
    m.load({0x48, 0x01, 0xd8, 0x48, 0x31, 0xc1, 0x4c, 0x0f, 0xaf, 0xc1, 0x48, 0x89, 0x06, 0x48,
            0xff, 0xca, 0x75, 0xee, 0xf4});
    m.reg(RAX) = 1, m.reg(RBX) = 3, m.reg(RCX) = 5, m.reg(R8) = 7, m.reg(RDX) = 100;
    m.reg(RSI) = CpuFixture::kData;
    uint64_t rax = 1, rbx = 3, rcx = 5, r8 = 7;
    for (int i = 0; i < 100; ++i) {
        rax += rbx;
        rcx ^= rax;
        r8 *= rcx;
    }
    const RunResult r = m.run(10000);
    CHECK(r.reason == StopReason::Halted);
    CHECK(r.retired == 601);
    CHECK(m.cpu.clock() == 601);
    CHECK(m.reg(RAX) == rax);
    CHECK(m.reg(RCX) == rcx);
    CHECK(m.reg(R8) == r8);
    CHECK(m.reg(RDX) == 0);
    CHECK(m.peek_val<uint64_t>(CpuFixture::kData) == rax);
    CHECK(m.rip() == CpuFixture::kCode + 19);
    CHECK(m.s().activity == CpuState::Activity::Hlt);
}

TEST_CASE("run: the budget stops the run exactly", "[cpu][run]") {
    CpuFixture m;
    m.load({0x48, 0xff, 0xc0, 0xeb, 0xfb}); // inc rax; jmp -5
    const RunResult r = m.run(1001);
    CHECK(r.reason == StopReason::Budget);
    CHECK(r.retired == 1001);
    CHECK(m.reg(RAX) == 501);
}

TEST_CASE("run: #UD is delivered with RIP at the faulting instruction", "[cpu][run][negative]") {
    CpuFixture m;
    m.load({0x90, 0x0f, 0x0b}); // nop; ud2
    CHECK(m.run_until_exception() == UD);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 1);
}

TEST_CASE("run: #DE from DIV by zero and from quotient overflow", "[cpu][run][negative]") {
    {
        CpuFixture m;
        m.load({0x48, 0xf7, 0xf1}); // div rcx (rcx = 0)
        m.reg(RAX) = 5;
        CHECK(m.run_until_exception() == DE);
        CHECK(m.pushed_rip(false) == CpuFixture::kCode);
        CHECK(m.reg(RAX) == 5);
    }
    {
        CpuFixture m;
        m.load({0xf7, 0xf9}); // idiv ecx: 0x80000000 / -1 overflows
        m.reg(RAX) = 0x80000000, m.reg(RDX) = 0xFFFFFFFF, m.reg(RCX) = 0xFFFFFFFF;
        CHECK(m.run_until_exception() == DE);
    }
}

TEST_CASE("run: a non-canonical data address is #GP(0), or #SS(0) via RSP", "[cpu][run][negative]") {
    {
        CpuFixture m;
        m.load({0x48, 0x8b, 0x00}); // mov rax, [rax]
        m.reg(RAX) = 0x0000800000000000ull;
        CHECK(m.run_until_exception() == GP);
        CHECK(m.pushed_error_code() == 0);
    }
    {
        CpuFixture m;
        m.load({0x48, 0x8b, 0x45, 0x00}); // mov rax, [rbp]: SS is the default segment
        m.reg(RBP) = 0xFFFF700000000000ull;
        CHECK(m.run_until_exception() == SS_);
        CHECK(m.pushed_error_code() == 0);
    }
    {
        CpuFixture m;
        m.load({0x64, 0x48, 0x8b, 0x00}); // mov rax, fs:[rax]: FS base makes it non-canonical
        m.s().seg[FS].base = 0x00007FFFFFFFF000ull;
        m.reg(RAX) = 0x1000;
        CHECK(m.run_until_exception() == GP);
    }
}

TEST_CASE("run: #PF on a write to an unmapped page sets CR2", "[cpu][run][negative]") {
    CpuFixture m;
    m.load({0x48, 0x89, 0x03}); // mov [rbx], rax
    m.reg(RBX) = 0x40000010;    // beyond the 1 GiB identity map
    CHECK(m.run_until_exception() == PF);
    CHECK(m.s().cr2 == 0x40000010);
    CHECK((m.pushed_error_code() & 2) == 2); // W/R = write
    CHECK(m.pushed_rip(true) == CpuFixture::kCode);
}

TEST_CASE("run: INT n pushes the next RIP; INT3 too", "[cpu][run]") {
    CpuFixture m;
    m.load({0x90, 0xcd, 0x40}); // nop; int 0x40
    CHECK(m.run_until_exception() == 0x40);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 3);
    CpuFixture n;
    n.load({0xcc});
    CHECK(n.run_until_exception() == BP);
    CHECK(n.pushed_rip(false) == CpuFixture::kCode + 1);
}

TEST_CASE("run: HLT at CPL 0 halts; an interrupt wakes it", "[cpu][run]") {
    CpuFixture m;
    m.load({0xfb, 0xf4, 0x90}); // sti; hlt; nop
    RunResult r = m.run(100);
    CHECK(r.reason == StopReason::Halted);
    CHECK(r.retired == 2);
    r = m.run(100);
    CHECK(r.reason == StopReason::Halted);
    CHECK(r.retired == 0);
    m.env.pending_vector = 0x30;
    r = m.run(1);
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x30});
    CHECK(m.delivered_vector() == 0x30);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 2);
}

TEST_CASE("run: interrupts wait for IF and for the STI shadow", "[cpu][run]") {
    CpuFixture m;
    // cli; nop; sti; inc rax; inc rax
    m.load({0xfa, 0x90, 0xfb, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0});
    m.env.pending_vector = 0x21;
    m.run(3); // cli, nop, sti: IF was 1 at the start, but CLI came first
    CHECK(m.env.acknowledged.empty());
    m.run(1); // inc rax runs in the STI shadow
    CHECK(m.reg(RAX) == 1);
    CHECK(m.env.acknowledged.empty());
    m.run(1); // now the interrupt is taken before the second inc
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x21});
    CHECK(m.reg(RAX) == 1);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 6);
}

TEST_CASE("run: HLT at CPL 3 is #GP(0)", "[cpu][run][negative]") {
    CpuFixture m;
    m.load({0xf4});
    m.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    m.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    m.cpu.invalidate_caches();
    CHECK(m.run_until_exception(2) == GP);
    CHECK(m.pushed_error_code() == 0);
    CHECK(m.pushed_rip(true) == CpuFixture::kCode);
    CHECK(m.s().gpr[RSP] < CpuFixture::kKernelStackTop); // delivered on the CPL-0 stack
}

TEST_CASE("cache: a loop is decoded once and a store to its code takes effect", "[cpu][smc]") {
    CpuFixture m;
    // 0: mov byte [rip+patch], 0x05   ; change "add eax, 1" into "add eax, 5"
    // 7: add eax, 1  (83 c0 01) -- the immediate at offset 9
    m.load({0x83, 0xc0, 0x01, 0xeb, 0xfb}); // add eax,1; jmp -5
    m.run(10);
    CHECK(m.reg(RAX) == 5);
    // A store from outside (the bus, like DMA) to the cached page.
    const uint8_t five = 5;
    m.bus.write(hvlab::Hpa(CpuFixture::kCode + 2), 1, five);
    m.run(2);
    CHECK(m.reg(RAX) == 10);
}

TEST_CASE("cache: self-modifying code in the middle of a straight-line block", "[cpu][smc]") {
    CpuFixture m;
    // mov byte [rip+1], 0x07 ; add eax, 1 -> the store patches the next instruction's imm8
    // c6 05 <disp32=1> 07 : the byte after this instruction + 1 = the imm8 of "83 c0 01"?
    // Layout: 0: c6 05 02 00 00 00 07  (7 bytes, next RIP=7, target = 7+2 = 9)
    //         7: 83 c0 01             (imm8 at 9)
    //        10: f4
    m.load({0xc6, 0x05, 0x02, 0x00, 0x00, 0x00, 0x07, 0x83, 0xc0, 0x01, 0xf4});
    // First run decodes everything with imm 1 (warm the cache by executing the add once).
    m.s().rip = CpuFixture::kCode + 7;
    m.run(1);
    CHECK(m.reg(RAX) == 1);
    m.s().rip = CpuFixture::kCode;
    m.reg(RAX) = 0;
    m.run(2);
    CHECK(m.reg(RAX) == 7);
}

TEST_CASE("cache: SMC inside a loop body on the same page", "[cpu][smc]") {
    CpuFixture m;
    // loop: inc byte [rip+imm_of_add] ; add ecx, imm8 ; dec edx ; jnz loop
    // 0: fe 05 <disp32> ; 6: 83 c1 00 ; 9: ff ca ; 11: 75 f3 ; 13: f4
    // disp32 = 8 - 6 = 2
    m.load({0xfe, 0x05, 0x02, 0x00, 0x00, 0x00, 0x83, 0xc1, 0x00, 0xff, 0xca, 0x75, 0xf3, 0xf4});
    m.reg(RDX) = 4;
    m.run(100);
    CHECK(m.reg(RCX) == 1 + 2 + 3 + 4);
}

TEST_CASE("run: TF traps after the next instruction with #DB, RIP of the next one", "[cpu][run]") {
    CpuFixture m;
    // pushfq; or qword [rsp], 0x100; popfq; inc rax; inc rax
    m.load({0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x48, 0xff, 0xc0, 0x48,
            0xff, 0xc0});
    m.run(3); // the POPF that sets TF does not trap
    CHECK(m.rip() == CpuFixture::kCode + 10);
    m.run(1); // "inc rax" retires, then #DB is delivered: RIP is at the handler
    CHECK(m.reg(RAX) == 1);
    CHECK(m.rip() == CpuFixture::kStubs + 8 * DB);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 13);
    CHECK((m.s().dr[6] & (1u << 14)) != 0); // DR6.BS
}

TEST_CASE("run: NMI is taken even with IF=0 and blocks further NMIs", "[cpu][run]") {
    CpuFixture m;
    m.load({0xfa, 0x90, 0x90, 0x90}); // cli; nop; nop; nop
    m.run(1);
    m.env.nmi = true;
    m.run(1);
    CHECK(m.delivered_vector() == NMI);
    CHECK(m.s().nmi_blocked);
    CHECK(m.pushed_rip(false) == CpuFixture::kCode + 1);
}

TEST_CASE("fetch: an instruction across a page boundary; #PF on its second page", "[cpu][run]") {
    CpuFixture m;
    // mov rax, imm64 starting 3 bytes before a page boundary, then HLT
    m.load({0x48, 0xb8, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xf4},
           CpuFixture::kCode + 0xFFD);
    m.run(10);
    CHECK(m.reg(RAX) == 0x8877665544332211ull);
    CHECK(m.rip() == CpuFixture::kCode + 0xFFD + 11);

    CpuFixture n;
    // Unmap the 2 MiB page at 0x200000; the instruction starts 2 bytes before it.
    n.poke_val<uint64_t>(CpuFixture::kPd + 8, 0);
    n.cpu.invalidate_caches();
    n.load({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}, 0x1FFFFE);
    CHECK(n.run_until_exception() == PF);
    CHECK(n.s().cr2 == 0x200000);
    CHECK((n.pushed_error_code() & 0x10) != 0); // I/D: an instruction fetch
    CHECK(n.pushed_rip(true) == 0x1FFFFE);
}
