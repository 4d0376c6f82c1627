// Far CALL/JMP/RET through code segments and call gates, IRET, SYSCALL/SYSRET,
// SYSENTER/SYSEXIT and SWAPGS.
#include "cpu/system/msr_index.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

namespace {
void check_fault(Fault f, uint8_t vector, uint32_t ec) {
    CHECK(f.vector == vector);
    CHECK(f.error_code == ec);
}
} // namespace

TEST_CASE("far CALL from ring 3 through a 64-bit call gate switches to RSP0", "[far]") {
    SystemFixture f;
    f.to_ring3();
    const uint64_t user_rsp = f.s.gpr[RSP];
    REQUIRE_FALSE(far_call(f.c, sel::kCallGate | 3, 0xDEAD, 8, 0x40'1234));
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.seg[CS].selector == sel::kCode64);
    CHECK(f.s.rip == 0x50'0000); // the gate's offset, not the instruction's
    CHECK(f.s.seg[SS].selector == 0);
    CHECK(f.s.seg[SS].unusable());
    CHECK(f.s.gpr[RSP] == kRsp0 - 32);
    CHECK(f.read64(kRsp0 - 8) == (sel::kUserData | 3));
    CHECK(f.read64(kRsp0 - 16) == user_rsp);
    CHECK(f.read64(kRsp0 - 24) == (sel::kUserCode64 | 3));
    CHECK(f.read64(kRsp0 - 32) == 0x40'1234);
    SECTION("and RETF (REX.W) returns to ring 3 with the old stack") {
        REQUIRE_FALSE(far_return(f.c, 8, 0));
        CHECK(f.s.cpl() == 3);
        CHECK(f.s.rip == 0x40'1234);
        CHECK(f.s.gpr[RSP] == user_rsp);
        CHECK(f.s.seg[SS].selector == (sel::kUserData | 3));
        CHECK(f.s.mode() == CpuMode::Long64);
    }
}

TEST_CASE("call gate checks: gate DPL < CPL, target selector, JMP cannot raise privilege",
          "[far]") {
    SystemFixture f;
    f.call_gate(sel::kCallGate, sel::kCode64, 0x50'0000, 0);
    f.to_ring3();
    check_fault(far_call(f.c, sel::kCallGate | 3, 0, 8, 0), GP, sel::kCallGate);
    f.call_gate(sel::kCallGate, sel::kCode64, 0x50'0000, 3);
    check_fault(far_jump(f.c, sel::kCallGate | 3, 0, 8), GP, sel::kCode64);
    f.call_gate(sel::kCallGate, sel::kCode32, 0x50'0000, 3); // not 64-bit code
    check_fault(far_call(f.c, sel::kCallGate | 3, 0, 8, 0), GP, sel::kCode32);
    f.call_gate(sel::kCallGate, 0, 0x50'0000, 3);
    check_fault(far_call(f.c, sel::kCallGate | 3, 0, 8, 0), GP, 0);
    // The upper half's type field (bits 12:8 of the last doubleword) must be 0.
    f.call_gate(sel::kCallGate, sel::kCode64, 0xFFFF'FFFF'8000'0000, 3);
    f.bus.write(Hpa(kGdt + sel::kCallGate + 12), 4, 0x0C00);
    check_fault(far_call(f.c, sel::kCallGate | 3, 0, 8, 0), GP, sel::kCallGate);
    f.bus.write(Hpa(kGdt + sel::kCallGate + 12), 4, 0);
    REQUIRE_FALSE(far_call(f.c, sel::kCallGate | 3, 0, 8, 0));
    CHECK(f.s.rip == 0xFFFF'FFFF'8000'0000);
    f.to_ring3();
    CHECK(f.s.cpl() == 3);
}

TEST_CASE("far JMP to compatibility-mode code and back to 64-bit code", "[far]") {
    SystemFixture f;
    REQUIRE_FALSE(far_jump(f.c, sel::kCode32, 0x1'2345'6789, 4));
    CHECK(f.s.mode() == CpuMode::Compat32);
    CHECK(f.s.rip == 0x2345'6789);
    REQUIRE_FALSE(far_jump(f.c, sel::kCode64, 0x10'0000, 4));
    CHECK(f.s.mode() == CpuMode::Long64);
    check_fault(far_jump(f.c, sel::kData0, 0, 4), GP, sel::kData0);
    check_fault(far_jump(f.c, sel::kUserCode64 | 3, 0, 4), GP, sel::kUserCode64); // DPL != CPL
    check_fault(far_jump(f.c, 0, 0, 4), GP, 0);
    check_fault(far_jump(f.c, sel::kTss, 0, 4), GP, sel::kTss); // no task switch in IA-32e
    // Non-canonical target in 64-bit code.
    check_fault(far_jump(f.c, sel::kCode64, 0x0000'8000'0000'0000, 8), GP, 0);
    // L = 1 with D = 1 is not a valid IA-32e code segment.
    f.gdt(sel::kCode32, seg_desc(0, 0xFFFFF, 0x9A, 0xE));
    check_fault(far_jump(f.c, sel::kCode32, 0, 4), GP, sel::kCode32);
}

TEST_CASE("far CALL to a same-level code segment pushes CS:RIP with the operand size",
          "[far]") {
    SystemFixture f;
    REQUIRE_FALSE(far_call(f.c, sel::kCode64, 0x60'0000, 4, 0x1'0000'0010));
    CHECK(f.s.gpr[RSP] == 0x8000 - 8);
    CHECK(f.bus.read(Hpa(0x8000 - 4), 4) == sel::kCode64);
    CHECK(f.bus.read(Hpa(0x8000 - 8), 4) == 0x0000'0010);
    REQUIRE_FALSE(far_return(f.c, 4, 0x10));
    CHECK(f.s.rip == 0x10);
    CHECK(f.s.gpr[RSP] == 0x8000 + 0x10);
}

TEST_CASE("RETF to an outer level nulls data segments the new level may not use", "[far]") {
    SystemFixture f;
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'0000);
    f.write64(sp + 8, sel::kUserCode64 | 3);
    f.write64(sp + 16, 0x7'0000);
    f.write64(sp + 24, sel::kUserData | 3);
    REQUIRE_FALSE(far_return(f.c, 8, 0));
    CHECK(f.s.cpl() == 3);
    CHECK(f.s.seg[DS].unusable()); // DPL 0 data
    CHECK(f.s.seg[SS].selector == (sel::kUserData | 3));
    CHECK(f.s.gpr[RSP] == 0x7'0000);
}

TEST_CASE("RETF to a more privileged level is #GP(selector)", "[far]") {
    SystemFixture f;
    f.to_ring3();
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'0000);
    f.write64(sp + 8, sel::kCode64);
    check_fault(far_return(f.c, 8, 0), GP, sel::kCode64);
}

TEST_CASE("IRETQ to ring 3 loads SS:RSP and RFLAGS and nulls DPL-0 data segments", "[iret]") {
    SystemFixture f;
    f.s.nmi_blocked = true;
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'1000);
    f.write64(sp + 8, sel::kUserCode64 | 3);
    f.write64(sp + 16, rflags::IF | rflags::kFixed1 | (3u << 12));
    f.write64(sp + 24, 0x7'FF00);
    f.write64(sp + 32, sel::kUserData | 3);
    REQUIRE_FALSE(iret(f.c, 8));
    CHECK(f.s.cpl() == 3);
    CHECK(f.s.rip == 0x40'1000);
    CHECK(f.s.gpr[RSP] == 0x7'FF00);
    CHECK(f.s.rflags == (rflags::IF | rflags::kFixed1 | (3u << 12)));
    CHECK(f.s.seg[SS].selector == (sel::kUserData | 3));
    CHECK(f.s.seg[ES].unusable());
    CHECK_FALSE(f.s.nmi_blocked);
}

TEST_CASE("IRETQ at the same level still pops SS:RSP in 64-bit mode", "[iret]") {
    SystemFixture f;
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'2000);
    f.write64(sp + 8, sel::kCode64);
    f.write64(sp + 16, rflags::kFixed1);
    f.write64(sp + 24, 0x6000);
    f.write64(sp + 32, 0); // null SS is fine for CPL 0 64-bit code
    REQUIRE_FALSE(iret(f.c, 8));
    CHECK(f.s.gpr[RSP] == 0x6000);
    CHECK(f.s.seg[SS].unusable());
}

TEST_CASE("IRET at CPL 3 cannot change IOPL or IF (IOPL 0)", "[iret]") {
    SystemFixture f;
    f.to_ring3();
    f.s.rflags = rflags::kFixed1;
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'1000);
    f.write64(sp + 8, sel::kUserCode64 | 3);
    f.write64(sp + 16, rflags::IF | (3u << 12) | rflags::CF | rflags::kFixed1);
    f.write64(sp + 24, sp);
    f.write64(sp + 32, sel::kUserData | 3);
    REQUIRE_FALSE(iret(f.c, 8));
    CHECK(f.s.rflags == (rflags::CF | rflags::kFixed1));
}

TEST_CASE("IRET with NT in IA-32e mode is #GP(0), a bad return CS is #GP(selector)", "[iret]") {
    SystemFixture f;
    f.s.rflags |= rflags::NT;
    f.s.nmi_blocked = true;
    check_fault(iret(f.c, 8), GP, 0);
    CHECK_FALSE(f.s.nmi_blocked); // unblocked even though IRET faulted
    f.s.rflags &= ~rflags::NT;
    const uint64_t sp = f.s.gpr[RSP];
    f.write64(sp, 0x40'1000);
    f.write64(sp + 8, sel::kData0);
    check_fault(iret(f.c, 8), GP, sel::kData0);
    f.write64(sp + 8, sel::kNotPresent);
    f.gdt(sel::kNotPresent, seg_desc(0, 0xFFFFF, 0x1A, 0xA)); // code, not present
    check_fault(iret(f.c, 8), NP, sel::kNotPresent);
    CHECK(f.s.rip == 0);
}

TEST_CASE("SYSCALL and SYSRET", "[syscall]") {
    SystemFixture f;
    f.s.msr.star = (uint64_t{sel::kUserCode32} << 48) | (uint64_t{sel::kCode64} << 32);
    f.s.msr.lstar = 0xFFFF'8000'0000'0000;
    f.s.msr.sfmask = rflags::IF | rflags::TF;
    f.to_ring3();
    f.s.rflags = rflags::kFixed1 | rflags::IF | rflags::CF;
    REQUIRE_FALSE(syscall(f.c, 0x40'1002));
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.rip == 0xFFFF'8000'0000'0000);
    CHECK(f.s.gpr[RCX] == 0x40'1002);
    CHECK(f.s.gpr[R11] == (rflags::kFixed1 | rflags::IF | rflags::CF));
    CHECK(f.s.rflags == (rflags::kFixed1 | rflags::CF));
    CHECK(f.s.seg[CS].selector == sel::kCode64);
    CHECK(f.s.seg[SS].selector == sel::kData0);
    CHECK(f.s.mode() == CpuMode::Long64);
    REQUIRE_FALSE(sysret(f.c, 8));
    CHECK(f.s.cpl() == 3);
    CHECK(f.s.rip == 0x40'1002);
    CHECK(f.s.seg[CS].selector == (sel::kUserCode64 | 3));
    CHECK(f.s.seg[SS].selector == (sel::kUserData | 3));
    CHECK(f.s.rflags == (rflags::kFixed1 | rflags::IF | rflags::CF));
    CHECK(f.s.mode() == CpuMode::Long64);
    CHECK(syscall(f.c, 0).raised() == false);
    f.s.gpr[RCX] = 0x40'0000;
    REQUIRE_FALSE(sysret(f.c, 4));
    CHECK(f.s.mode() == CpuMode::Compat32);
    CHECK(f.s.seg[CS].selector == (sel::kUserCode32 | 3));
}

TEST_CASE("SYSCALL/SYSRET faults", "[syscall]") {
    SystemFixture f;
    f.s.gpr[RCX] = 0x0000'8000'0000'0000;
    check_fault(sysret(f.c, 8), GP, 0);
    CHECK(f.s.cpl() == 0);
    f.to_ring3();
    check_fault(sysret(f.c, 8), GP, 0);
    f.s.efer &= ~efer::SCE;
    CHECK(syscall(f.c, 0).vector == UD);
    SystemFixture g;
    g.s.seg[CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
    CHECK(syscall(g.c, 0).vector == UD); // Intel: 64-bit mode only
}

TEST_CASE("SYSENTER/SYSEXIT in IA-32e mode", "[syscall]") {
    SystemFixture f;
    f.to_ring3();
    check_fault(sysenter(f.c), GP, 0); // SYSENTER_CS = 0
    f.s.msr.sysenter_cs = sel::kCode64;
    f.s.msr.sysenter_eip = 0xFFFF'8000'0000'1000;
    f.s.msr.sysenter_esp = 0xFFFF'8000'0000'8000;
    f.s.rflags |= rflags::IF;
    REQUIRE_FALSE(sysenter(f.c));
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.rip == 0xFFFF'8000'0000'1000);
    CHECK(f.s.gpr[RSP] == 0xFFFF'8000'0000'8000);
    CHECK((f.s.rflags & rflags::IF) == 0);
    CHECK(f.s.mode() == CpuMode::Long64);
    f.s.gpr[RDX] = 0x40'0000;
    f.s.gpr[RCX] = 0x7'0000;
    REQUIRE_FALSE(sysexit(f.c, 8));
    CHECK(f.s.cpl() == 3);
    CHECK(f.s.seg[CS].selector == ((sel::kCode64 + 32) | 3));
    CHECK(f.s.seg[SS].selector == ((sel::kCode64 + 40) | 3));
    CHECK(f.s.rip == 0x40'0000);
    check_fault(sysexit(f.c, 8), GP, 0); // CPL 3
}

TEST_CASE("SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE at CPL 0 in 64-bit mode",
          "[syscall]") {
    SystemFixture f;
    f.s.seg[GS].base = 1;
    f.s.msr.kernel_gs_base = 2;
    REQUIRE_FALSE(swapgs(f.c));
    CHECK(f.s.seg[GS].base == 2);
    CHECK(f.s.msr.kernel_gs_base == 1);
    f.to_ring3();
    check_fault(swapgs(f.c), GP, 0);
}

TEST_CASE("32-bit call gate from ring 3 copies its parameters to the ring-0 stack", "[far]") {
    SystemFixture f;
    f.to_protected32();
    // 32-bit call gate, DPL 3, 2 parameters, to the ring-0 32-bit code segment at 0x1234.
    const uint64_t gate = 0x1234 | (uint64_t{sel::kCode32} << 16) | (uint64_t{2} << 32) |
                          (uint64_t{0xEC} << 40);
    f.gdt(sel::kCallGate, gate);
    f.s.seg[CS] = {sel::kUserCode32 | 3, 0, 0xFFFF'FFFF, 0xC0FB};
    f.s.seg[SS] = {sel::kUserData | 3, 0, 0xFFFF'FFFF, 0xC0F3};
    f.s.gpr[RSP] = 0x7000;
    f.bus.write(Hpa(0x7000), 4, 0xAAAA);
    f.bus.write(Hpa(0x7004), 4, 0xBBBB);
    REQUIRE_FALSE(far_call(f.c, sel::kCallGate | 3, 0, 4, 0x4005));
    CHECK(f.s.cpl() == 0);
    CHECK(f.s.mode() == CpuMode::Protected32);
    CHECK(f.s.rip == 0x1234);
    CHECK(f.s.gpr[RSP] == 0x9000 - 24);
    CHECK(f.s.seg[SS].selector == sel::kData0);
    CHECK(f.bus.read(Hpa(0x9000 - 4), 4) == (sel::kUserData | 3));
    CHECK(f.bus.read(Hpa(0x9000 - 8), 4) == 0x7000);
    CHECK(f.bus.read(Hpa(0x9000 - 12), 4) == 0xBBBB);
    CHECK(f.bus.read(Hpa(0x9000 - 16), 4) == 0xAAAA);
    CHECK(f.bus.read(Hpa(0x9000 - 20), 4) == (sel::kUserCode32 | 3));
    CHECK(f.bus.read(Hpa(0x9000 - 24), 4) == 0x4005);
    SECTION("RETF 8 releases the parameters on both stacks") {
        REQUIRE_FALSE(far_return(f.c, 4, 8));
        CHECK(f.s.cpl() == 3);
        CHECK(f.s.rip == 0x4005);
        CHECK(f.s.gpr[RSP] == 0x7008);
    }
    SECTION("a bad SS0 in the TSS is #TS(SS0 selector)") {
        f.s.seg[CS] = {sel::kUserCode32 | 3, 0, 0xFFFF'FFFF, 0xC0FB};
        f.bus.write(Hpa(kTssBase + 8), 2, sel::kReadOnlyData0);
        f.s.gpr[RSP] = 0x7000;
        auto fault = far_call(f.c, sel::kCallGate | 3, 0, 4, 0x4005);
        CHECK(fault.vector == TS);
        CHECK(fault.error_code == sel::kReadOnlyData0);
        CHECK(f.s.gpr[RSP] == 0x7000);
    }
}

TEST_CASE("32-bit protected mode: a segment limit violation on the stack is #SS(0)", "[far]") {
    SystemFixture f;
    f.to_protected32();
    // Expand-up SS with limit 0x7FFF: the first push (0x8000..0x8003) is beyond it.
    f.s.seg[SS] = {sel::kData0, 0, 0x7FFF, 0x4093};
    f.s.gpr[RSP] = 0x8004;
    auto fault = far_call(f.c, sel::kCode32, 0x10, 4, 0x20);
    CHECK(fault.vector == SS_);
    CHECK(fault.error_code == 0);
    CHECK(f.s.gpr[RSP] == 0x8004);
}
