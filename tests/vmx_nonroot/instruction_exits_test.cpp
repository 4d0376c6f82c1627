// Instruction-caused VM exits in VMX non-root operation: for each exit reason the triggering
// instruction, the exit reason, qualification, instruction length and information, and the
// guest RIP saved (the instruction's own address); and that without the control the
// instruction runs as it does outside VMX. Intel SDM, Dec 2023, Vol. 3C, "Instructions That
// Cause VM Exits Unconditionally/Conditionally", "Exit Qualification for VM Exits".
#include "nonroot_fixture.hpp"

#include "cpu/vmx/controls.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx;
using P = ProcBased;
using P2 = ProcBased2;

namespace {
constexpr uint64_t kCode = CpuFixture::kCode;
constexpr uint64_t kData = CpuFixture::kData;
} // namespace

TEST_CASE("nonroot: CPUID exits unconditionally (10)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90, 0x0F, 0xA2}); // nop; cpuid
    m.reg(RAX) = 0x1234;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 10);
    CHECK(m.guest_rip() == kCode + 1);
    CHECK(m.length() == 2);
    CHECK(m.qualification() == 0);
    CHECK(m.reg(RAX) == 0x1234); // CPUID did not execute
}

TEST_CASE("nonroot: HLT exits with HLT exiting (12), halts the guest without it",
          "[vmx][nonroot]") {
    {
        NonRootFixture m;
        m.controls(0, P::kHltExiting, 0);
        m.load({0xF4});
        REQUIRE(m.run_to_exit());
        CHECK(m.reason() == 12);
        CHECK(m.guest_rip() == kCode);
        CHECK(m.length() == 1);
        CHECK(m.get(vf::GUEST_ACTIVITY_STATE) == 0);
    }
    {
        NonRootFixture m;
        m.load({0xF4});
        const RunResult r = m.run(100);
        CHECK(r.reason == StopReason::Halted);
        CHECK(m.s().vmx.non_root);
        CHECK(m.s().activity == CpuState::Activity::Hlt);
        CHECK(m.rip() == kCode + 1);
    }
}

TEST_CASE("nonroot: INVD exits unconditionally (13), WBINVD with WBINVD exiting (54)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x0F, 0x08});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 13);
    CHECK(m.length() == 2);

    NonRootFixture w;
    w.load({0x0F, 0x09, 0x0F, 0x09});
    w.run(1); // no control: WBINVD is a no-op
    CHECK(w.rip() == kCode + 2);
    CHECK(w.s().vmx.non_root);
    w.controls(0, 0, P2::kWbinvdExiting);
    REQUIRE(w.run_to_exit());
    CHECK(w.reason() == 54);
    CHECK(w.guest_rip() == kCode + 2);
}

TEST_CASE("nonroot: INVLPG exits with the linear address as qualification (14)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kInvlpgExiting, 0);
    m.load({0x0F, 0x01, 0x78, 0x10}); // invlpg [rax+0x10]
    m.reg(RAX) = 0x7654'3000;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 14);
    CHECK(m.qualification() == 0x7654'3010);
    CHECK(m.length() == 4);
}

TEST_CASE("nonroot: RDPMC exits after the privilege check (15)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kRdpmcExiting, 0);
    m.load({0x0F, 0x33});
    m.reg(RCX) = 0x12345; // an invalid counter: the #GP for it comes after the exit
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 15);

    NonRootFixture n; // without the control: #GP(0) as outside VMX
    n.load({0x0F, 0x33});
    CHECK(n.run_until_exception() == GP);
    CHECK(n.s().vmx.non_root);
}

TEST_CASE("nonroot: RDTSC (16) and RDTSCP (51) exits, RDTSCP #UD without enable RDTSCP",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kRdtscExiting, 0);
    m.load({0x0F, 0x31});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 16);
    CHECK(m.length() == 2);

    NonRootFixture u;
    u.controls(0, P::kRdtscExiting, 0);
    u.load({0x0F, 0x01, 0xF9});
    CHECK(u.run_until_exception() == UD);
    CHECK(u.s().vmx.non_root);

    NonRootFixture p;
    p.controls(0, P::kRdtscExiting, P2::kEnableRdtscp);
    p.load({0x0F, 0x01, 0xF9});
    REQUIRE(p.run_to_exit());
    CHECK(p.reason() == 51);
    CHECK(p.length() == 3);
}

