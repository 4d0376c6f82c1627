// Pure exit conditions the VM-exit layer will call: exception bitmap with #PF error-code
// filtering, I/O and MSR bitmaps, CR0/CR3/CR4/CR8 access rules; and the name tables for exit
// reasons and VM-instruction errors.
#include "cpu/cpu_state.hpp"
#include "cpu/vmx/bitmap_exits.hpp"
#include "cpu/vmx/cr_access_exits.hpp"
#include "cpu/vmx/exception_exit.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vm_instruction_error.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace hvlab::cpu;
using namespace hvlab::cpu::vmx;

namespace {
using Page = std::array<uint8_t, 4096>;
void set_bit(Page& p, uint32_t offset, uint32_t bit) {
    p[offset + bit / 8] |= 1u << (bit % 8);
}
const ProcBased kBitmaps(ProcBased::kUseIoBitmaps | ProcBased::kUseMsrBitmaps);
} // namespace

TEST_CASE("exception bitmap selects exits by vector", "[vmx][exits]") {
    const uint32_t bitmap = (1u << 6) | (1u << 13);
    CHECK(exception_causes_exit(bitmap, 6));
    CHECK(exception_causes_exit(bitmap, 13));
    CHECK_FALSE(exception_causes_exit(bitmap, 3));
    CHECK_FALSE(exception_causes_exit(~0u, 32)); // not an exception vector
}

TEST_CASE("page faults go through the error-code mask and match", "[vmx][exits]") {
    const uint32_t pf = 1u << 14;
    // mask/match 0/0: every #PF matches, so bit 14 decides directly.
    CHECK(exception_causes_exit(pf, 14, 0x2, 0, 0));
    CHECK_FALSE(exception_causes_exit(0, 14, 0x2, 0, 0));
    // Exit only on user-mode writes (P=any, W=1, U=1): mask 6, match 6.
    CHECK(exception_causes_exit(pf, 14, 0x7, 0x6, 0x6));
    CHECK_FALSE(exception_causes_exit(pf, 14, 0x3, 0x6, 0x6));
    // Bit 14 clear inverts: exit on every #PF that does NOT match.
    CHECK(exception_causes_exit(0, 14, 0x3, 0x6, 0x6));
    CHECK_FALSE(exception_causes_exit(0, 14, 0x7, 0x6, 0x6));
}

TEST_CASE("I/O instructions: unconditional exiting, bitmaps A/B and wrap-around", "[vmx][exits]") {
    Page a{}, b{};
    set_bit(a, 0, 0x3F8);
    set_bit(a, 0, 0xCF8);           // PCI configuration address
    set_bit(b, 0, 0xFFF0 - 0x8000); // bitmap B starts at port 8000H
    CHECK_FALSE(io_causes_exit(ProcBased(0), a, b, 0x3F8, 1));
    CHECK(io_causes_exit(ProcBased(ProcBased::kUnconditionalIoExiting), a, b, 0x80, 1));
    CHECK(io_causes_exit(kBitmaps, a, b, 0x3F8, 1));
    CHECK_FALSE(io_causes_exit(kBitmaps, a, b, 0x3F9, 1));
    CHECK(io_causes_exit(kBitmaps, a, b, 0xCF8, 4));
    CHECK(io_causes_exit(kBitmaps, a, b, 0x3F6, 4)); // covers 0x3F8
    CHECK(io_causes_exit(kBitmaps, a, b, 0xFFF0, 1));
    CHECK_FALSE(io_causes_exit(kBitmaps, a, b, 0xFFF1, 2));
    CHECK(io_causes_exit(kBitmaps, a, b, 0xFFFE, 4));       // wraps past 0xFFFF
    CHECK_FALSE(io_causes_exit(kBitmaps, a, b, 0x7FFE, 4)); // spans A and B, no bit set
    // "use I/O bitmaps" overrides "unconditional I/O exiting".
    const ProcBased both(ProcBased::kUseIoBitmaps | ProcBased::kUnconditionalIoExiting);
    CHECK_FALSE(io_causes_exit(both, a, b, 0x80, 1));
}

TEST_CASE("RDMSR/WRMSR: MSR bitmap quarters and out-of-range MSRs", "[vmx][exits]") {
    Page m{};
    set_bit(m, 0, 0x10);                                         // read IA32_TIME_STAMP_COUNTER
    set_bit(m, 1024, 0x80);                                      // read IA32_EFER (C0000080H)
    set_bit(m, 2048, 0x1B);                                      // write IA32_APIC_BASE
    set_bit(m, 3072, 0x102);                                     // write IA32_KERNEL_GS_BASE
    CHECK(msr_access_causes_exit(ProcBased(0), m, 0x10, false)); // no bitmaps: always exit
    CHECK(msr_access_causes_exit(kBitmaps, m, 0x10, false));
    CHECK_FALSE(msr_access_causes_exit(kBitmaps, m, 0x10, true));
    CHECK(msr_access_causes_exit(kBitmaps, m, 0xC0000080, false));
    CHECK_FALSE(msr_access_causes_exit(kBitmaps, m, 0xC0000080, true));
    CHECK(msr_access_causes_exit(kBitmaps, m, 0x1B, true));
    CHECK_FALSE(msr_access_causes_exit(kBitmaps, m, 0x1B, false));
    CHECK(msr_access_causes_exit(kBitmaps, m, 0xC0000102, true));
    CHECK(msr_access_causes_exit(kBitmaps, m, 0x2000, false));    // outside both ranges
    CHECK(msr_access_causes_exit(kBitmaps, m, 0xC0002000, true)); // outside both ranges
    CHECK_FALSE(msr_access_causes_exit(kBitmaps, m, 0x1FFF, true));
}

