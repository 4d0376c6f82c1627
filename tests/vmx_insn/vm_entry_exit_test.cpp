// VM entry (guest-state load, the check table's architected failures and diagnostics, the
// MSR-load list) and VM exit (exit information, guest-state save, host-state load).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VM Entries" and "VM Exits".
#include "tests/vmx_insn/vmx_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::cpu::test;
using namespace hvlab::cpu::vmx::vmcs;
using Catch::Matchers::Contains;

namespace {

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

} // namespace

TEST_CASE("VMLAUNCH -> guest VMCALL -> VM exit 18 -> VMRESUME -> second exit") {
    VmxFixture f;
    f.prepare_launch();
    f.guest_code(concat({op::vmcall, op::vmcall}));
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.rip() == VmxFixture::kGuestRip);
    CHECK(f.reg(RSP) == VmxFixture::kGuestRsp);
    CHECK(f.s().vmx.vmcs.launch_state == vmx::LaunchState::Launched);
    CHECK(f.env.vm_entry_rips == std::vector<uint64_t>{VmxFixture::kGuestRip});

    // The exit counts as one step of virtual time and of the run budget.
    const uint64_t clock = f.cpu.clock();
    const RunResult r = f.run(1);
    CHECK(r.retired == 1);
    CHECK(f.cpu.clock() == clock + 1);
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.rip() == VmxFixture::kHostRip);
    CHECK(f.reg(RSP) == VmxFixture::kHostRsp);
    CHECK(f.s().rflags == rflags::kFixed1);
    CHECK(f.field(VM_EXIT_REASON) == 18);
    CHECK(f.field(EXIT_QUALIFICATION) == 0);
    CHECK(f.field(VM_EXIT_INSTRUCTION_LEN) == 3);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip);
    CHECK((f.field(VM_EXIT_INTR_INFO) >> 31) == 0);
    CHECK((f.field(IDT_VECTORING_INFO_FIELD) >> 31) == 0);
    REQUIRE(f.env.vm_exits.size() == 1);
    CHECK(f.env.vm_exits[0].reason == 18);
    CHECK(f.env.vm_exit_rips[0] == VmxFixture::kGuestRip);

    // The host advances the guest RIP past VMCALL and resumes.
    f.vmwrite(GUEST_RIP, VmxFixture::kGuestRip + 3);
    f.exec(op::vmresume);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.rip() == VmxFixture::kGuestRip + 3);
    f.run(1);
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip + 3);
    CHECK(f.env.vm_exits.size() == 2);
}