TEST_CASE("nonroot: TSC offsetting adds the TSC offset to RDTSC, RDTSCP and RDMSR",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kUseTscOffsetting, P2::kEnableRdtscp);
    m.set(vf::TSC_OFFSET, 0x1'0000'0000ull);
    m.cpu.set_clock(1000);
    // rdtsc; mov r8, rax; rdtscp; mov r9, rdx
    m.load({0x0F, 0x31, 0x49, 0x89, 0xC0, 0x0F, 0x01, 0xF9, 0x49, 0x89, 0xD1});
    m.run(4);
    CHECK(m.s().vmx.non_root);
    CHECK(m.reg(R8) == 1000); // low half of 0x1'0000'03E8
    CHECK(m.reg(R9) == 1);    // high half of the RDTSCP value
    CHECK(m.reg(RDX) == 1);
    // RDMSR of IA32_TIME_STAMP_COUNTER exits without MSR bitmaps; with a clear bitmap it
    // reads the offset TSC.
    NonRootFixture r;
    r.controls(0, P::kUseTscOffsetting | P::kUseMsrBitmaps, 0);
    r.set(vf::MSR_BITMAP, NonRootFixture::kMsrBitmap);
    r.set(vf::TSC_OFFSET, 0x5'0000'0000ull);
    r.load({0x0F, 0x32});
    r.reg(RCX) = 0x10;
    r.run(1);
    CHECK(r.s().vmx.non_root);
    CHECK(r.reg(RDX) == 5);
}

TEST_CASE("nonroot: MOV to CR0 exits when a host-owned bit differs from the shadow (28)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::CR0_GUEST_HOST_MASK, cr0::CD | cr0::TS);
    m.set(vf::CR0_READ_SHADOW, cr0::CD);
    const uint64_t cr0_before = m.s().cr0;
    // mov rax, cr0 (reads the shadow for CD/TS); mov cr0, rax (matches: no exit, CD kept);
    // mov cr0, rbx (TS differs from the shadow: exit)
    m.load({0x0F, 0x20, 0xC0, 0x0F, 0x22, 0xC0, 0x0F, 0x22, 0xC3});
    m.run(2);
    REQUIRE(m.s().vmx.non_root);
    CHECK((m.reg(RAX) & cr0::CD) != 0); // from the read shadow
    CHECK((m.reg(RAX) & cr0::TS) == 0);
    CHECK(m.s().cr0 == cr0_before); // the host-owned CD stays as the CPU had it
    m.reg(RBX) = m.reg(RAX) | cr0::TS;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == ((3u << 8) | (0u << 4) | 0)); // RBX, MOV to CR, CR0
    CHECK(m.guest_rip() == kCode + 6);
    CHECK(m.length() == 3);
}

TEST_CASE("nonroot: MOV to CR4 and the CR4 read shadow", "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::CR4_GUEST_HOST_MASK, cr4::VMXE);
    m.set(vf::CR4_READ_SHADOW, 0);
    // mov rax, cr4; mov cr4, rax (VMXE reads 0 and is written 0: matches, no exit)
    m.load({0x0F, 0x20, 0xE0, 0x0F, 0x22, 0xE0, 0x48, 0x0F, 0xBA, 0xE8, 0x0D, 0x0F, 0x22, 0xE0});
    m.run(2);
    REQUIRE(m.s().vmx.non_root);
    CHECK((m.reg(RAX) & cr4::VMXE) == 0);
    CHECK((m.s().cr4 & cr4::VMXE) != 0); // still set: the guest cannot clear it
    // bts rax, 13; mov cr4, rax: VMXE differs from the shadow
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == 4); // CR4, MOV to CR, RAX
}

