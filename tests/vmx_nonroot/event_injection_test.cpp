// The event side of VM entry (finish_vm_entry_events): event injection of each interruption
// type, exits during injected delivery with IDT-vectoring information, activity and
// interruptibility state, pending debug exceptions and the MTF after injection. Intel SDM,
// Dec 2023, Vol. 3C, "Event Injection", "Special Features of VM Entry".
#include "nonroot_fixture.hpp"

#include "cpu/vmx/controls.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx;

namespace {
constexpr uint64_t kCode = CpuFixture::kCode;
constexpr uint64_t kStubs = CpuFixture::kStubs;
constexpr uint32_t kValid = 1u << 31;

uint32_t info(uint8_t vector, unsigned type, bool error = false) {
    return kValid | (error ? 1u << 11 : 0) | (type << 8) | vector;
}
} // namespace

TEST_CASE("injection: an external interrupt is delivered through the guest IDT", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(0x30, 0));
    m.finish_entry();
    CHECK(m.s().vmx.non_root);
    CHECK(m.rip() == kStubs + 8 * 0x30);
    CHECK(m.pushed_rip(false) == kCode);
    CHECK(m.env.acknowledged.empty()); // injection is not an INTA cycle
}

TEST_CASE("injection: a hardware exception with its error code", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(GP, 3, true));
    m.set(vf::VM_ENTRY_EXCEPTION_ERROR_CODE, 0x1234);
    m.set(vf::EXCEPTION_BITMAP, 1u << GP); // an injected event never exits directly
    m.finish_entry();
    CHECK(m.s().vmx.non_root);
    CHECK(m.rip() == kStubs + 8 * GP);
    CHECK(m.pushed_error_code() == 0x1234);
    CHECK(m.pushed_rip(true) == kCode);
}

TEST_CASE("injection: software interrupts push RIP plus the VM-entry instruction length",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0xCD, 0x80});
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(0x80, 4));
    m.set(vf::VM_ENTRY_INSTRUCTION_LEN, 2);
    m.finish_entry();
    CHECK(m.rip() == kStubs + 8 * 0x80);
    CHECK(m.pushed_rip(false) == kCode + 2);

    NonRootFixture b; // a software exception (#BP) likewise
    b.load({0xCC});
    b.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(BP, 6));
    b.set(vf::VM_ENTRY_INSTRUCTION_LEN, 1);
    b.finish_entry();
    CHECK(b.rip() == kStubs + 8 * BP);
    CHECK(b.pushed_rip(false) == kCode + 1);
}

TEST_CASE("injection: an exit during injected delivery reports the injected event",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    const uint64_t gate = CpuFixture::kIdt + 16 * 0x40;
    m.poke_val<uint64_t>(gate, m.peek_val<uint64_t>(gate) & ~(uint64_t{0x80} << 40));
    m.set(vf::EXCEPTION_BITMAP, 1u << NP);
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(0x40, 0));
    m.finish_entry();
    REQUIRE(m.exited());
    CHECK(m.reason() == 0);
    CHECK(m.intr_info() == info(NP, 3, true));
    CHECK(m.idt_vectoring() == info(0x40, 0));
    CHECK(m.guest_rip() == kCode);
    // The exit clears the valid bit of the VM-entry interruption-information field.
    CHECK((m.get(vf::VM_ENTRY_INTR_INFO_FIELD) & kValid) == 0);
}

TEST_CASE("injection: an injected NMI with virtual NMIs sets virtual-NMI blocking",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(PinBased::kNmiExiting | PinBased::kVirtualNmis, 0, 0);
    m.load({0x90});
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(NMI, 2));
    m.finish_entry();
    CHECK(m.rip() == kStubs + 8 * NMI);
    CHECK(m.s().vmx.virtual_nmi_blocked);
    CHECK_FALSE(m.s().nmi_blocked);
}

TEST_CASE("injection: MTF exit before the handler's first instruction", "[vmx][nonroot]") {
    NonRootFixture m;
    m.controls(0, ProcBased::kMonitorTrapFlag, 0);
    m.load({0x90});
    m.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(0x30, 0));
    m.finish_entry();
    REQUIRE(m.run_to_exit());
    CHECK(m.reason() == 37);
    CHECK(m.guest_rip() == kStubs + 8 * 0x30);

    NonRootFixture p; // type 7 vector 0: a pending MTF VM exit
    p.load({0x90});
    p.set(vf::VM_ENTRY_INTR_INFO_FIELD, info(0, 7));
    p.finish_entry();
    REQUIRE(p.run_to_exit());
    CHECK(p.reason() == 37);
    CHECK(p.guest_rip() == kCode);
}

TEST_CASE("entry: HLT activity state halts the guest until an interrupt", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    m.set(vf::GUEST_ACTIVITY_STATE, 1);
    m.finish_entry();
    CHECK(m.run(10).reason == StopReason::Halted);
    CHECK(m.s().vmx.non_root);
    m.s().rflags |= rflags::IF;
    m.env.pending_vector = 0x33;
    m.run(1); // wakes, delivers, and runs the handler's HLT
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x33});
    CHECK(m.delivered_vector() == 0x33);
    CHECK(m.s().vmx.non_root);
}

TEST_CASE("entry: interruptibility state - blocking by STI holds an interrupt one instruction",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.s().rflags |= rflags::IF;
    m.set(vf::GUEST_INTERRUPTIBILITY_INFO, 1); // blocking by STI
    m.finish_entry();
    CHECK(m.s().sti_shadow);
    m.env.pending_vector = 0x33;
    m.load({0x90, 0x90});
    m.run(1);
    CHECK(m.rip() == kCode + 1); // the NOP ran first
    m.run(1);
    CHECK(m.env.acknowledged == std::vector<uint8_t>{0x33});
}

TEST_CASE("entry: pending debug exceptions are delivered as #DB or exit", "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    m.set(vf::GUEST_PENDING_DBG_EXCEPTIONS, 1u << 14);
    m.finish_entry();
    CHECK(m.rip() == kStubs + 8 * DB);
    CHECK((m.s().dr[6] & (1u << 14)) != 0);

    NonRootFixture e;
    e.load({0x90});
    e.set(vf::EXCEPTION_BITMAP, 1u << DB);
    e.set(vf::GUEST_PENDING_DBG_EXCEPTIONS, 1u << 14 | 1u << 1);
    e.finish_entry();
    REQUIRE(e.exited());
    CHECK(e.intr_info() == info(DB, 3));
    CHECK(e.qualification() == (1u << 14 | 1u << 1));
}

TEST_CASE("entry: pending debug exceptions need BS or the enabled-breakpoint bit",
          "[vmx][nonroot]") {
    NonRootFixture m;
    m.load({0x90});
    m.set(vf::EXCEPTION_BITMAP, 1u << DB);
    m.set(vf::GUEST_PENDING_DBG_EXCEPTIONS, 0x2); // B1 alone: not valid, nothing delivered
    m.finish_entry();
    CHECK(m.s().vmx.non_root);
    CHECK(m.rip() == kCode);

    NonRootFixture e;
    e.load({0x90});
    e.set(vf::EXCEPTION_BITMAP, 1u << DB);
    e.set(vf::GUEST_PENDING_DBG_EXCEPTIONS, 0x1002); // B1 + enabled breakpoint
    e.finish_entry();
    REQUIRE(e.exited());
    CHECK(e.qualification() == 0x2);
}

TEST_CASE("entry: VM entry clears address-range monitoring", "[vmx][nonroot]") {
    NonRootFixture m;
    m.s().monitor_armed = true;
    m.finish_entry();
    CHECK_FALSE(m.s().monitor_armed);
}
