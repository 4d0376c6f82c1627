// Event-related VM exits in VMX non-root operation: the exception bitmap (with the #PF
// error-code mask/match), IDT-vectoring information, triple fault, external interrupts with
// and without "acknowledge interrupt on exit", NMI exiting, virtual NMIs and IRET, the
// interrupt and NMI windows, the monitor trap flag and the VMX-preemption timer. Intel SDM,
// Dec 2023, Vol. 3C, "Other Causes of VM Exits", "Information for VM Exits Due to Vectored
// Events", "Information for VM Exits That Occur During Event Delivery".
#include "nonroot_fixture.hpp"

#include "cpu/vmx/controls.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx;
using P = ProcBased;
using Pin = PinBased;

namespace {
constexpr uint64_t kCode = CpuFixture::kCode;
constexpr uint64_t kStubs = CpuFixture::kStubs;
constexpr uint32_t kValid = 1u << 31;
constexpr uint32_t kErrorValid = 1u << 11;

uint32_t info(uint8_t vector, unsigned type, bool error = false) {
    return kValid | (error ? kErrorValid : 0) | (type << 8) | vector;
}

// Marks IDT gate `vector` (64-bit IDT) not present.
void gate_not_present(CpuFixture& m, uint8_t vector) {
    const uint64_t at = CpuFixture::kIdt + 16 * vector;
    m.poke_val<uint64_t>(at, m.peek_val<uint64_t>(at) & ~(uint64_t{0x80} << 40));
}
} // namespace

TEST_CASE("nonroot events: an exception in the exception bitmap exits (0)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << UD);
    m.load({0x90, 0x0F, 0x0B}); // nop; ud2
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(UD, 3));
    CHECK(m.guest_rip() == kCode + 1);
    CHECK((m.idt_vectoring() & kValid) == 0);

    NonRootFixture n; // not in the bitmap: delivered through the guest IDT
    n.set(vf::EXCEPTION_BITMAP, 1u << GP);
    n.load({0x0F, 0x0B});
    CHECK(n.run_until_exception() == UD);
    CHECK(n.s().vmx.non_root);
}

TEST_CASE("nonroot events: #PF exits through the error-code mask/match, CR2 untouched",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << PF);
    m.load({0x48, 0x8B, 0x03}); // mov rax, [rbx]
    m.reg(RBX) = 0x4000'0010;   // beyond the identity-mapped 1 GiB: not present
    m.s().cr2 = 0x1111;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(PF, 3, true));
    CHECK(m.intr_error() == 0); // read, not present, supervisor
    CHECK(m.qualification() == 0x4000'0010);
    CHECK(m.s().cr2 == 0x1111);

    // PFEC & mask != match: bit 14 = 1 now means "no exit".
    NonRootFixture n;
    n.set(vf::EXCEPTION_BITMAP, 1u << PF);
    n.set(vf::PAGE_FAULT_ERROR_CODE_MASK, 1);
    n.set(vf::PAGE_FAULT_ERROR_CODE_MATCH, 1);
    n.load({0x48, 0x8B, 0x03});
    n.reg(RBX) = 0x4000'0010;
    CHECK(n.run_until_exception() == PF);
    CHECK(n.s().cr2 == 0x4000'0010);

    // With bit 14 = 0 it is the other way round: a mismatch exits, a match is delivered.
    NonRootFixture o;
    o.set(vf::PAGE_FAULT_ERROR_CODE_MASK, 1);
    o.set(vf::PAGE_FAULT_ERROR_CODE_MATCH, 1);
    o.load({0x48, 0x8B, 0x03});
    o.reg(RBX) = 0x4000'0010;
    REQUIRE(o.run_to_exit());
    CHECK(o.intr_info() == info(PF, 3, true));
    NonRootFixture q;
    q.set(vf::PAGE_FAULT_ERROR_CODE_MASK, 1);
    q.load({0x48, 0x8B, 0x03});
    q.reg(RBX) = 0x4000'0010;
    CHECK(q.run_until_exception() == PF);
}

TEST_CASE("nonroot events: INT3 in the bitmap is a software exception with its length",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << BP);
    m.load({0x90, 0xCC});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(BP, 6));
    CHECK(m.length() == 1);
    CHECK(m.guest_rip() == kCode + 1);

    NonRootFixture i; // INT1 (ICEBP): privileged software exception
    i.set(vf::EXCEPTION_BITMAP, 1u << DB);
    i.load({0xF1});
    REQUIRE(i.run_to_exit());
    CHECK(i.intr_info() == info(DB, 5));
    CHECK(i.length() == 1);
}