TEST_CASE("nonroot: MOV to CR3 exits unless the value is a CR3-target value", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kCr3LoadExiting, 0);
    m.set(vf::CR3_TARGET_COUNT, 2);
    m.set(vf::CR3_TARGET_VALUE1, CpuFixture::kPml4);
    m.set(vf::CR3_TARGET_VALUE2, 0x8000);         // beyond the count: ignored
    m.load({0x0F, 0x22, 0xDB, 0x0F, 0x22, 0xDB}); // mov cr3, rbx; mov cr3, rbx
    m.reg(RBX) = CpuFixture::kPml4;
    m.run(1);
    REQUIRE(m.s().vmx.non_root);
    CHECK(m.rip() == kCode + 3);
    m.reg(RBX) = 0x8000;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == ((3u << 8) | 3));
    CHECK(m.get(vf::GUEST_CR3) == CpuFixture::kPml4);
}

TEST_CASE("nonroot: MOV from CR3 exits with CR3-store exiting", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kCr3StoreExiting, 0);
    m.load({0x0F, 0x20, 0xD9}); // mov rcx, cr3
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == ((1u << 8) | (1u << 4) | 3));
}

TEST_CASE("nonroot: CR8 load and store exiting", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kCr8LoadExiting, 0);
    m.load({0x44, 0x0F, 0x22, 0xC2}); // mov cr8, rdx
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == ((2u << 8) | 8));
    CHECK(m.length() == 4);

    NonRootFixture n;
    n.controls(0, P::kCr8StoreExiting, 0);
    n.load({0x44, 0x0F, 0x20, 0xC0}); // mov rax, cr8
    REQUIRE(n.run_to_exit());
    CHECK(n.qualification() == ((0u << 8) | (1u << 4) | 8));
}

TEST_CASE("nonroot: CLTS and LMSW exits and their host-owned bits", "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::CR0_GUEST_HOST_MASK, cr0::TS);
    m.set(vf::CR0_READ_SHADOW, 0);
    m.s().cr0 |= cr0::TS;
    m.load({0x0F, 0x06, 0x0F, 0x06}); // clts; clts
    m.run(1);                         // TS masked, shadow 0: no exit, and TS stays (host-owned)
    REQUIRE(m.s().vmx.non_root);
    CHECK((m.s().cr0 & cr0::TS) != 0);
    m.set(vf::CR0_READ_SHADOW, cr0::TS);
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 28);
    CHECK(m.qualification() == (2u << 4)); // CLTS
    CHECK(m.length() == 2);

    NonRootFixture l;
    l.set(vf::CR0_GUEST_HOST_MASK, cr0::MP);
    l.set(vf::CR0_READ_SHADOW, cr0::MP);
    l.load({0x0F, 0x01, 0x33}); // lmsw [rbx]
    l.reg(RBX) = kData;
    l.poke_val<uint16_t>(kData, 0x0001); // PE=1, MP=0: MP differs from the shadow
    REQUIRE(l.run_to_exit());
    CHECK(l.reason() == 28);
    CHECK(l.qualification() == ((1ull << 16) | (1u << 6) | (3u << 4))); // source, memory, LMSW
    CHECK(l.get(vf::GUEST_LINEAR_ADDRESS) == kData);
}

TEST_CASE("nonroot: SMSW reads the CR0 read shadow for host-owned bits", "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::CR0_GUEST_HOST_MASK, cr0::MP | cr0::EM);
    m.set(vf::CR0_READ_SHADOW, cr0::EM);
    m.load({0x0F, 0x01, 0xE0}); // smsw eax
    m.run(1);
    CHECK((m.reg(RAX) & (cr0::MP | cr0::EM)) == cr0::EM);
    CHECK((m.reg(RAX) & cr0::PE) != 0);
}

TEST_CASE("nonroot: MOV DR exits with MOV-DR exiting (29)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kMovDrExiting, 0);
    m.load({0x0F, 0x21, 0xF2}); // mov rdx, dr6
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 29);
    CHECK(m.qualification() == ((2u << 8) | (1u << 4) | 6));

    NonRootFixture t;
    t.controls(0, P::kMovDrExiting, 0);
    t.load({0x0F, 0x23, 0xF8}); // mov dr7, rax
    t.reg(RAX) = ~uint64_t{0};  // the #GP for upper bits comes after the exit
    REQUIRE(t.run_to_exit());
    CHECK(t.qualification() == 7);
}