TEST_CASE("VM exit loads the host segment, descriptor-table and control registers") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(HOST_FS_BASE, 0x7000'0000);
    f.set_field(HOST_GS_SELECTOR, 0); // unusable after the exit
    f.guest_code(op::vmcall);
    f.exec(op::vmlaunch);
    // The guest changes state the exit must replace.
    f.s().dr[7] = 0x4FF;
    f.s().gdtr.limit = 0x17;
    f.run(1);
    const CpuState& s = f.s();
    CHECK(s.seg[CS].selector == CpuFixture::kCode64);
    CHECK(s.seg[CS].attr == 0xA09B); // type 11, S, P, L, G
    CHECK(s.seg[CS].limit == 0xFFFF'FFFF);
    CHECK(s.seg[SS].attr == 0xC093);
    CHECK(s.seg[FS].base == 0x7000'0000);
    CHECK(s.seg[GS].unusable());
    CHECK(s.tr.selector == VmxFixture::kTssSel);
    CHECK(s.tr.limit == 0x67);
    CHECK(s.tr.attr == 0x8B);
    CHECK(s.ldtr.unusable());
    CHECK(s.ldtr.selector == 0);
    CHECK(s.gdtr.limit == 0xFFFF);
    CHECK(s.idtr.limit == 0xFFFF);
    CHECK(s.dr[7] == 0x400);
    CHECK((s.efer & (efer::LMA | efer::LME)) == (efer::LMA | efer::LME));
}

TEST_CASE("VM exit saves the guest state the guest changed") {
    VmxFixture f;
    f.prepare_launch();
    // PUSH RAX; STI; VMCALL: RSP moves, IF set, and VMCALL runs in the STI shadow.
    f.guest_code(concat({{0x50, 0xFB}, op::vmcall}));
    f.exec(op::vmlaunch);
    f.run(3);
    REQUIRE_FALSE(f.s().vmx.non_root);
    CHECK(f.field(GUEST_RSP) == VmxFixture::kGuestRsp - 8);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip + 2);
    CHECK((f.field(GUEST_RFLAGS) & rflags::IF) != 0);
    CHECK(f.field(GUEST_INTERRUPTIBILITY_INFO) == vmx::interruptibility::kBlockingBySti);
    CHECK(f.field(GUEST_ACTIVITY_STATE) == 0);
    CHECK(f.field(GUEST_CS_AR_BYTES) == 0xA09B);
    CHECK(f.field(GUEST_CS_SELECTOR) == CpuFixture::kCode64);
    CHECK(f.field(GUEST_LDTR_AR_BYTES) == kSegUnusable);
    CHECK(f.field(GUEST_TR_AR_BYTES) == 0x8B);
    CHECK(f.field(GUEST_CR3) == CpuFixture::kPml4);
    CHECK((f.field(VM_ENTRY_CONTROLS) & vmx::EntryControls::kIa32eModeGuest) != 0);
    // Host after the exit: no STI shadow, IF clear (RFLAGS = 2).
    CHECK_FALSE(f.s().sti_shadow);
}

TEST_CASE(
    "Guest state loaded by VM entry: segments, RFLAGS, blocking by STI covers one instruction") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(GUEST_FS_BASE, 0x1234'5000);
    f.set_field(GUEST_RFLAGS, rflags::kFixed1 | rflags::IF | rflags::CF);
    f.set_field(GUEST_INTERRUPTIBILITY_INFO, vmx::interruptibility::kBlockingBySti);
    f.guest_code(concat({{0x90}, op::vmcall}));
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.s().seg[FS].base == 0x1234'5000);
    CHECK((f.s().rflags & rflags::CF) != 0);
    CHECK(f.s().sti_shadow); // still blocking for the guest's first instruction
    f.run(1);                // NOP
    CHECK_FALSE(f.s().sti_shadow);
    f.run(1);
    CHECK(f.field(GUEST_INTERRUPTIBILITY_INFO) == 0);
}

TEST_CASE("VMX instructions in VMX non-root operation exit with qualification and instruction "
          "information") {
    VmxFixture f;
    f.prepare_launch();
    SECTION("VMPTRST [rax+0x10]: exit 22") {
        f.guest_code(op::vmptrst_rax_disp8);
        f.exec(op::vmlaunch);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 22);
        CHECK(f.field(EXIT_QUALIFICATION) == 0x10); // the displacement
        CHECK(f.field(VM_EXIT_INSTRUCTION_LEN) == 4);
        // address size 64 (2 << 7), segment DS (3 << 15), index invalid (bit 22), base RAX
        CHECK(f.field(VMX_INSTRUCTION_INFO) == ((2u << 7) | (3u << 15) | (1u << 22)));
    }
    SECTION("VMREAD rax, rbx: exit 23, register operand") {
        f.guest_code(op::vmread_rax_rbx);
        f.exec(op::vmlaunch);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 23);
        CHECK(f.field(EXIT_QUALIFICATION) == 0);
        // reg1 = RAX (bits 6:3), register operand (bit 10), reg2 = RBX (bits 31:28)
        CHECK((f.field(VMX_INSTRUCTION_INFO) & 0xF0000478u) == ((1u << 10) | (3u << 28)));
    }
    SECTION("VMLAUNCH: exit 20; VMXOFF: exit 26; VMXON: exit 27 even at CPL 0 of the guest") {
        f.guest_code(op::vmlaunch);
        f.exec(op::vmlaunch);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 20);
        f.guest_code(op::vmxoff);
        f.exec(op::vmresume);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 26);
        f.guest_code(op::vmxon_rax);
        f.exec(op::vmresume);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 27);
    }
    SECTION("INVEPT: exit 50 with the type register in bits 31:28") {
        f.guest_code(op::invept_rcx_rax);
        f.exec(op::vmlaunch);
        f.run(1);
        CHECK(f.field(VM_EXIT_REASON) == 50);
        CHECK((f.field(VMX_INSTRUCTION_INFO) >> 28) == RCX);
    }
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.rip() == VmxFixture::kHostRip);
}

