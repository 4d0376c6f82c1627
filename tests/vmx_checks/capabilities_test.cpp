// The VMX capability MSRs: exact advertised values, the allowed-0/allowed-1 invariants, what
// the TRUE_ MSRs may relax, and the one adjust helper's truth table.
#include "cpu/cpu_state.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/controls.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::vmx;
using namespace hvlab::cpu::vmx::msr_index;

namespace {
uint32_t lo(uint64_t v) {
    return static_cast<uint32_t>(v);
}
uint32_t hi(uint64_t v) {
    return static_cast<uint32_t>(v >> 32);
}
constexpr uint64_t b(unsigned n) {
    return uint64_t{1} << n;
}
} // namespace

TEST_CASE("IA32_VMX_BASIC reports revision, 4 KiB VMCS, WB, INS/OUTS info and TRUE controls",
          "[vmx][caps]") {
    const uint64_t basic = read_capability_msr(IA32_VMX_BASIC);
    CHECK((basic & 0x7FFFFFFF) == hvlab_vmx_capabilities().basic.revision_id);
    CHECK((basic & b(31)) == 0);
    CHECK(((basic >> 32) & 0x1FFF) == 4096);
    CHECK((basic & b(48)) == 0); // addresses are not limited to 32 bits
    CHECK((basic & b(49)) == 0); // no dual-monitor SMM treatment
    CHECK(((basic >> 50) & 0xF) == 6);
    CHECK((basic & b(54)) != 0);
    CHECK((basic & b(55)) != 0);
    CHECK((basic >> 56) == 0);
}