TEST_CASE("nonroot: OUT/IN exit with unconditional I/O exiting (30)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kUnconditionalIoExiting, 0);
    m.load({0xE6, 0x80}); // out 0x80, al
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 30);
    CHECK(m.qualification() == ((0x80ull << 16) | (1u << 6)));
    CHECK(m.length() == 2);
    CHECK(m.env.log.empty()); // the port was not written

    NonRootFixture n;
    n.controls(0, P::kUnconditionalIoExiting, 0);
    n.load({0x66, 0xED}); // in ax, dx
    n.reg(RDX) = 0x1F0;
    REQUIRE(n.run_to_exit());
    CHECK(n.qualification() == ((0x1F0ull << 16) | (1u << 3) | 1));
}

TEST_CASE("nonroot: I/O bitmaps A and B and a wrapping access", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kUseIoBitmaps, 0);
    m.set(vf::IO_BITMAP_A, NonRootFixture::kIoBitmapA);
    m.set(vf::IO_BITMAP_B, NonRootFixture::kIoBitmapB);
    m.poke_val<uint8_t>(NonRootFixture::kIoBitmapB + 0x1000 / 8, 1u << 1); // port 0x9001
    m.load({0xEC, 0xEC, 0x66, 0xEF}); // in al, dx; in al, dx; out dx, ax
    m.reg(RDX) = 0x61;
    m.run(1);
    REQUIRE(m.s().vmx.non_root); // bit clear: the port is read
    REQUIRE(m.env.log.size() == 1);
    m.reg(RDX) = 0x9001;
    REQUIRE(m.run_to_exit());
    CHECK(m.qualification() == ((0x9001ull << 16) | (1u << 3)));

    NonRootFixture w;
    w.controls(0, P::kUseIoBitmaps, 0);
    w.set(vf::IO_BITMAP_A, NonRootFixture::kIoBitmapA);
    w.set(vf::IO_BITMAP_B, NonRootFixture::kIoBitmapB);
    w.load({0x66, 0xEF}); // out dx, ax at port FFFFH wraps around
    w.reg(RDX) = 0xFFFF;
    REQUIRE(w.run_to_exit());
    CHECK(w.qualification() == ((0xFFFFull << 16) | 1));
}

TEST_CASE("nonroot: REP OUTSB and INSD report string, REP, linear address and information",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kUnconditionalIoExiting, 0);
    m.load({0xF3, 0x6E}); // rep outsb
    m.reg(RDX) = 0x3F8;
    m.reg(RSI) = kData + 5;
    m.reg(RCX) = 3;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 30);
    CHECK(m.qualification() == ((0x3F8ull << 16) | (1u << 5) | (1u << 4)));
    CHECK(m.get(vf::GUEST_LINEAR_ADDRESS) == kData + 5);
    CHECK(m.insn_info() == ((2u << 7) | (3u << 15))); // 64-bit address size, DS
    CHECK(m.reg(RCX) == 3);                           // no iteration ran
    CHECK(m.env.log.empty());

    NonRootFixture n;
    n.controls(0, P::kUnconditionalIoExiting, 0);
    n.load({0x67, 0x6D}); // insd with a 32-bit address size
    n.reg(RDX) = 0x60;
    n.reg(RDI) = 0xFFFF'FFFF'0030'0100ull; // only EDI counts
    REQUIRE(n.run_to_exit());
    CHECK(n.qualification() == ((0x60ull << 16) | (1u << 4) | (1u << 3) | 3));
    CHECK(n.get(vf::GUEST_LINEAR_ADDRESS) == 0x30'0100);
    CHECK((n.insn_info() & (7u << 7)) == (1u << 7)); // 32-bit address size
    CHECK(n.length() == 2);
}