TEST_CASE("nonroot events: an exception during delivery reports IDT-vectoring information",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << NP);
    gate_not_present(m, 0x40);
    m.env.pending_vector = 0x40;
    m.s().rflags |= rflags::IF;
    m.load({0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(NP, 3, true));
    CHECK(m.intr_error() == 0x40 * 8 + 2 + 1); // IDT, EXT
    CHECK(m.idt_vectoring() == info(0x40, 0));
    CHECK(m.guest_rip() == kCode);
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x40});

    // During INT n: the IDT-vectoring information is the software interrupt, and the
    // instruction length is reported; the guest RIP is the INT instruction.
    NonRootFixture s;
    s.set(vf::EXCEPTION_BITMAP, 1u << NP);
    gate_not_present(s, 0x21);
    s.load({0x90, 0xCD, 0x21}); // nop; int 0x21
    REQUIRE(s.run_to_exit());
    CHECK(s.idt_vectoring() == info(0x21, 4));
    CHECK(s.intr_error() == 0x21 * 8 + 2);
    CHECK(s.length() == 2);
    CHECK(s.guest_rip() == kCode + 1);
}

TEST_CASE("nonroot events: a double fault that exits directly has no IDT-vectoring information",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << DF);
    gate_not_present(m, GP);
    // mov rax, 8000000000000000H; mov rax, [rax]: #GP(0), whose gate is not present: #NP
    // while delivering #GP is a double fault.
    m.load({0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x48, 0x8B, 0x00});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(DF, 3, true));
    CHECK(m.intr_error() == 0);
    CHECK((m.idt_vectoring() & kValid) == 0);
}

TEST_CASE("nonroot events: a triple fault is a VM exit (2), not shutdown", "[vmx][nonroot]") {
    NonRootFixture m;
    m.s().idtr.limit = 0; // every delivery fails
    m.load({0x0F, 0x0B});
    const RunResult r = m.run(100);
    CHECK(r.reason != StopReason::Shutdown);
    REQUIRE(m.exited());
    CHECK(m.reason() == 2);
    CHECK((m.idt_vectoring() & kValid) == 0);
    CHECK((m.intr_info() & kValid) == 0);
    CHECK(m.guest_rip() == kCode);
}

TEST_CASE("nonroot events: external-interrupt exiting with and without acknowledge (1)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kExternalInterruptExiting, 0, 0, ExitControls::kAcknowledgeInterruptOnExit);
    m.env.pending_vector = 0x41;
    m.s().rflags |= rflags::IF;
    m.load({0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 1);
    CHECK(m.intr_info() == info(0x41, 0));
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x41});
    CHECK(m.guest_rip() == kCode);

    NonRootFixture n;
    n.controls(Pin::kExternalInterruptExiting, 0, 0);
    n.env.pending_vector = 0x41;
    n.s().rflags |= rflags::IF;
    n.load({0x90});
    REQUIRE(n.run_to_exit());
    CHECK(n.reason() == 1);
    CHECK((n.intr_info() & kValid) == 0);
    CHECK(n.env.acknowledged.empty());
    CHECK(n.env.pending_vector == 0x41); // still pending in the controller

    // RFLAGS.IF does not block it ("Changes to Event Blocking"); the STI shadow does.
    NonRootFixture f;
    f.controls(Pin::kExternalInterruptExiting, 0, 0, ExitControls::kAcknowledgeInterruptOnExit);
    f.env.pending_vector = 0x42;
    f.load({0x90});
    REQUIRE(f.run_to_exit());
    CHECK(f.reason() == 1);
    CHECK(f.intr_info() == info(0x42, 0));

    NonRootFixture b;
    b.controls(Pin::kExternalInterruptExiting, 0, 0);
    b.set(vf::GUEST_INTERRUPTIBILITY_INFO, 1); // blocking by STI
    b.s().rflags |= rflags::IF;
    b.finish_entry();
    b.env.pending_vector = 0x41;
    b.load({0x90, 0x90});
    REQUIRE(b.run_to_exit());
    CHECK(b.guest_rip() == kCode + 1);
}