TEST_CASE(
    "Forgotten host CR4.VMXE: VMfailValid(8) and a diagnostic naming the check and HOST_CR4") {
    VmxFixture f;
    f.prepare_launch();
    const uint64_t cr4v = f.s().cr4 & ~cr4::VMXE;
    f.set_field(HOST_CR4, cr4v);
    f.exec(op::vmlaunch);
    CHECK(f.vm_fail_valid() == 8u);
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.s().vmx.vmcs.launch_state == vmx::LaunchState::Clear);
    REQUIRE(f.env.entry_failures.size() == 1);
    const auto& e = f.env.entry_failures[0];
    CHECK(e.result == 8);
    CHECK(e.check_id == "host_cr4_respects_fixed_bits");
    CHECK_THAT(e.section, Contains("Checks on Host Control Registers"));
    char want[64];
    std::snprintf(want, sizeof want, "HOST_CR4=0x%llx", static_cast<unsigned long long>(cr4v));
    CHECK_THAT(e.diagnostic, Contains("VMfailValid(8)") && Contains(want) &&
                                 Contains("host_cr4_respects_fixed_bits"));
}

TEST_CASE("Forgotten guest activity state: VM-entry failure exit 33 with host state loaded") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(GUEST_ACTIVITY_STATE, 3); // wait-for-SIPI: not advertised in IA32_VMX_MISC
    f.exec(op::vmlaunch);
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 33));
    CHECK(f.field(EXIT_QUALIFICATION) == 0);
    CHECK(f.rip() == VmxFixture::kHostRip);
    CHECK(f.s().rflags == rflags::kFixed1);
    REQUIRE(f.env.entry_failures.size() == 1);
    const auto& e = f.env.entry_failures[0];
    CHECK(e.result == (0x8000'0000u | 33));
    CHECK(e.check_id == "guest_activity_state_supported");
    CHECK_THAT(e.diagnostic, Contains("GUEST_ACTIVITY_STATE=0x3") && Contains("exit 33"));
    CHECK(f.env.vm_exits.empty()); // not a VM exit from a guest: nothing was saved
}

TEST_CASE("Forgotten control bit forced to 1 by the TRUE capability MSR: VMfailValid(7)") {
    VmxFixture f;
    f.prepare_launch();
    // Pin-based bit 1 is default1: IA32_VMX_TRUE_PINBASED_CTLS reports it must be 1.
    REQUIRE((vmx::hvlab_vmx_capabilities().true_pinbased.allowed0 & 2u) != 0);
    f.set_field(PIN_BASED_VM_EXEC_CONTROL, f.field(PIN_BASED_VM_EXEC_CONTROL) & ~2u);
    f.exec(op::vmlaunch);
    CHECK(f.vm_fail_valid() == 7u);
    REQUIRE(f.env.entry_failures.size() == 1);
    const auto& e = f.env.entry_failures[0];
    CHECK(e.check_id == "pin_based_controls_respect_capability");
    CHECK_THAT(e.diagnostic, Contains("PIN_BASED_VM_EXEC_CONTROL=0x14"));
}

TEST_CASE("Forgotten guest TR type: VM-entry failure exit 33 naming the TR check") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(GUEST_TR_AR_BYTES, 0x83); // busy 16-bit TSS: not allowed for an IA-32e guest
    f.exec(op::vmlaunch);
    CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 33));
    REQUIRE(f.env.entry_failures.size() == 1);
    const auto& e = f.env.entry_failures[0];
    CHECK_THAT(e.check_id, Contains("guest_tr_type"));
    CHECK_THAT(e.diagnostic, Contains("access_rights=0x83"));
}

