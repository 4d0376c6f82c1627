// The non-root side reached through a real VMLAUNCH/VMRESUME (vmxcore's VM entry and exit):
// the MTF exit after the first guest instruction, the preemption timer armed by the entry,
// injection at entry, and a CPUID exit round trip. Intel SDM, Dec 2023, Vol. 3C, "Monitor Trap
// Flag", "VMX-Preemption Timer", "Event Injection".
#include "tests/vmx_insn/vmx_fixture.hpp"

#include "cpu/vmx/controls.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx;
using namespace hvlab::cpu::vmx::vmcs;

namespace {

void or_field(VmxFixture& f, uint32_t enc, uint64_t bits) {
    f.set_field(enc, f.field(enc) | bits);
}

} // namespace

TEST_CASE("through entry: MTF exits after the first guest instruction, not at VMLAUNCH",
          "[vmx][nonroot]") {
    VmxFixture f;
    f.prepare_launch();
    or_field(f, CPU_BASED_VM_EXEC_CONTROL, ProcBased::kMonitorTrapFlag);
    f.guest_code({0x90, 0x90, 0x90});
    f.s().rflags |= rflags::TF; // the VMLAUNCH's own single-step trap is not taken in the guest
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.rip() == VmxFixture::kGuestRip);
    f.run(1);
    REQUIRE_FALSE(f.s().vmx.non_root);
    CHECK(f.field(VM_EXIT_REASON) == 37);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip + 1);
    // VMRESUME: again one instruction.
    f.s().rflags &= ~rflags::TF;
    f.exec(op::vmresume);
    REQUIRE(f.s().vmx.non_root);
    f.run(1);
    CHECK(f.field(VM_EXIT_REASON) == 37);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip + 2);
}

TEST_CASE("through entry: the preemption timer armed by VMLAUNCH", "[vmx][nonroot]") {
    VmxFixture f;
    f.prepare_launch();
    or_field(f, PIN_BASED_VM_EXEC_CONTROL, PinBased::kActivatePreemptionTimer);
    f.set_field(VMX_PREEMPTION_TIMER_VALUE, 10);
    f.guest_code(std::vector<uint8_t>(64, 0x90));
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    f.run(100);
    REQUIRE_FALSE(f.s().vmx.non_root);
    CHECK(f.field(VM_EXIT_REASON) == 52);
    const uint64_t ran = f.field(GUEST_RIP) - VmxFixture::kGuestRip;
    CHECK(ran >= 9);
    CHECK(ran <= 10);
}

TEST_CASE("through entry: an injected exception reaches the guest IDT, CPUID exits",
          "[vmx][nonroot]") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(VM_ENTRY_INTR_INFO_FIELD, (1u << 31) | (3u << 8) | UD);
    f.guest_code({0x0F, 0xA2});
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    // Delivered at entry: the guest starts at the #UD handler, the frame holds kGuestRip.
    CHECK(f.rip() == CpuFixture::kStubs + 8 * UD);
    CHECK(f.pushed_rip(false) == VmxFixture::kGuestRip);

    VmxFixture c;
    c.prepare_launch();
    c.guest_code({0x90, 0x0F, 0xA2});
    c.exec(op::vmlaunch);
    c.run(5);
    REQUIRE_FALSE(c.s().vmx.non_root);
    CHECK(c.field(VM_EXIT_REASON) == 10);
    CHECK(c.field(GUEST_RIP) == VmxFixture::kGuestRip + 1);
    CHECK(c.field(VM_EXIT_INSTRUCTION_LEN) == 2);
}