TEST_CASE("nonroot events: interrupt-window exiting (7) waits for the STI shadow",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kInterruptWindowExiting, 0);
    m.load({0xFB, 0x90, 0x90}); // sti; nop; nop
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 7);
    CHECK(m.guest_rip() == kCode + 2); // after the instruction in the STI shadow

    NonRootFixture h; // it also wakes a halted guest
    h.controls(0, P::kInterruptWindowExiting, 0);
    h.load({0xF4});
    h.set(vf::GUEST_ACTIVITY_STATE, 1);
    h.finish_entry();
    CHECK(h.s().activity == CpuState::Activity::Hlt);
    h.s().rflags |= rflags::IF;
    REQUIRE(h.run_to_exit());
    CHECK(h.reason() == 7);
    CHECK(h.get(vf::GUEST_ACTIVITY_STATE) == 1);
}

TEST_CASE("nonroot events: NMI exiting (0, type NMI)", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kNmiExiting, 0, 0);
    m.env.nmi = true;
    m.load({0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(NMI, 2));
    CHECK_FALSE(m.env.nmi);   // acknowledged
    CHECK(m.s().nmi_blocked); // the exit leaves NMIs blocked in the host
}

TEST_CASE("nonroot events: virtual NMIs - NMI-window exit (8) once IRET unblocks",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kNmiExiting | Pin::kVirtualNmis, P::kNmiWindowExiting, 0);
    m.set(vf::GUEST_INTERRUPTIBILITY_INFO, 1u << 3); // virtual-NMI blocking
    m.finish_entry();
    REQUIRE(m.s().vmx.virtual_nmi_blocked);
    CHECK_FALSE(m.s().nmi_blocked);
    // An IRET frame that returns to kCode + 0x10.
    const uint64_t sp = CpuFixture::kStackTop - 40;
    m.poke_val<uint64_t>(sp, kCode + 0x10);
    m.poke_val<uint64_t>(sp + 8, CpuFixture::kCode64);
    m.poke_val<uint64_t>(sp + 16, rflags::kFixed1);
    m.poke_val<uint64_t>(sp + 24, CpuFixture::kStackTop);
    m.poke_val<uint64_t>(sp + 32, CpuFixture::kData32);
    m.reg(RSP) = sp;
    m.load({0x90, 0x48, 0xCF}); // nop; iretq
    m.poke(kCode + 0x10, {0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 8);
    CHECK(m.guest_rip() == kCode + 0x10);
    CHECK((m.get(vf::GUEST_INTERRUPTIBILITY_INFO) & (1u << 3)) == 0);
}

TEST_CASE("nonroot events: IRET faulting with virtual-NMI blocking sets NMI unblocking",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kNmiExiting | Pin::kVirtualNmis, 0, 0);
    m.set(vf::EXCEPTION_BITMAP, 1u << GP);
    m.set(vf::GUEST_INTERRUPTIBILITY_INFO, 1u << 3);
    m.finish_entry();
    const uint64_t sp = CpuFixture::kStackTop - 40;
    m.poke_val<uint64_t>(sp, kCode);
    m.poke_val<uint64_t>(sp + 8, 0); // null CS: #GP(0)
    m.reg(RSP) = sp;
    m.load({0x48, 0xCF});
    REQUIRE(m.run_to_exit());
    CHECK(m.intr_info() == (info(GP, 3, true) | (1u << 12)));
    CHECK((m.get(vf::GUEST_INTERRUPTIBILITY_INFO) & (1u << 3)) == 0);
}