TEST_CASE("VM-entry MSR-load list: loaded in order, a bad entry is exit 34 with its number") {
    VmxFixture f;
    f.prepare_launch();
    const uint64_t list = VmxFixture::kMsrLists;
    f.poke_val<uint64_t>(list + 0, 0x175); // IA32_SYSENTER_ESP
    f.poke_val<uint64_t>(list + 8, 0x5555'0000);
    SECTION("valid list") {
        f.set_field(VM_ENTRY_MSR_LOAD_ADDR, list);
        f.set_field(VM_ENTRY_MSR_LOAD_COUNT, 1);
        f.guest_code(op::vmcall);
        f.exec(op::vmlaunch);
        CHECK(f.s().vmx.non_root);
        CHECK(f.s().msr.sysenter_esp == 0x5555'0000);
    }
    SECTION("second entry names IA32_FS_BASE") {
        f.poke_val<uint64_t>(list + 16, 0xC000'0100);
        f.poke_val<uint64_t>(list + 24, 0);
        f.set_field(VM_ENTRY_MSR_LOAD_ADDR, list);
        f.set_field(VM_ENTRY_MSR_LOAD_COUNT, 2);
        f.exec(op::vmlaunch);
        CHECK_FALSE(f.s().vmx.non_root);
        CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 34));
        CHECK(f.field(EXIT_QUALIFICATION) == 2);
        CHECK(f.rip() == VmxFixture::kHostRip);
        REQUIRE(f.env.entry_failures.size() == 1);
        CHECK(f.env.entry_failures[0].check_id == "msr_load_entry_not_fs_gs_base");
    }
    SECTION("WRMSR would #GP (non-canonical SYSENTER_EIP)") {
        f.poke_val<uint64_t>(list + 16, 0x176);
        f.poke_val<uint64_t>(list + 24, 0x8000'0000'0000);
        f.set_field(VM_ENTRY_MSR_LOAD_ADDR, list);
        f.set_field(VM_ENTRY_MSR_LOAD_COUNT, 2);
        f.exec(op::vmlaunch);
        CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 34));
        CHECK(f.field(EXIT_QUALIFICATION) == 2);
        CHECK(f.env.entry_failures[0].check_id == "msr_load_entry_wrmsr_succeeds");
    }
}

TEST_CASE("VM-exit MSR-store and MSR-load lists") {
    VmxFixture f;
    f.prepare_launch();
    const uint64_t store = VmxFixture::kMsrLists, load = VmxFixture::kMsrLists + 0x100;
    f.poke_val<uint64_t>(store, 0x174); // IA32_SYSENTER_CS
    f.poke_val<uint64_t>(load, 0x174);
    f.poke_val<uint64_t>(load + 8, 0x10);
    f.set_field(VM_EXIT_MSR_STORE_ADDR, store);
    f.set_field(VM_EXIT_MSR_STORE_COUNT, 1);
    f.set_field(VM_EXIT_MSR_LOAD_ADDR, load);
    f.set_field(VM_EXIT_MSR_LOAD_COUNT, 1);
    f.set_field(GUEST_SYSENTER_CS, 0x33);
    f.guest_code(op::vmcall);
    f.exec(op::vmlaunch);
    f.run(1);
    CHECK(f.peek_val<uint64_t>(store + 8) == 0x33); // the guest's value, stored
    CHECK(f.s().msr.sysenter_cs == 0x10);           // the host list loaded after
}

TEST_CASE("VMX abort: a failing VM-exit MSR-load entry writes the abort indicator and shuts down") {
    VmxFixture f;
    f.prepare_launch();
    const uint64_t load = VmxFixture::kMsrLists;
    f.poke_val<uint64_t>(load, 0x800); // an x2APIC MSR: not allowed in the list
    f.set_field(VM_EXIT_MSR_LOAD_ADDR, load);
    f.set_field(VM_EXIT_MSR_LOAD_COUNT, 1);
    f.guest_code(op::vmcall);
    f.exec(op::vmlaunch);
    const RunResult r = f.run(5);
    CHECK(r.reason == StopReason::Shutdown);
    CHECK(f.s().activity == CpuState::Activity::Shutdown);
    CHECK(f.peek_val<uint32_t>(VmxFixture::kVmcs + 4) == 4); // "failure on loading host MSRs"
}