TEST_CASE("CR0/CR4 reads see the read shadow under the mask", "[vmx][exits]") {
    // NE and PG come from the shadow (both 0 there); PE, ET and MP from CR0.
    CHECK(shadowed_cr_read(0x80000031, cr0::NE | cr0::PG, 0x11) == 0x11);
    CHECK(shadowed_cr_read(cr4::VMXE | cr4::PAE, cr4::VMXE, 0) == cr4::PAE);
}

TEST_CASE("MOV to CR0/CR4 exits when a masked bit differs from the shadow", "[vmx][exits]") {
    CHECK_FALSE(mov_to_cr0_cr4_causes_exit(0x80000031, cr0::CD | cr0::NW, 0));
    CHECK(mov_to_cr0_cr4_causes_exit(0x80000031 | cr0::CD, cr0::CD | cr0::NW, 0));
    CHECK_FALSE(mov_to_cr0_cr4_causes_exit(cr4::PAE, cr4::VMXE, 0));
    CHECK(mov_to_cr0_cr4_causes_exit(cr4::PAE, cr4::VMXE, cr4::VMXE));
}

TEST_CASE("CLTS and LMSW exit rules", "[vmx][exits]") {
    CHECK(clts_causes_exit(cr0::TS, cr0::TS));
    CHECK_FALSE(clts_causes_exit(cr0::TS, 0));
    CHECK_FALSE(clts_causes_exit(0, cr0::TS));
    // PE: only setting a masked PE that the shadow shows clear exits.
    CHECK(lmsw_causes_exit(1, cr0::PE, 0));
    CHECK_FALSE(lmsw_causes_exit(0, cr0::PE, cr0::PE)); // LMSW cannot clear PE
    CHECK_FALSE(lmsw_causes_exit(1, cr0::PE, cr0::PE));
    // MP/EM/TS: any masked difference exits; bits above 3 are not LMSW's.
    CHECK(lmsw_causes_exit(cr0::TS, cr0::TS, 0));
    CHECK(lmsw_causes_exit(0, cr0::MP, cr0::MP));
    CHECK_FALSE(lmsw_causes_exit(cr0::EM, cr0::MP, 0));
    CHECK_FALSE(lmsw_causes_exit(0x20, 0x20, 0));
}

TEST_CASE("MOV to CR3 exits unless the value is one of the first n CR3 targets", "[vmx][exits]") {
    const ProcBased load(ProcBased::kCr3LoadExiting);
    const std::array<uint64_t, 4> targets = {0x1000, 0x2000, 0x3000, 0x4000};
    CHECK_FALSE(mov_to_cr3_causes_exit(ProcBased(0), 0x5000, 0, targets));
    CHECK(mov_to_cr3_causes_exit(load, 0x1000, 0, targets));
    CHECK_FALSE(mov_to_cr3_causes_exit(load, 0x2000, 2, targets));
    CHECK(mov_to_cr3_causes_exit(load, 0x3000, 2, targets)); // beyond the count
    CHECK_FALSE(mov_to_cr3_causes_exit(load, 0x4000, 4, targets));
    CHECK(mov_from_cr3_causes_exit(ProcBased(ProcBased::kCr3StoreExiting)));
    CHECK(mov_to_cr8_causes_exit(ProcBased(ProcBased::kCr8LoadExiting)));
    CHECK_FALSE(mov_from_cr8_causes_exit(ProcBased(ProcBased::kCr8LoadExiting)));
}

TEST_CASE("exit reason and VM-instruction error names", "[vmx][exits]") {
    CHECK(exit_reason_name(0) == "Exception or non-maskable interrupt (NMI)");
    CHECK(exit_reason_name(static_cast<uint32_t>(ExitReason::EptViolation)) == "EPT violation");
    CHECK(exit_reason_name(48) == "EPT violation");
    CHECK(exit_reason_name(52) == "VMX-preemption timer expired");
    CHECK(exit_reason_name(35).empty());
    CHECK(exit_reason_name(78).empty());
    CHECK(static_cast<int>(ExitReason::Tdcall) == 77);
    CHECK(vm_instruction_error_name(7) == "VM entry with invalid control field(s)");
    CHECK(vm_instruction_error_name(12) == "VMREAD/VMWRITE from/to unsupported VMCS component");
    CHECK(vm_instruction_error_name(28) == "Invalid operand to INVEPT/INVVPID");
    CHECK(vm_instruction_error_name(14).empty());
    CHECK(vm_instruction_error_name(27).empty());
}
