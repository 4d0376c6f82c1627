// Compatibility mode: linear addresses are 32 bits wide, so a data access whose segment base +
// offset runs past 4 GiB continues at linear 0 (SDM Vol. 3A, 3.4 "Logical and Linear
// Addresses"; the 4-level walk then translates the 32-bit address). Before the fix hvlab asked
// for the second page at 0x1_0000_0000 and raised #PF there (cpu/memory_access.cpp,
// second_page_linear).
#include "../cpu/cpu_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

// Maps linear 0xFFE0'0000..0xFFFF'FFFF (PDPT[3], PD[511]) to physical 0x400000 with a 2 MiB
// page, next to the fixture's identity map of the first GiB, and gives DS a base of 2 GiB.
struct WrapRig : CpuFixture {
    static constexpr uint64_t kHighPd = 0x8000;
    WrapRig() : CpuFixture(TestMode::Compat32) {
        poke_val<uint64_t>(kPdpt + 8 * 3, kHighPd | 0x7);
        poke_val<uint64_t>(kHighPd + 8 * 511, 0x400000 | 0x87);
        s().seg[DS].base = 0x8000'0000;
        cpu.invalidate_caches();
    }
    int exec(std::vector<uint8_t> code) {
        code.push_back(0xF4); // HLT
        load(code);
        s().activity = CpuState::Activity::Active;
        run(100);
        return delivered_vector();
    }
};

} // namespace

TEST_CASE("compatibility mode: a write past linear 4 GiB wraps to linear 0") {
    WrapRig m;
    m.reg(RBX) = 0x7FFF'FFFE; // DS.base + EBX = 0xFFFF'FFFE
    m.reg(RAX) = 0x4433'2211;
    REQUIRE(m.exec({0x89, 0x03}) == -1); // mov [ebx], eax
    CHECK(m.peek_val<uint16_t>(0x5F'FFFE) == 0x2211);
    CHECK(m.peek_val<uint16_t>(0) == 0x4433);
}

TEST_CASE("compatibility mode: a read past linear 4 GiB wraps to linear 0") {
    WrapRig m;
    m.poke_val<uint16_t>(0x5F'FFFE, 0xBBAA);
    m.poke_val<uint16_t>(0, 0xDDCC);
    m.reg(RBX) = 0x7FFF'FFFE;
    REQUIRE(m.exec({0x8B, 0x03}) == -1); // mov eax, [ebx]
    CHECK(m.reg(RAX) == 0xDDCC'BBAA);
}

TEST_CASE("compatibility mode: a read-modify-write past linear 4 GiB wraps to linear 0") {
    WrapRig m;
    m.poke_val<uint16_t>(0x5F'FFFE, 0xFFFF);
    m.poke_val<uint16_t>(0, 0x0000);
    m.reg(RBX) = 0x7FFF'FFFE;
    m.reg(RAX) = 1;
    REQUIRE(m.exec({0x01, 0x03}) == -1); // add [ebx], eax: 0x0000FFFF + 1
    CHECK(m.peek_val<uint16_t>(0x5F'FFFE) == 0x0000);
    CHECK(m.peek_val<uint16_t>(0) == 0x0001);
}