TEST_CASE("VM exit with save/load IA32_EFER and PAT controls") {
    VmxFixture f;
    f.prepare_launch();
    const auto& caps = vmx::hvlab_vmx_capabilities();
    using E = vmx::ExitControls;
    f.set_field(VM_EXIT_CONTROLS, vmx::adjust_controls(E::kHostAddressSpaceSize | E::kSavePat |
                                                           E::kLoadPat | E::kSaveEfer,
                                                       caps.true_exit));
    f.set_field(HOST_IA32_PAT, 0x0606'0606'0606'0606);
    f.guest_code(op::vmcall);
    f.exec(op::vmlaunch);
    f.s().msr.pat = 0x0007'0406'0007'0406;
    f.run(1);
    CHECK(f.field(GUEST_IA32_PAT) == 0x0007'0406'0007'0406);
    CHECK(f.field(GUEST_IA32_EFER) == f.s().efer);
    CHECK(f.s().msr.pat == 0x0606'0606'0606'0606);
}

TEST_CASE(
    "A 32-bit PAE guest: PDPTEs loaded from guest memory at entry, 64-bit host after the exit") {
    VmxFixture f;
    f.prepare_launch();
    constexpr uint64_t kPdpt = 0x8000;
    f.poke_val<uint64_t>(kPdpt, CpuFixture::kPd | 1); // 0-1 GiB through the 2 MiB-page PD
    for (unsigned i = 1; i < 4; ++i)
        f.poke_val<uint64_t>(kPdpt + 8 * i, 0);
    using vmx::EntryControls;
    f.set_field(VM_ENTRY_CONTROLS, f.field(VM_ENTRY_CONTROLS) & ~EntryControls::kIa32eModeGuest);
    f.set_field(GUEST_CR3, kPdpt);
    f.set_field(GUEST_CS_SELECTOR, CpuFixture::kCode32);
    f.set_field(GUEST_CS_AR_BYTES, 0xC09B);
    f.guest_code(op::vmcall);
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.s().mode() == CpuMode::Protected32);
    CHECK((f.s().efer & (efer::LMA | efer::LME)) == 0);
    CHECK(f.s().pdpte[0] == (CpuFixture::kPd | 1));
    f.run(1);
    REQUIRE_FALSE(f.s().vmx.non_root);
    CHECK(f.field(VM_EXIT_REASON) == 18);
    CHECK(f.field(GUEST_RIP) == VmxFixture::kGuestRip);
    CHECK((f.field(VM_ENTRY_CONTROLS) & EntryControls::kIa32eModeGuest) == 0);
    CHECK(f.s().mode() == CpuMode::Long64);
    CHECK(f.rip() == VmxFixture::kHostRip);
}

TEST_CASE("A PAE guest whose PDPTE sets a reserved bit: exit 33 with qualification 2") {
    VmxFixture f;
    f.prepare_launch();
    constexpr uint64_t kPdpt = 0x8000;
    f.poke_val<uint64_t>(kPdpt, CpuFixture::kPd | 1 | (1u << 5)); // bit 5 reserved
    f.set_field(VM_ENTRY_CONTROLS,
                f.field(VM_ENTRY_CONTROLS) & ~vmx::EntryControls::kIa32eModeGuest);
    f.set_field(GUEST_CR3, kPdpt);
    f.set_field(GUEST_CS_SELECTOR, CpuFixture::kCode32);
    f.set_field(GUEST_CS_AR_BYTES, 0xC09B);
    f.exec(op::vmlaunch);
    CHECK_FALSE(f.s().vmx.non_root);
    CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 33));
    CHECK(f.field(EXIT_QUALIFICATION) == 2);
}