TEST_CASE("nonroot: RDMSR/WRMSR exit without MSR bitmaps, through them with (31, 32)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x0F, 0x32}); // rdmsr
    m.reg(RCX) = 0x174;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 31);
    CHECK(m.length() == 2);

    NonRootFixture b;
    b.controls(0, P::kUseMsrBitmaps, 0);
    b.set(vf::MSR_BITMAP, NonRootFixture::kMsrBitmap);
    // Write bitmap for high MSRs (offset 3072): IA32_LSTAR (C0000082H).
    b.poke_val<uint8_t>(NonRootFixture::kMsrBitmap + 3072 + 0x82 / 8, 1u << (0x82 % 8));
    b.load({0x0F, 0x32, 0x0F, 0x30, 0x0F, 0x30}); // rdmsr; wrmsr; wrmsr
    b.reg(RCX) = 0xC000'0082;
    b.run(1); // reading LSTAR: read bitmap bit clear
    REQUIRE(b.s().vmx.non_root);
    b.reg(RCX) = 0x174; // WRMSR of SYSENTER_CS: write bitmap bit clear, executes
    b.reg(RAX) = 0x10;
    b.reg(RDX) = 0;
    b.run(1);
    REQUIRE(b.s().vmx.non_root);
    CHECK(b.s().msr.sysenter_cs == 0x10);
    b.reg(RCX) = 0xC000'0082;
    REQUIRE(b.run_to_exit());
    CHECK(b.reason() == 32);
    CHECK(b.guest_rip() == kCode + 4);

    NonRootFixture o; // an MSR outside both bitmap ranges always exits
    o.controls(0, P::kUseMsrBitmaps, 0);
    o.set(vf::MSR_BITMAP, NonRootFixture::kMsrBitmap);
    o.load({0x0F, 0x32});
    o.reg(RCX) = 0x4000'0000;
    REQUIRE(o.run_to_exit());
    CHECK(o.reason() == 31);
}

TEST_CASE("nonroot: PAUSE exits with PAUSE exiting (40)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kPauseExiting, 0);
    m.load({0xF3, 0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 40);
    CHECK(m.length() == 2);
}

TEST_CASE("nonroot: LGDT/SIDT exit with descriptor-table exiting (46)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, 0, P2::kDescriptorTableExiting);
    m.load({0x0F, 0x01, 0x50, 0x20}); // lgdt [rax+0x20]
    m.reg(RAX) = 0xDEAD'0000;         // never read: the exit comes before the memory access
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 46);
    CHECK(m.qualification() == 0x20);
    // LGDT (2), 32-bit operand size, no index, base RAX, DS, 64-bit address size.
    CHECK(m.insn_info() == ((2u << 28) | (1u << 22) | (3u << 15) | (1u << 11) | (2u << 7)));
    CHECK(m.length() == 4);

    NonRootFixture s;
    s.controls(0, 0, P2::kDescriptorTableExiting);
    s.load({0x0F, 0x01, 0x4C, 0x8B, 0xF8}); // sidt [rbx+rcx*4-8]
    REQUIRE(s.run_to_exit());
    CHECK(s.qualification() == ~uint64_t{7}); // -8 sign-extended
    CHECK(s.insn_info() ==
          ((1u << 28) | (3u << 23) | (1u << 18) | (3u << 15) | (1u << 11) | (2u << 7) | 2));
}