TEST_CASE("control MSRs advertise exactly the issue's controls", "[vmx][caps]") {
    CHECK(read_capability_msr(IA32_VMX_PINBASED_CTLS) == 0x0000007F'00000016);
    CHECK(read_capability_msr(IA32_VMX_TRUE_PINBASED_CTLS) == 0x0000007F'00000016);
    // interrupt-window, TSC offsetting, HLT, INVLPG, MWAIT, RDPMC, RDTSC, CR3-load/store,
    // CR8-load/store, NMI-window, MOV-DR, unconditional I/O, I/O bitmaps, MTF, MSR bitmaps,
    // MONITOR, PAUSE, secondary controls; not TPR shadow (21) nor tertiary controls (17).
    const uint64_t proc = read_capability_msr(IA32_VMX_PROCBASED_CTLS);
    CHECK(lo(proc) == 0x0401E172);
    CHECK(hi(proc) == 0xFFD9FFFE);
    CHECK(read_capability_msr(IA32_VMX_TRUE_PROCBASED_CTLS) == 0xFFD9FFFE'04006172);
    // EPT, descriptor-table exiting, RDTSCP, VPID, WBINVD exiting, INVPCID.
    CHECK(read_capability_msr(IA32_VMX_PROCBASED_CTLS2) == 0x0000106E'00000000);
    CHECK(read_capability_msr(IA32_VMX_EXIT_CTLS) == 0x007FEFFF'00036DFF);
    CHECK(read_capability_msr(IA32_VMX_TRUE_EXIT_CTLS) == 0x007FEFFF'00036DFB);
    CHECK(read_capability_msr(IA32_VMX_ENTRY_CTLS) == 0x0000D3FF'000011FF);
    CHECK(read_capability_msr(IA32_VMX_TRUE_ENTRY_CTLS) == 0x0000D3FF'000011FB);
}

TEST_CASE("every allowed-0 bit is also an allowed-1 bit", "[vmx][caps]") {
    for (uint32_t index :
         {IA32_VMX_PINBASED_CTLS, IA32_VMX_PROCBASED_CTLS, IA32_VMX_EXIT_CTLS, IA32_VMX_ENTRY_CTLS,
          IA32_VMX_PROCBASED_CTLS2, IA32_VMX_TRUE_PINBASED_CTLS, IA32_VMX_TRUE_PROCBASED_CTLS,
          IA32_VMX_TRUE_EXIT_CTLS, IA32_VMX_TRUE_ENTRY_CTLS}) {
        INFO(index);
        const uint64_t v = read_capability_msr(index);
        CHECK((lo(v) & ~hi(v)) == 0);
    }
}

TEST_CASE("the TRUE MSRs relax only default1 bits and never allowed-1", "[vmx][caps]") {
    struct Pair {
        uint32_t plain, truer, default1;
    };
    for (const Pair& p :
         {Pair{IA32_VMX_PINBASED_CTLS, IA32_VMX_TRUE_PINBASED_CTLS, PinBased::kDefault1},
          Pair{IA32_VMX_PROCBASED_CTLS, IA32_VMX_TRUE_PROCBASED_CTLS, ProcBased::kDefault1},
          Pair{IA32_VMX_EXIT_CTLS, IA32_VMX_TRUE_EXIT_CTLS, ExitControls::kDefault1},
          Pair{IA32_VMX_ENTRY_CTLS, IA32_VMX_TRUE_ENTRY_CTLS, EntryControls::kDefault1}}) {
        INFO(p.plain);
        const uint64_t plain = read_capability_msr(p.plain), truer = read_capability_msr(p.truer);
        CHECK(lo(plain) == p.default1); // the plain MSR forces every default1 bit
        CHECK((lo(truer) & ~lo(plain)) == 0);
        CHECK(((lo(plain) & ~lo(truer)) & ~p.default1) == 0);
        CHECK(hi(truer) == hi(plain));
    }
}

TEST_CASE("IA32_VMX_MISC: timer rate, LMA store, HLT only, 4 CR3 targets, 512-entry MSR lists",
          "[vmx][caps]") {
    const uint64_t misc = read_capability_msr(IA32_VMX_MISC);
    CHECK((misc & 0x1F) == 0);
    CHECK((misc & b(5)) != 0); // VM exits store EFER.LMA into "IA-32e mode guest"
    CHECK((misc & b(6)) != 0);
    CHECK((misc & (b(7) | b(8))) == 0);
    CHECK(((misc >> 16) & 0x1FF) == 4);
    CHECK(((misc >> 25) & 7) == 0);
    CHECK((misc & (b(29) | b(30))) == 0);
    CHECK(hvlab_vmx_capabilities().misc.max_msr_list_entries() == 512);
}

TEST_CASE("CR0/CR4 fixed bits: PE, NE, PG and VMXE fixed to 1", "[vmx][caps]") {
    const uint64_t cr0_0 = read_capability_msr(IA32_VMX_CR0_FIXED0);
    const uint64_t cr0_1 = read_capability_msr(IA32_VMX_CR0_FIXED1);
    const uint64_t cr4_0 = read_capability_msr(IA32_VMX_CR4_FIXED0);
    const uint64_t cr4_1 = read_capability_msr(IA32_VMX_CR4_FIXED1);
    CHECK(cr0_0 == (cr0::PE | cr0::NE | cr0::PG));
    CHECK((cr0_0 & ~cr0_1) == 0);
    CHECK(cr0_1 == 0xE005003F);
    CHECK(cr4_0 == cr4::VMXE);
    CHECK((cr4_0 & ~cr4_1) == 0);
    CHECK(cr4_1 == (model::kCr4Supported | cr4::VMXE));
}

TEST_CASE("VMCS_ENUM and EPT_VPID_CAP", "[vmx][caps]") {
    CHECK(read_capability_msr(IA32_VMX_VMCS_ENUM) == 0x2E);
    const uint64_t expect = b(6) | b(8) | b(14) | b(16) | b(17) | b(20) | b(21) | b(25) | b(26) |
                            b(32) | b(40) | b(41) | b(42) | b(43);
    const uint64_t cap = read_capability_msr(IA32_VMX_EPT_VPID_CAP);
    CHECK(cap == expect);
    CHECK((cap & b(0)) == 0); // execute-only translations are not advertised
}

TEST_CASE("which MSRs are capability MSRs", "[vmx][caps]") {
    CHECK(is_capability_msr(IA32_VMX_BASIC));
    CHECK(is_capability_msr(IA32_VMX_TRUE_ENTRY_CTLS));
    CHECK_FALSE(is_capability_msr(0x47F));
    CHECK_FALSE(is_capability_msr(0x491)); // IA32_VMX_VMFUNC: VM functions not supported
    CHECK_FALSE(is_capability_msr(0x492)); // IA32_VMX_PROCBASED_CTLS3
    CHECK(read_capability_msr(0x491) == 0);
}

TEST_CASE("adjust_controls follows its truth table", "[vmx][caps]") {
    // bit 0: fixed 1, bit 1: fixed 0, bit 2: flexible.
    const ControlCapability cap{0b001, 0b101};
    CHECK(adjust_controls(0b000, cap) == 0b001);
    CHECK(adjust_controls(0b111, cap) == 0b101);
    CHECK(adjust_controls(0b100, cap) == 0b101);
    CHECK(control_violations(0b001, cap) == 0);
    CHECK(control_violations(0b101, cap) == 0);
    CHECK(control_violations(0b000, cap) == 0b001);
    CHECK(control_violations(0b011, cap) == 0b010);
    CHECK(adjust_fixed_bits(0, cr0::PE, ~uint64_t{0} >> 32) == cr0::PE);
    CHECK(fixed_bit_violations(uint64_t{1} << 40, 0, 0xFFFFFFFF) == uint64_t{1} << 40);
}
