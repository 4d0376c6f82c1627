// The VMX instructions' faults, VMfailInvalid / VMfailValid(n) and RFLAGS conventions
// (Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction Reference").
#include "tests/vmx_insn/vmx_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx::vmcs;

TEST_CASE("VMXON: #UD without CR4.VMXE, in compatibility mode, and for the register form") {
    VmxFixture f;
    SECTION("CR4.VMXE = 0") {
        f.s().cr4 &= ~cr4::VMXE;
        f.reg(RAX) = VmxFixture::kOperand;
        f.poke_val<uint64_t>(VmxFixture::kOperand, VmxFixture::kVmxon);
        CHECK(f.exec(op::vmxon_rax) == UD);
        CHECK_FALSE(f.s().vmx.operation);
    }
    SECTION("compatibility mode") {
        f.s().seg[CS] = Segment{CpuFixture::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
        f.cpu.invalidate_caches();
        f.reg(RAX) = VmxFixture::kOperand;
        f.poke_val<uint64_t>(VmxFixture::kOperand, VmxFixture::kVmxon);
        CHECK(f.exec(op::vmxon_rax) == UD);
    }
    SECTION("register operand (F3 0F C7 /6 with mod = 3)") {
        CHECK(f.exec({0xF3, 0x0F, 0xC7, 0xF0}) == UD);
    }
}

TEST_CASE(
    "VMXON: #GP(0) for CPL 3, IA32_FEATURE_CONTROL unlocked or VMX disabled, CR0 fixed bits") {
    VmxFixture f;
    f.reg(RAX) = VmxFixture::kOperand;
    f.poke_val<uint64_t>(VmxFixture::kOperand, VmxFixture::kVmxon);
    SECTION("feature control not locked") {
        f.s().msr.feature_control = 0x4;
        CHECK(f.exec(op::vmxon_rax) == GP);
    }
    SECTION("VMX outside SMX disabled") {
        f.s().msr.feature_control = 0x1;
        CHECK(f.exec(op::vmxon_rax) == GP);
    }
    SECTION("CR0.NE = 0 (IA32_VMX_CR0_FIXED0)") {
        f.s().cr0 &= ~cr0::NE;
        CHECK(f.exec(op::vmxon_rax) == GP);
    }
    SECTION("CPL 3") {
        f.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFF'FFFF, 0xA0FB};
        f.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFF'FFFF, 0xC0F3};
        f.cpu.invalidate_caches();
        CHECK(f.exec(op::vmxon_rax) == GP);
    }
    CHECK_FALSE(f.s().vmx.operation);
}

TEST_CASE("VMXON: VMfailInvalid for a misaligned, too wide or wrong-revision pointer") {
    VmxFixture f;
    SECTION("not 4 KiB aligned") {
        f.vmxon(VmxFixture::kVmxon + 8);
    }
    SECTION("beyond MAXPHYADDR (39)") {
        f.vmxon(uint64_t{1} << 39);
    }
    SECTION("wrong revision identifier") {
        f.poke_val<uint32_t>(VmxFixture::kVmxon, 0x1234);
        f.vmxon();
    }
    SECTION("shadow-VMCS indicator set") {
        f.poke_val<uint32_t>(VmxFixture::kVmxon,
                             vmx::hvlab_vmx_capabilities().basic.revision_id | (1u << 31));
        f.vmxon();
    }
    CHECK(f.vm_fail_invalid());
    CHECK_FALSE(f.s().vmx.operation);
}

TEST_CASE("VMXON succeeds (clears CF PF AF ZF SF OF), again in VMX root: VMfail(15)") {
    VmxFixture f;
    f.dirty_flags();
    f.vmxon();
    CHECK(f.vm_succeeded());
    CHECK(f.s().vmx.operation);
    CHECK(f.s().vmx.current_vmcs == vmx::kInvalidVmcsPointer);
    f.vmxon();
    CHECK(f.vm_fail_invalid()); // no current VMCS
    f.vmptrld();
    f.vmxon();
    CHECK(f.vm_fail_valid() == 15u);
}

TEST_CASE("VMX instructions outside VMX operation are #UD") {
    for (const auto* code :
         {&op::vmclear_rax, &op::vmptrld_rax, &op::vmptrst_rax, &op::vmread_rax_rbx,
          &op::vmwrite_rbx_rax, &op::vmlaunch, &op::vmresume, &op::vmxoff, &op::vmcall,
          &op::invept_rcx_rax, &op::invvpid_rcx_rax}) {
        VmxFixture g;
        g.reg(RAX) = VmxFixture::kOperand;
        CHECK(g.exec(*code) == UD);
    }
}

TEST_CASE("VMX instructions at CPL 3 in VMX root operation are #GP(0)") {
    for (const auto* code :
         {&op::vmclear_rax, &op::vmptrld_rax, &op::vmptrst_rax, &op::vmread_rax_rbx,
          &op::vmwrite_rbx_rax, &op::vmlaunch, &op::vmresume, &op::vmxoff, &op::vmcall,
          &op::invept_rcx_rax, &op::invvpid_rcx_rax, &op::vmxon_rax}) {
        VmxFixture f;
        f.vmxon();
        f.s().seg[CS] = Segment{CpuFixture::kUserCode64, 0, 0xFFFF'FFFF, 0xA0FB};
        f.s().seg[SS] = Segment{CpuFixture::kUserData, 0, 0xFFFF'FFFF, 0xC0F3};
        f.cpu.invalidate_caches();
        f.reg(RAX) = VmxFixture::kOperand;
        CHECK(f.exec(*code) == GP);
    }
}

TEST_CASE("VMCLEAR: errors 2 and 3, VMfailInvalid without a current VMCS") {
    VmxFixture f;
    f.vmxon();
    f.vmclear(VmxFixture::kVmcs + 0x10);
    CHECK(f.vm_fail_invalid()); // VMfail(2) with no current VMCS
    f.vmptrld();
    f.vmclear(VmxFixture::kVmcs + 0x10);
    CHECK(f.vm_fail_valid() == 2u);
    f.vmclear(uint64_t{1} << 40);
    CHECK(f.vm_fail_valid() == 2u);
    f.vmclear(VmxFixture::kVmxon);
    CHECK(f.vm_fail_valid() == 3u);
    f.dirty_flags();
    f.vmclear(VmxFixture::kVmcs2);
    CHECK(f.vm_succeeded());
    CHECK(f.s().vmx.current_vmcs == VmxFixture::kVmcs); // another VMCS stays current
}

TEST_CASE("VMPTRLD: errors 9, 10, 11, and VMPTRST stores the current-VMCS pointer") {
    VmxFixture f;
    f.vmxon();
    f.reg(RAX) = VmxFixture::kOperand;
    f.exec(op::vmptrst_rax);
    CHECK(f.vm_succeeded());
    CHECK(f.peek_val<uint64_t>(VmxFixture::kOperand) == ~uint64_t{0});
    f.vmptrld(VmxFixture::kVmcs + 0x800);
    CHECK(f.vm_fail_invalid());
    f.vmptrld();
    CHECK(f.vm_succeeded());
    f.vmptrld(VmxFixture::kVmcs + 0x800);
    CHECK(f.vm_fail_valid() == 9u);
    f.vmptrld(VmxFixture::kVmxon);
    CHECK(f.vm_fail_valid() == 10u);
    f.poke_val<uint32_t>(VmxFixture::kVmcs2, 0x77);
    f.vmptrld(VmxFixture::kVmcs2);
    CHECK(f.vm_fail_valid() == 11u);
    CHECK(f.s().vmx.current_vmcs == VmxFixture::kVmcs);
    f.reg(RAX) = VmxFixture::kOperand;
    f.exec(op::vmptrst_rax);
    CHECK(f.peek_val<uint64_t>(VmxFixture::kOperand) == VmxFixture::kVmcs);
}

TEST_CASE(
    "VMREAD/VMWRITE: VMfailInvalid, error 12 (unsupported, bits 63:32), error 13 (read-only)") {
    VmxFixture f;
    f.vmxon();
    f.vmread(GUEST_RIP);
    CHECK(f.vm_fail_invalid());
    f.vmwrite(GUEST_RIP, 1);
    CHECK(f.vm_fail_invalid());
    f.vmptrld();
    f.vmread(0x2012); // virtual-APIC address: not supported by hvlab
    CHECK(f.vm_fail_valid() == 12u);
    f.vmwrite(0x0002, 1); // posted-interrupt notification vector
    CHECK(f.vm_fail_valid() == 12u);
    f.reg(RBX) = (uint64_t{1} << 32) | GUEST_RIP;
    f.exec(op::vmread_rax_rbx);
    CHECK(f.vm_fail_valid() == 12u);
    f.vmwrite(VM_EXIT_REASON, 5);
    CHECK(f.vm_fail_valid() == 13u);
    f.vmwrite(GUEST_RIP + 1, 5); // "high" access of a natural-width field: not a field
    CHECK(f.vm_fail_valid() == 12u);
}

TEST_CASE("VMREAD/VMWRITE: round trip, width truncation, high access, memory operands") {
    VmxFixture f;
    f.vmxon();
    f.vmptrld();
    f.dirty_flags();
    f.vmwrite(GUEST_RIP, 0x1122'3344'5566'7788);
    CHECK(f.vm_succeeded());
    CHECK(f.vmread(GUEST_RIP) == 0x1122'3344'5566'7788);
    f.vmwrite(GUEST_CS_SELECTOR, 0x12345); // 16-bit field
    CHECK(f.vmread(GUEST_CS_SELECTOR) == 0x2345);
    f.vmwrite(TSC_OFFSET, 0xAAAA'BBBB'CCCC'DDDD);
    CHECK(f.vmread(TSC_OFFSET + 1) == 0xAAAA'BBBB); // high access: bits 63:32
    f.vmwrite(TSC_OFFSET + 1, 0x1234);
    CHECK(f.field(TSC_OFFSET) == 0x0000'1234'CCCC'DDDD);
    // VMREAD to memory, VMWRITE from memory.
    f.reg(RAX) = VmxFixture::kOperand + 0x100;
    f.reg(RBX) = GUEST_RIP;
    f.exec(op::vmread_mrax_rbx);
    CHECK(f.peek_val<uint64_t>(VmxFixture::kOperand + 0x100) == 0x1122'3344'5566'7788);
    f.poke_val<uint64_t>(VmxFixture::kOperand + 0x200, 0xFEED);
    f.reg(RAX) = VmxFixture::kOperand + 0x200;
    f.reg(RBX) = GUEST_RSP;
    f.exec(op::vmwrite_rbx_mrax);
    CHECK(f.field(GUEST_RSP) == 0xFEED);
}

TEST_CASE("VMREAD to an unmapped memory operand faults and leaves the flags") {
    VmxFixture f;
    f.vmxon();
    f.vmptrld();
    f.dirty_flags();
    f.reg(RAX) = 0x8000'0000'0000; // non-canonical
    f.reg(RBX) = GUEST_RIP;
    CHECK(f.exec(op::vmread_mrax_rbx) == GP);
}

TEST_CASE("The current VMCS is cached: VMWRITEs reach memory only at VMCLEAR") {
    VmxFixture f;
    f.vmxon();
    f.vmclear();
    f.vmptrld();
    f.vmwrite(GUEST_RSP, 0xCAFE);
    auto in_memory = [&](uint32_t enc) {
        const size_t off = vmx::kRegionFieldsOffset + 8 * *vmx::dense_index(enc);
        return f.peek_val<uint64_t>(VmxFixture::kVmcs + off);
    };
    CHECK(in_memory(GUEST_RSP) == 0); // a copy of the region now would be stale
    f.vmclear();
    CHECK(f.vm_succeeded());
    CHECK(in_memory(GUEST_RSP) == 0xCAFE);
    CHECK(f.s().vmx.current_vmcs == vmx::kInvalidVmcsPointer);
    CHECK(f.peek_val<uint32_t>(VmxFixture::kVmcs) ==
          vmx::hvlab_vmx_capabilities().basic.revision_id);
    // VMPTRLD loads it back.
    f.vmptrld();
    CHECK(f.vmread(GUEST_RSP) == 0xCAFE);
}

TEST_CASE("VMPTRLD of another VMCS keeps the first one's data (written back)") {
    VmxFixture f;
    f.vmxon();
    f.vmclear();
    f.vmclear(VmxFixture::kVmcs2);
    f.vmptrld();
    f.vmwrite(GUEST_RIP, 0x1111);
    f.vmptrld(VmxFixture::kVmcs2);
    CHECK(f.vmread(GUEST_RIP) == 0);
    f.vmwrite(GUEST_RIP, 0x2222);
    f.vmptrld();
    CHECK(f.vmread(GUEST_RIP) == 0x1111);
}

TEST_CASE("VMLAUNCH/VMRESUME: VMfailInvalid, errors 4, 5 and 26") {
    VmxFixture f;
    f.vmxon();
    f.exec(op::vmlaunch);
    CHECK(f.vm_fail_invalid());
    f.vmclear();
    f.vmptrld();
    f.exec(op::vmresume);
    CHECK(f.vm_fail_valid() == 5u);
    f.s().vmx.vmcs.launch_state = vmx::LaunchState::Launched;
    f.exec(op::vmlaunch);
    CHECK(f.vm_fail_valid() == 4u);
    // MOV SS, AX then VMRESUME: events blocked by MOV SS.
    f.reg(RAX) = CpuFixture::kData32;
    std::vector<uint8_t> code = {0x8E, 0xD0};
    code.insert(code.end(), op::vmresume.begin(), op::vmresume.end());
    f.load(code);
    f.run(2);
    CHECK(f.vm_fail_valid() == 26u);
}

TEST_CASE("VMCALL in VMX root operation: VMfail(1), outside VMX operation #UD") {
    VmxFixture f;
    CHECK(f.exec(op::vmcall) == UD);
    f.vmxon();
    f.exec(op::vmcall);
    CHECK(f.vm_fail_invalid());
    f.vmptrld();
    f.exec(op::vmcall);
    CHECK(f.vm_fail_valid() == 1u);
}

TEST_CASE("VMXOFF leaves VMX operation, then CR4.VMXE can be cleared") {
    VmxFixture f;
    f.vmxon();
    f.reg(RAX) = f.s().cr4 & ~cr4::VMXE;
    CHECK(f.exec({0x0F, 0x22, 0xE0}) == GP); // MOV CR4, RAX: VMXE is fixed to 1
    f.dirty_flags();
    f.exec(op::vmxoff);
    CHECK(f.vm_succeeded());
    CHECK_FALSE(f.s().vmx.operation);
    f.reg(RAX) = f.s().cr4 & ~cr4::VMXE;
    CHECK(f.exec({0x0F, 0x22, 0xE0}) == -1);
    CHECK_FALSE(f.s().cr4 & cr4::VMXE);
    CHECK(f.exec(op::vmxoff) == UD);
}

TEST_CASE("MOV CR0 clearing CR0.NE in VMX operation is #GP(0)") {
    VmxFixture f;
    f.vmxon();
    f.reg(RAX) = f.s().cr0 & ~cr0::NE;
    CHECK(f.exec({0x0F, 0x22, 0xC0}) == GP);
}

TEST_CASE("INVEPT/INVVPID: unsupported types and bad descriptors are VMfail(28)") {
    VmxFixture f;
    f.vmxon();
    f.vmptrld();
    auto invvpid = [&](uint64_t type, uint64_t lo, uint64_t hi) {
        f.reg(RCX) = type;
        f.reg(RAX) = VmxFixture::kOperand;
        f.poke_val<uint64_t>(VmxFixture::kOperand, lo);
        f.poke_val<uint64_t>(VmxFixture::kOperand + 8, hi);
        f.dirty_flags();
        f.exec(op::invvpid_rcx_rax);
    };
    auto invept = [&](uint64_t type, uint64_t eptp) {
        f.reg(RCX) = type;
        f.reg(RAX) = VmxFixture::kOperand;
        f.poke_val<uint64_t>(VmxFixture::kOperand, eptp);
        f.poke_val<uint64_t>(VmxFixture::kOperand + 8, 0);
        f.dirty_flags();
        f.exec(op::invept_rcx_rax);
    };
    invept(0, 0);
    CHECK(f.vm_fail_valid() == 28u);
    invept(3, 0);
    CHECK(f.vm_fail_valid() == 28u);
    invept(1, 0x500000 | 0x1E); // walk length 4, WB
    CHECK(f.vm_succeeded());
    invept(1, 0x500000 | 0x1D); // memory type 5 is not supported
    CHECK(f.vm_fail_valid() == 28u);
    invept(2, 0);
    CHECK(f.vm_succeeded());
    invvpid(4, 1, 0);
    CHECK(f.vm_fail_valid() == 28u);
    invvpid(1, 0, 0); // VPID 0
    CHECK(f.vm_fail_valid() == 28u);
    invvpid(1, 1u << 16, 0); // descriptor bits 63:16
    CHECK(f.vm_fail_valid() == 28u);
    invvpid(0, 1, 0x8000'0000'0000); // non-canonical address
    CHECK(f.vm_fail_valid() == 28u);
    invvpid(0, 1, 0x1000);
    CHECK(f.vm_succeeded());
    invvpid(2, 0, 0);
    CHECK(f.vm_succeeded());
    invvpid(3, 5, 0);
    CHECK(f.vm_succeeded());
    // Without a current VMCS, VMfail(28) is VMfailInvalid.
    f.vmclear();
    invvpid(1, 0, 0);
    CHECK(f.vm_fail_invalid());
}

TEST_CASE("Capability reporting: CPUID.1:ECX.VMX, RDMSR 480H-490H, 491H and writes are #GP(0)") {
    VmxFixture f;
    f.reg(RAX) = 1;
    f.reg(RCX) = 0;
    f.exec({0x0F, 0xA2}); // CPUID
    CHECK((f.reg(RCX) >> 5) & 1);
    for (uint32_t index = 0x480; index <= 0x490; ++index) {
        f.reg(RCX) = index;
        REQUIRE(f.exec({0x0F, 0x32}) == -1); // RDMSR
        const uint64_t v = (f.reg(RDX) << 32) | (f.reg(RAX) & 0xFFFF'FFFF);
        CHECK(v == vmx::read_capability_msr(index));
    }
    f.reg(RCX) = 0x491; // IA32_VMX_VMFUNC: VM functions are not supported
    CHECK(f.exec({0x0F, 0x32}) == GP);
    f.reg(RCX) = 0x480;
    CHECK(f.exec({0x0F, 0x30}) == GP); // WRMSR to a capability MSR
    f.reg(RCX) = 0x485;
    f.exec({0x0F, 0x32});
    CHECK((f.reg(RAX) >> 5) & 1); // IA32_VMX_MISC[5]: exits store EFER.LMA
}