TEST_CASE("nonroot: LTR/STR exit with descriptor-table exiting (47)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, 0, P2::kDescriptorTableExiting);
    m.load({0x0F, 0x00, 0x18}); // ltr [rax]
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 47);
    CHECK(m.qualification() == 0);
    CHECK(m.insn_info() == ((3u << 28) | (1u << 22) | (3u << 15) | (2u << 7)));

    NonRootFixture s;
    s.controls(0, 0, P2::kDescriptorTableExiting);
    s.load({0x0F, 0x00, 0xCA}); // str edx
    REQUIRE(s.run_to_exit());
    CHECK(s.reason() == 47);
    // Defined bits for a register operand: Reg1 (6:3), mem/reg (10), identity (29:28).
    CHECK((s.insn_info() & 0x3000'0478u) == ((1u << 28) | (1u << 10) | (2u << 3)));

    NonRootFixture n;           // without the control SLDT just runs
    n.load({0x0F, 0x00, 0xC0}); // sldt eax
    n.run(1);
    CHECK(n.s().vmx.non_root);
    CHECK(n.rip() == kCode + 3);
}

TEST_CASE("nonroot: INVPCID is #UD without enable INVPCID and exits with INVLPG exiting (58)",
          "[vmx][nonroot]") {
    NonRootFixture u;
    u.load({0x66, 0x0F, 0x38, 0x82, 0x03}); // invpcid rax, [rbx]
    CHECK(u.run_until_exception() == UD);

    NonRootFixture m;
    m.controls(0, P::kInvlpgExiting, P2::kEnableInvpcid);
    m.load({0x66, 0x0F, 0x38, 0x82, 0x03});
    m.reg(RAX) = 7; // an invalid type: its #GP comes after the exit
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 58);
    CHECK(m.qualification() == 0);
    CHECK(m.insn_info() == ((0u << 28) | (3u << 23) | (1u << 22) | (3u << 15) | (2u << 7)));
    CHECK(m.length() == 5);
}

TEST_CASE("nonroot: privilege faults come before the exit", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kHltExiting, 0);
    m.load({0xF4});
    m.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    m.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    m.cpu.invalidate_caches();
    // HLT at CPL 3 raises #GP in the guest; the HLT of the guest's #GP handler then exits.
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 12);
    CHECK(m.guest_rip() == CpuFixture::kStubs + 8 * GP);
}

TEST_CASE("nonroot: MONITOR (39) and MWAIT (36) exits, MWAIT reports the armed monitor",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kMonitorExiting, 0);
    m.load({0x0F, 0x01, 0xC8}); // monitor
    m.reg(RCX) = 1;             // its #GP for ECX != 0 comes after the exit
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 39);
    CHECK(m.length() == 3);
    CHECK(m.qualification() == 0);

    NonRootFixture w;
    w.controls(0, P::kMwaitExiting, 0);
    w.load({0x0F, 0x01, 0xC8, 0x0F, 0x01, 0xC9}); // monitor; mwait
    w.reg(RAX) = kData;
    w.run(1);
    REQUIRE(w.s().vmx.non_root);
    CHECK(w.s().monitor_armed);
    REQUIRE(w.run_to_exit());
    CHECK(w.reason() == 36);
    CHECK(w.qualification() == 1); // armed
    CHECK(w.guest_rip() == kCode + 3);

    NonRootFixture n; // not armed: qualification 0
    n.controls(0, P::kMwaitExiting, 0);
    n.load({0x0F, 0x01, 0xC9});
    REQUIRE(n.run_to_exit());
    CHECK(n.qualification() == 0);
}

TEST_CASE("MONITOR/MWAIT outside VMX: CPL 3 is #UD, ECX and address checks", "[vmx][nonroot]") {
    CpuFixture m;
    m.load({0x0F, 0x01, 0xC8, 0x0F, 0x01, 0xC9, 0x90});
    m.reg(RAX) = kData;
    m.run(2); // monitor arms, mwait returns at once and disarms
    CHECK(m.rip() == kCode + 6);
    CHECK_FALSE(m.s().monitor_armed);

    CpuFixture e; // ECX extensions: MONITOR none, MWAIT only bit 0
    e.load({0x0F, 0x01, 0xC9});
    e.reg(RCX) = 2;
    CHECK(e.run_until_exception() == GP);
    CpuFixture a; // a non-canonical monitor address: #GP(0)
    a.load({0x0F, 0x01, 0xC8});
    a.reg(RAX) = 0x8000'0000'0000'0000ull;
    CHECK(a.run_until_exception() == GP);
    CpuFixture p; // an unmapped one: #PF
    p.load({0x0F, 0x01, 0xC8});
    p.reg(RAX) = 0x4000'0000;
    CHECK(p.run_until_exception() == PF);

    CpuFixture u;
    u.load({0x0F, 0x01, 0xC9});
    u.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    u.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    u.cpu.invalidate_caches();
    CHECK(u.run_until_exception() == UD);
}

