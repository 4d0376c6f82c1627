// System-layer audit against the Intel SDM (Dec 2023, Order 325462-081): exceptions and
// interrupts, segmentation, IRET, SYSCALL/SYSENTER, MSRs. One TEST_CASE per SDM rule; each
// cites the rule and says what hvlab did before the fix, or that it checks an untested rule.
#include "../cpu/cpu_fixture.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using hvlab::test::SystemFixture;
namespace sel = hvlab::test::sel;
namespace st = hvlab::test;      // the system-layer fixture (tests/system)
namespace ct = hvlab::cpu::test; // the whole-CPU fixture (tests/cpu)

namespace {

// An LDT whose table lies on a page that is not mapped (the CpuFixture maps the first GiB).
constexpr uint64_t kUnmappedLdt = 0x4000'0000;

void unmapped_ldt(ct::CpuFixture& f) {
    f.s().ldtr = Segment{0x50, kUnmappedLdt, 0xFFFF, 0x82};
    f.cpu.invalidate_caches();
}

} // namespace

// SDM Vol. 2A, LAR, Table "Segment and Gate Types": in IA-32e mode the LDT type (2) is "No";
// in protected mode it is "Yes". hvlab accepted the LDT in both (ZF = 1).
TEST_CASE("SDM LAR: an LDT descriptor is not valid for LAR in IA-32e mode", "[sysaudit][lar]") {
    SystemFixture f;
    uint32_t v = 0x1234;
    CHECK_FALSE(lar(f.c, sel::kLdt, v));
    CHECK(v == 0x1234);
    CHECK(lar(f.c, sel::kTss, v));      // 64-bit TSS: valid
    CHECK(lar(f.c, sel::kCallGate, v)); // 64-bit call gate: valid
    uint32_t limit = 0;
    CHECK(lsl(f.c, sel::kLdt, limit)); // LSL still accepts it
    CHECK(limit == 0x17);
    SystemFixture p;
    p.to_protected32();
    p.gdt(sel::kLdt, st::seg_desc(st::kLdtBase, 0x17, 0x82, 0));
    CHECK(lar(p.c, sel::kLdt, v));
    CHECK(v == 0x8200);
}

// SDM Vol. 2A, LSL, Table "Segment and Gate Descriptor Types": in IA-32e mode type 0, "Upper 8
// byte of a 16-Byte descriptor", is valid; in protected mode type 0 is reserved. hvlab
// rejected it in both.
TEST_CASE("SDM LSL: the upper half of a 16-byte descriptor is valid in IA-32e mode",
          "[sysaudit][lsl]") {
    SystemFixture f;
    // The upper 8 bytes of the 64-bit TSS descriptor at 0x30: base 63:32 = 0, type 0.
    uint32_t limit = 0xFFFF;
    CHECK(lsl(f.c, sel::kTss + 8, limit));
    CHECK(limit == 0);
    uint32_t v = 0;
    CHECK_FALSE(lar(f.c, sel::kTss + 8, v)); // LAR: type 0 is reserved in both modes
    SystemFixture p;
    p.to_protected32();
    CHECK_FALSE(lsl(p.c, sel::kTss + 8, limit));
}

// SDM Vol. 2A, LAR and LSL; Vol. 2B, VERR/VERW, Protected Mode Exceptions: "#PF(fault-code) If
// a page fault occurs" (reading the descriptor). hvlab reported a page fault on the
// descriptor table as ZF = 0 and went on.
TEST_CASE("SDM LAR/LSL/VERR/VERW: a page fault reading the descriptor table is #PF",
          "[sysaudit][lar]") {
    struct Form {
        const char* name;
        std::initializer_list<uint8_t> code;
    };
    const Form forms[] = {
        {"lar eax, ecx", {0x0F, 0x02, 0xC1}},
        {"lsl eax, ecx", {0x0F, 0x03, 0xC1}},
        {"verr cx", {0x0F, 0x00, 0xE1}},
        {"verw cx", {0x0F, 0x00, 0xE9}},
    };
    for (const Form& form : forms) {
        INFO(form.name);
        ct::CpuFixture f;
        unmapped_ldt(f);
        f.load(form.code);
        f.reg(RCX) = 0x000C; // LDT entry 1
        f.reg(RAX) = 0x5555;
        f.s().rflags |= rflags::ZF;
        REQUIRE(f.run_until_exception() == PF);
        CHECK(f.s().cr2 == kUnmappedLdt + 8);
        CHECK(f.pushed_error_code() == 0); // supervisor (implicit) read, not present
        CHECK(f.pushed_rip(true) == ct::CpuFixture::kCode);
        CHECK(f.reg(RAX) == 0x5555);
    }
}
