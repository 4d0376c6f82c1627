// The CPUID model is consistent with itself and with what the system layer accepts.
#include "cpu/system/cpu_model.hpp"
#include "cpu/system/cpuid_model.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

using namespace hvlab;
using namespace hvlab::cpu;
using namespace hvlab::test;

TEST_CASE("CPUID identity: GenuineIntel, leaf ranges, address widths", "[cpuid]") {
    CpuState s;
    auto r0 = cpuid(s, 0, 0);
    char vendor[13] = {};
    std::memcpy(vendor, &r0.ebx, 4);
    std::memcpy(vendor + 4, &r0.edx, 4);
    std::memcpy(vendor + 8, &r0.ecx, 4);
    CHECK(std::string(vendor) == "GenuineIntel");
    CHECK(r0.eax == 0xD);
    CHECK(cpuid(s, 0x8000'0000, 0).eax == 0x8000'0008);
    auto aw = cpuid(s, 0x8000'0008, 0);
    CHECK((aw.eax & 0xFF) == 39);
    CHECK(((aw.eax >> 8) & 0xFF) == 48);
    CHECK((aw.eax & 0xFF) == mmu::kMaxPhysAddrBits);
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
        auto b = cpuid(s, 0x8000'0002 + i, 0);
        std::memcpy(brand + 16 * i, &b, 16);
    }
    CHECK(std::string(brand).rfind("hvlab", 0) == 0);
}

TEST_CASE("CPUID feature bits: what hvlab implements (VMX too), x2APIC/XSAVE clear",
          "[cpuid]") {
    CpuState s;
    auto l1 = cpuid(s, 1, 0);
    auto l7 = cpuid(s, 7, 0);
    auto e1 = cpuid(s, 0x8000'0001, 0);
    const uint32_t edx1 = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                          (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 15) |
                          (1u << 16) | (1u << 17) | (1u << 19) | (1u << 24) | (1u << 25) |
                          (1u << 26);
    CHECK(l1.edx == edx1);
    CHECK(l1.ecx ==
          ((1u << 3) | (1u << 5) | (1u << 13) | (1u << 17) | (1u << 22) | (1u << 23) |
           (1u << 24)));
    CHECK((l1.ecx & (1u << 5)) != 0);  // VMX
    CHECK((l1.ecx & (1u << 21)) == 0); // x2APIC
    CHECK((l1.ecx & (1u << 26)) == 0); // XSAVE
    CHECK(l7.ebx == ((1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 10) | (1u << 19) |
                     (1u << 20)));
    CHECK(e1.edx == ((1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29)));
    CHECK(e1.ecx == ((1u << 0) | (1u << 5) | (1u << 8))); // LAHF-SAHF, LZCNT, PREFETCHW
    CHECK(l7.ecx == (1u << 22));               // RDPID
    CHECK(cpuid(s, 7, 1).ebx == 0);
    CHECK(cpuid(s, 0xD, 0).eax == 0);
    CHECK(cpuid(s, 5, 0).eax == 64); // MONITOR/MWAIT leaf: 64-byte line, MWAIT extensions
    CHECK(cpuid(s, 5, 0).ecx == 3);
    CHECK(cpuid(s, 0xA, 0).eax == 0);
}

TEST_CASE("CPUID leaf 0xB describes one thread in one core", "[cpuid]") {
    CpuState s;
    CHECK(cpuid(s, 0xB, 0).ebx == 1);
    CHECK(((cpuid(s, 0xB, 0).ecx >> 8) & 0xFF) == 1);
    CHECK(((cpuid(s, 0xB, 1).ecx >> 8) & 0xFF) == 2);
    CHECK(((cpuid(s, 0xB, 2).ecx >> 8) & 0xFF) == 0);
}

TEST_CASE("out-of-range leaves return the highest basic leaf", "[cpuid]") {
    CpuState s;
    auto hi = cpuid(s, 0xD, 0);
    for (uint32_t leaf : {0xEu, 0x4000'0000u, 0x8000'0009u, 0xFFFF'FFFFu}) {
        auto r = cpuid(s, leaf, 0);
        CHECK(r.eax == hi.eax);
        CHECK(r.ebx == hi.ebx);
        CHECK(r.ecx == hi.ecx);
        CHECK(r.edx == hi.edx);
    }
}

TEST_CASE("MISC_ENABLE.XD disable hides NX", "[cpuid]") {
    CpuState s;
    s.msr.misc_enable |= model::kMiscXdDisable;
    CHECK((cpuid(s, 0x8000'0001, 0).edx & (1u << 20)) == 0);
}

TEST_CASE("every CR4 feature bit is writable exactly when CPUID advertises it", "[cpuid]") {
    SystemFixture f;
    auto l1 = cpuid(f.s, 1, 0);
    auto l7 = cpuid(f.s, 7, 0);
    struct Pair {
        uint64_t cr4_bit;
        uint32_t advertised;
    } pairs[] = {
        {cr4::SMEP, (l7.ebx >> 7) & 1},    {cr4::SMAP, (l7.ebx >> 20) & 1},
        {cr4::FSGSBASE, l7.ebx & 1},       {cr4::PGE, (l1.edx >> 13) & 1},
        {cr4::PSE, (l1.edx >> 3) & 1},     {cr4::OSFXSR, (l1.edx >> 24) & 1},
        {cr4::VMXE, (l1.ecx >> 5) & 1},    {cr4::OSXSAVE, (l1.ecx >> 26) & 1},
        {cr4::VME, l1.edx & 1},            {cr4::MCE, (l1.edx >> 7) & 1},
        {cr4::PKE, (l7.ecx >> 3) & 1},     {cr4::UMIP, (l7.ecx >> 2) & 1},
    };
    const uint64_t base = f.s.cr4;
    for (auto p : pairs) {
        INFO("cr4 bit " << std::hex << p.cr4_bit);
        f.s.cr4 = base;
        CHECK(!write_cr4(f.c, base | p.cr4_bit).raised() == (p.advertised != 0));
    }
}