TEST_CASE("nonroot: a compatibility-mode guest - 32-bit operands in the exit information",
          "[vmx][nonroot]") {
    NonRootFixture m(TestMode::Compat32);
    m.controls(0, P::kUnconditionalIoExiting | P::kInvlpgExiting, 0);
    m.load({0x0F, 0x01, 0x7B, 0x08, 0xF3, 0x6C}); // invlpg [ebx+8]; rep insb
    m.reg(RBX) = 0xFFFF'FFFF'0010'0000ull;        // only EBX counts
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 14);
    CHECK(m.qualification() == 0x10'0008);
    CHECK(m.get(vf::GUEST_CS_AR_BYTES) == 0xC09B);

    NonRootFixture s(TestMode::Compat32);
    s.controls(0, P::kUnconditionalIoExiting, 0);
    s.load({0xF3, 0x6C}); // rep insb
    s.reg(RDX) = 0x70;
    s.reg(RDI) = 0x30'0040;
    s.reg(RCX) = 2;
    REQUIRE(s.run_to_exit());
    CHECK(s.reason() == 30);
    CHECK(s.qualification() == ((0x70ull << 16) | (1u << 5) | (1u << 4) | (1u << 3)));
    CHECK(s.get(vf::GUEST_LINEAR_ADDRESS) == 0x30'0040);
    CHECK((s.insn_info() & (7u << 7)) == (1u << 7)); // 32-bit address size
}

TEST_CASE("nonroot: bitmaps outside RAM read as the bus reads them (all ones: exit)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kUseIoBitmaps | P::kUseMsrBitmaps, 0);
    m.set(vf::IO_BITMAP_A, 0xF000'0000); // no RAM there
    m.set(vf::IO_BITMAP_B, 0xF000'1000);
    m.set(vf::MSR_BITMAP, 0xF000'2000);
    m.load({0xE4, 0x21}); // in al, 0x21
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 30);

    NonRootFixture r;
    r.controls(0, P::kUseMsrBitmaps, 0);
    r.set(vf::MSR_BITMAP, 0xF000'2000);
    r.load({0x0F, 0x32});
    r.reg(RCX) = 0x174;
    REQUIRE(r.run_to_exit());
    CHECK(r.reason() == 31);
}

TEST_CASE("nonroot: MOV-DR exiting beats the CPL #GP and the CR4.DE #UD for DR4/DR5",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kMovDrExiting, 0);
    m.s().cr4 |= cr4::DE;
    m.load({0x0F, 0x21, 0xE0}); // mov rax, dr4
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 29);
    CHECK(m.qualification() == ((1u << 4) | 4));

    NonRootFixture u;
    u.controls(0, P::kMovDrExiting, 0);
    u.load({0x0F, 0x23, 0xC0}); // mov dr0, rax at CPL 3
    u.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFFFFFF, 0xA0FB};
    u.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFFFFFF, 0xC0F3};
    u.cpu.invalidate_caches();
    REQUIRE(u.run_to_exit());
    CHECK(u.reason() == 29);
    CHECK(u.guest_rip() == kCode);
}

TEST_CASE("nonroot: RDPID is #UD without enable RDTSCP; XSETBV exits (55)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0xF3, 0x0F, 0xC7, 0xF8}); // rdpid rax
    CHECK(m.run_until_exception() == UD);
    NonRootFixture e;
    e.controls(0, 0, P2::kEnableRdtscp);
    e.s().msr.tsc_aux = 7;
    e.load({0xF3, 0x0F, 0xC7, 0xF8});
    e.run(1);
    CHECK(e.reg(RAX) == 7);

    // XSETBV needs CR4.OSXSAVE, which the CPU model cannot set; the state is forced here to
    // reach the exit that follows the #UD check.
    NonRootFixture x;
    x.s().cr4 |= cr4::OSXSAVE;
    x.load({0x0F, 0x01, 0xD1});
    REQUIRE(x.run_to_exit());
    CHECK(x.reason() == 55);
    CHECK(x.length() == 3);
}