TEST_CASE(
    "A VM-entry MSR-load count of 0xFFFFFFFF fails at entry 513, without reading 4 G entries") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(VM_ENTRY_MSR_LOAD_ADDR, VmxFixture::kMsrLists);
    f.set_field(VM_ENTRY_MSR_LOAD_COUNT, 0xFFFF'FFFF);
    for (unsigned i = 0; i < 513; ++i) { // harmless entries: IA32_SYSENTER_CS := 0
        f.poke_val<uint64_t>(VmxFixture::kMsrLists + 16 * i, 0x174);
        f.poke_val<uint64_t>(VmxFixture::kMsrLists + 16 * i + 8, 0);
    }
    f.exec(op::vmlaunch);
    CHECK(f.field(VM_EXIT_REASON) == (0x8000'0000u | 34));
    CHECK(f.field(EXIT_QUALIFICATION) == 513);
    REQUIRE(f.env.entry_failures.size() == 1);
    CHECK(f.env.entry_failures[0].check_id == "msr_load_count_within_limit");
}

TEST_CASE("VMX instructions exit from a CPL-3 guest instead of raising #GP") {
    VmxFixture f;
    f.prepare_launch();
    f.set_field(GUEST_CS_SELECTOR, CpuFixture::kUserCode64);
    f.set_field(GUEST_CS_AR_BYTES, 0xA0FB);
    for (uint32_t n : {ES, SS, DS, FS, GS}) {
        f.set_field(GUEST_ES_SELECTOR + 2 * n, CpuFixture::kUserData);
        f.set_field(GUEST_ES_AR_BYTES + 2 * n, 0xC0F3);
    }
    f.guest_code(concat({op::vmcall, op::vmptrld_rax}));
    f.exec(op::vmlaunch);
    REQUIRE(f.s().vmx.non_root);
    CHECK(f.s().cpl() == 3);
    f.run(1);
    CHECK(f.field(VM_EXIT_REASON) == 18);
    CHECK((f.field(GUEST_CS_AR_BYTES) & 0x60) == 0x60); // DPL 3 saved
    f.vmwrite(GUEST_RIP, VmxFixture::kGuestRip + 3);
    f.exec(op::vmresume);
    f.run(1);
    CHECK(f.field(VM_EXIT_REASON) == 21); // VMPTRLD
    CHECK(f.s().cpl() == 0);
}

TEST_CASE("VPID: without it VM entry and exit flush the TLB, with it both keep it") {
    VmxFixture f;
    f.prepare_launch();
    f.guest_code(op::vmcall);
    auto count_vpid = [&](uint16_t vpid) {
        unsigned n = 0;
        f.cpu.memory().tlb().for_each([&](const mmu::TlbEntry& e) { n += e.tag.vpid == vpid; });
        return n;
    };
    SECTION("enable VPID = 0: the VPID-0000H mappings are invalidated") {
        f.exec(op::vmlaunch);
        f.run(1);
        REQUIRE(f.field(VM_EXIT_REASON) == 18);
        CHECK(f.cpu.memory().tlb().count_valid() == 0);
    }
    SECTION("enable VPID = 1: host (VPID 0) and guest (VPID 7) entries survive") {
        const auto& caps = vmx::hvlab_vmx_capabilities();
        f.set_field(
            CPU_BASED_VM_EXEC_CONTROL,
            vmx::adjust_controls(vmx::ProcBased::kActivateSecondaryControls, caps.true_procbased));
        f.set_field(SECONDARY_VM_EXEC_CONTROL, vmx::ProcBased2::kEnableVpid);
        f.set_field(VIRTUAL_PROCESSOR_ID, 7);
        const unsigned host_before = count_vpid(0);
        REQUIRE(host_before > 0);
        f.exec(op::vmlaunch);
        f.run(1);
        REQUIRE(f.field(VM_EXIT_REASON) == 18);
        CHECK(count_vpid(0) >= host_before);
        CHECK(count_vpid(7) > 0);
    }
}