TEST_CASE("nonroot events: the monitor trap flag exits after one instruction (37)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kMonitorTrapFlag, 0);
    m.load({0x90, 0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 37);
    CHECK(m.guest_rip() == kCode + 1);

    NonRootFixture h; // after HLT the guest is saved in the HLT state
    h.controls(0, P::kMonitorTrapFlag, 0);
    h.load({0xF4});
    REQUIRE(h.run_to_exit());
    CHECK(h.reason() == 37);
    CHECK(h.get(vf::GUEST_ACTIVITY_STATE) == 1);
    CHECK(h.guest_rip() == kCode + 1);

    NonRootFixture t; // MTF before the single-step trap, which becomes a pending #DB
    t.controls(0, P::kMonitorTrapFlag, 0);
    t.s().rflags |= rflags::TF;
    const uint64_t dr6 = t.s().dr[6];
    t.load({0x90});
    REQUIRE(t.run_to_exit());
    CHECK(t.reason() == 37);
    CHECK(t.get(vf::GUEST_PENDING_DBG_EXCEPTIONS) == (1u << 14));
    CHECK(t.s().dr[6] == dr6);

    NonRootFixture f; // after a fault is delivered: before the handler's first instruction
    f.controls(0, P::kMonitorTrapFlag, 0);
    f.load({0x0F, 0x0B});
    REQUIRE(f.run_to_exit());
    CHECK(f.reason() == 37);
    CHECK(f.guest_rip() == kStubs + 8 * UD);
}

TEST_CASE("nonroot events: a single-step #DB in the bitmap exits with BS, DR6 unchanged",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.set(vf::EXCEPTION_BITMAP, 1u << DB);
    m.s().rflags |= rflags::TF;
    const uint64_t dr6 = m.s().dr[6];
    m.load({0x90, 0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(DB, 3));
    CHECK(m.qualification() == (1u << 14));
    CHECK(m.guest_rip() == kCode + 1);
    CHECK(m.s().dr[6] == dr6);
}

TEST_CASE("nonroot events: the VMX-preemption timer exits when it reaches 0 (52)",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kActivatePreemptionTimer, 0, 0, ExitControls::kSavePreemptionTimer);
    m.set(vf::VMX_PREEMPTION_TIMER_VALUE, 5);
    m.finish_entry();
    m.load(std::vector<uint8_t>(64, 0x90));
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 52);
    CHECK(m.guest_rip() == kCode + 5); // five instructions at rate 0 (one tick per TSC tick)
    CHECK(m.get(vf::VMX_PREEMPTION_TIMER_VALUE) == 0);

    NonRootFixture s; // another exit first: the remaining value is saved
    s.controls(Pin::kActivatePreemptionTimer, 0, 0, ExitControls::kSavePreemptionTimer);
    s.set(vf::VMX_PREEMPTION_TIMER_VALUE, 100);
    s.finish_entry();
    s.load({0x90, 0x90, 0x0F, 0xA2});
    REQUIRE(s.run_to_exit());
    CHECK(s.reason() == 10);
    CHECK(s.get(vf::VMX_PREEMPTION_TIMER_VALUE) == 98);

    NonRootFixture z; // value 0: the exit comes before the first guest instruction
    z.controls(Pin::kActivatePreemptionTimer, 0, 0);
    z.set(vf::VMX_PREEMPTION_TIMER_VALUE, 0);
    z.finish_entry();
    z.load({0x90});
    REQUIRE(z.run_to_exit());
    CHECK(z.reason() == 52);
    CHECK(z.guest_rip() == kCode);
}

TEST_CASE("nonroot events: the preemption timer counts while the guest is halted",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(Pin::kActivatePreemptionTimer, 0, 0);
    m.set(vf::VMX_PREEMPTION_TIMER_VALUE, 500);
    m.finish_entry();
    m.load({0xF4});
    REQUIRE(m.run_to_exit(10'000));
    CHECK(m.reason() == 52);
    CHECK(m.get(vf::GUEST_ACTIVITY_STATE) == 1);
    CHECK(m.cpu.clock() >= 500);
    CHECK(m.cpu.clock() < 510);

    NonRootFixture b; // the budget ends before the deadline: the run stops at the budget
    b.controls(Pin::kActivatePreemptionTimer, 0, 0);
    b.set(vf::VMX_PREEMPTION_TIMER_VALUE, 500);
    b.finish_entry();
    b.load({0xF4});
    const RunResult r = b.run(100);
    CHECK(r.reason == StopReason::Budget);
    CHECK(b.s().vmx.non_root);
    CHECK(b.cpu.clock() == 100);
}

TEST_CASE("nonroot events: an INIT signal exits (3), even with RFLAGS.IF = 0", "[vmx][nonroot]") {
    NonRootFixture m;
    m.env.init = true;
    m.load({0x90});
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 3);
    CHECK(m.guest_rip() == kCode);
    CHECK_FALSE(m.env.init);
    CHECK((m.intr_info() & kValid) == 0);
}

TEST_CASE("nonroot events: MTF after one REP iteration and after a delivered interrupt",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, P::kMonitorTrapFlag, 0);
    m.load({0xF3, 0xA4}); // rep movsb
    m.reg(RSI) = CpuFixture::kData;
    m.reg(RDI) = CpuFixture::kData + 0x100;
    m.reg(RCX) = 10;
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 37);
    CHECK(m.guest_rip() == kCode); // the string instruction, to continue
    CHECK(m.reg(RCX) == 9);

    NonRootFixture i;
    i.controls(0, P::kMonitorTrapFlag, 0);
    i.s().rflags |= rflags::IF;
    i.env.pending_vector = 0x44;
    i.load({0x90});
    REQUIRE(i.run_to_exit());
    CHECK(i.reason() == 37);
    CHECK(i.guest_rip() == kStubs + 8 * 0x44); // before the handler's first instruction
}
