// RDMSR/WRMSR rules (SDM Vol. 4, Model-Specific Registers), including the #GP(0) of an MSR
// hvlab does not implement.
#include "cpu/system/msr_index.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

namespace {
bool is_gp0(Fault f) { return f.vector == GP && f.has_error_code && f.error_code == 0; }
} // namespace

TEST_CASE("an unimplemented MSR is #GP(0) for RDMSR and WRMSR", "[msr]") {
    SystemFixture f;
    uint64_t v = 0x55;
    CHECK(is_gp0(read_msr(f.c, 0x1234'5678, v)));
    CHECK(v == 0x55);
    CHECK(is_gp0(write_msr(f.c, 0x1234'5678, 1)));
    CHECK(is_gp0(read_msr(f.c, 0x8B, v))); // IA32_BIOS_SIGN_ID is not modelled
}

TEST_CASE("device MSRs pass through CpuEnv", "[msr]") {
    SystemFixture f;
    REQUIRE_FALSE(write_msr(f.c, 0x6E0, 777));
    uint64_t v = 0;
    REQUIRE_FALSE(read_msr(f.c, 0x6E0, v));
    CHECK(v == 777);
}

TEST_CASE("RDMSR/WRMSR at CPL 3 are #GP(0)", "[msr]") {
    SystemFixture f;
    f.to_ring3();
    uint64_t v = 0;
    CHECK(is_gp0(read_msr(f.c, msr::kEfer, v)));
    CHECK(is_gp0(write_msr(f.c, msr::kStar, 0)));
}

TEST_CASE("IA32_FEATURE_CONTROL: writable until locked, then every write is #GP", "[msr]") {
    SystemFixture f;
    CHECK(is_gp0(write_msr(f.c, msr::kFeatureControl, 2))); // no SMX: bit 1 reserved
    REQUIRE_FALSE(write_msr(f.c, msr::kFeatureControl, 0));
    REQUIRE_FALSE(write_msr(f.c, msr::kFeatureControl, 1));
    CHECK(is_gp0(write_msr(f.c, msr::kFeatureControl, 1)));
    CHECK(is_gp0(write_msr(f.c, msr::kFeatureControl, 0)));
    uint64_t v = 0;
    REQUIRE_FALSE(read_msr(f.c, msr::kFeatureControl, v));
    CHECK(v == 1);
}

TEST_CASE("base-address MSRs require canonical values", "[msr]") {
    SystemFixture f;
    for (uint32_t m : {msr::kLstar, msr::kCstar, msr::kFsBase, msr::kGsBase,
                       msr::kKernelGsBase, msr::kSysenterEip, msr::kSysenterEsp}) {
        INFO("msr " << std::hex << m);
        CHECK(is_gp0(write_msr(f.c, m, 0x0000'8000'0000'0000)));
        REQUIRE_FALSE(write_msr(f.c, m, 0xFFFF'8000'0000'1000));
        uint64_t v = 0;
        REQUIRE_FALSE(read_msr(f.c, m, v));
        CHECK(v == 0xFFFF'8000'0000'1000);
    }
    CHECK(f.s.seg[FS].base == 0xFFFF'8000'0000'1000);
    CHECK(f.s.seg[GS].base == 0xFFFF'8000'0000'1000);
}

TEST_CASE("SFMASK, TSC_AUX and SYSENTER_CS have reserved upper halves", "[msr]") {
    SystemFixture f;
    CHECK(is_gp0(write_msr(f.c, msr::kFmask, uint64_t{1} << 32)));
    CHECK(is_gp0(write_msr(f.c, msr::kTscAux, uint64_t{1} << 32)));
    CHECK(is_gp0(write_msr(f.c, msr::kSysenterCs, uint64_t{1} << 32)));
    REQUIRE_FALSE(write_msr(f.c, msr::kTscAux, 0xDEAD'BEEF));
    CHECK(f.s.msr.tsc_aux == 0xDEAD'BEEF);
}

TEST_CASE("IA32_TSC follows virtual time and writes set an offset", "[msr]") {
    SystemFixture f;
    f.c.clock = 50;
    REQUIRE_FALSE(write_msr(f.c, msr::kTsc, 1000));
    f.c.clock = 60;
    uint64_t v = 0;
    REQUIRE_FALSE(read_msr(f.c, msr::kTsc, v));
    CHECK(v == 1010);
    CHECK(read_tsc(f.c) == 1010);
    CHECK(f.env.tsc_writes == 1); // the LAPIC re-arms a TSC deadline
}

TEST_CASE("IA32_PAT accepts only valid memory types", "[msr]") {
    SystemFixture f;
    CHECK(is_gp0(write_msr(f.c, msr::kPat, 0x0007'0406'0007'0402))); // type 2 reserved
    CHECK(is_gp0(write_msr(f.c, msr::kPat, 0x0807'0406'0007'0406))); // type 8 reserved
    REQUIRE_FALSE(write_msr(f.c, msr::kPat, 0x0007'0501'0007'0406));
    CHECK(f.s.msr.pat == 0x0007'0501'0007'0406);
}

TEST_CASE("MTRRcap is read-only, MTRRdefType checks type and reserved bits", "[msr]") {
    SystemFixture f;
    uint64_t v = 1;
    REQUIRE_FALSE(read_msr(f.c, msr::kMtrrCap, v));
    CHECK(v == 0);
    CHECK(is_gp0(write_msr(f.c, msr::kMtrrCap, 0)));
    CHECK(is_gp0(write_msr(f.c, msr::kMtrrDefType, 0xC06))); // FE without fixed MTRRs
    CHECK(is_gp0(write_msr(f.c, msr::kMtrrDefType, 0x802))); // type 2
    REQUIRE_FALSE(write_msr(f.c, msr::kMtrrDefType, 0x806));
}

TEST_CASE("IA32_APIC_BASE: BSP is read-only, reserved bits #GP, the device is told", "[msr]") {
    SystemFixture f;
    CHECK(is_gp0(write_msr(f.c, msr::kApicBase, 0xFEE0'0900 | 1)));
    CHECK(is_gp0(write_msr(f.c, msr::kApicBase, 0xFEE0'0900 | (1u << 10)))); // no x2APIC
    REQUIRE_FALSE(write_msr(f.c, msr::kApicBase, 0xFED0'0000)); // disable, clear BSP: ignored
    CHECK(f.s.msr.apic_base == 0xFED0'0100);
    CHECK(f.env.apic_base_seen == 0xFED0'0100);
    CHECK((cpuid(f.s, 1, 0).edx & (1u << 9)) == 0); // CPUID.1:EDX.APIC follows EN
}

TEST_CASE("MISC_ENABLE, DEBUGCTL and EFER through WRMSR", "[msr]") {
    SystemFixture f;
    CHECK(is_gp0(write_msr(f.c, msr::kMiscEnable, 1u << 3)));
    CHECK(is_gp0(write_msr(f.c, msr::kMiscEnable, 1 | (uint64_t{1} << 34)))); // NXE is on
    REQUIRE_FALSE(write_msr(f.c, msr::kMiscEnable, 1 | (1u << 22)));
    CHECK(cpuid(f.s, 0, 0).eax == 2);
    CHECK(is_gp0(write_msr(f.c, msr::kDebugCtl, 1)));
    REQUIRE_FALSE(write_msr(f.c, msr::kDebugCtl, 0));
    CHECK(is_gp0(write_msr(f.c, msr::kEfer, f.s.efer & ~efer::LME)));
    uint64_t v = 0;
    REQUIRE_FALSE(read_msr(f.c, msr::kEfer, v));
    CHECK(v == f.s.efer);
}

TEST_CASE("STAR is stored whole", "[msr]") {
    SystemFixture f;
    REQUIRE_FALSE(write_msr(f.c, msr::kStar, 0x0023'0010'0000'0000));
    uint64_t v = 0;
    REQUIRE_FALSE(read_msr(f.c, msr::kStar, v));
    CHECK(v == 0x0023'0010'0000'0000);
}
