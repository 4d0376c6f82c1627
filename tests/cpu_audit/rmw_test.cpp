// The read of a read-modify-write instruction is checked as a write (cpu/exec_context.hpp,
// read_mem_rmw): SDM Vol. 3A, 4.7 "Page-Fault Exceptions": the W/R flag "describes the access
// causing the page-fault exception", and a read-modify-write is one write access. Before, hvlab
// read first and reported W/R = 0 for an RMW on a not-present page (QEMU's TCG does the same;
// Intel processors and Bochs report W/R = 1).
#include "alu_rig.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

constexpr uint64_t kPfPresent = 1, kPfWrite = 2; // #PF error code bits P and W/R

// Memory-destination forms with [rsi] (ModRM 06 / 0E / 16 ...), all read-modify-write.
const std::vector<std::vector<uint8_t>> kRmwForms = {
    {0x01, 0x06},             // add [rsi], eax
    {0x11, 0x06},             // adc
    {0x19, 0x06},             // sbb
    {0x48, 0x83, 0x2E, 1},    // sub qword [rsi], 1
    {0x80, 0x36, 0xFF},       // xor byte [rsi], 0xff
    {0xF7, 0x16},             // not
    {0xF7, 0x1E},             // neg
    {0xFE, 0x06},             // inc byte
    {0x48, 0xFF, 0x0E},       // dec qword
    {0x0F, 0xAB, 0x06},       // bts [rsi], eax
    {0x0F, 0xBA, 0x36, 0},    // btr [rsi], 0
    {0x0F, 0xB1, 0x06},       // cmpxchg
    {0x0F, 0xC7, 0x0E},       // cmpxchg8b
    {0x0F, 0xC1, 0x06},       // xadd
    {0x87, 0x06},             // xchg
    {0xD1, 0x26},             // shl [rsi], 1
    {0xD3, 0x3E},             // sar [rsi], cl
    {0xC1, 0x06, 3},          // rol [rsi], 3
    {0x0F, 0xA5, 0x06},       // shld [rsi], eax, cl
    {0xF0, 0x0F, 0xC1, 0x06}, // lock xadd
};

// Forms that only read their memory operand.
const std::vector<std::vector<uint8_t>> kReadForms = {
    {0x39, 0x06},       // cmp [rsi], eax
    {0x85, 0x06},       // test [rsi], eax
    {0x0F, 0xA3, 0x06}, // bt [rsi], eax
    {0x8B, 0x06},       // mov eax, [rsi]
};

} // namespace

TEST_CASE("A read-modify-write on a not-present page is a write fault (W/R = 1)") {
    for (const auto& form : kRmwForms) {
        AluRig m;
        m.reg(RSI) = AluRig::kNotPresent, m.reg(RAX) = 3, m.reg(RCX) = 1;
        INFO("form " << std::hex << int(form[0]) << " " << int(form[1]));
        REQUIRE(m.exec(form) == PF);
        CHECK(m.pushed_error_code() == kPfWrite);
        CHECK(m.s().cr2 == AluRig::kNotPresent);
    }
}

TEST_CASE("A read-only access on a not-present page stays a read fault (W/R = 0)") {
    for (const auto& form : kReadForms) {
        AluRig m;
        m.reg(RSI) = AluRig::kNotPresent, m.reg(RAX) = 3;
        INFO("form " << std::hex << int(form[0]) << " " << int(form[1]));
        REQUIRE(m.exec(form) == PF);
        CHECK(m.pushed_error_code() == 0);
    }
}

// A shift or rotate by 0 still accesses its destination for writing, so a read-only page
// faults; Bochs agrees. (Coverage: hvlab already faulted here before read_mem_rmw.)
TEST_CASE("A memory shift by 0 on a read-only page is a write fault") {
    AluRig m;
    m.reg(RSI) = AluRig::kReadOnly, m.reg(RCX) = 0;
    REQUIRE(m.exec({0xD3, 0x26}) == PF); // shl dword [rsi], cl with CL = 0
    CHECK(m.pushed_error_code() == (kPfPresent | kPfWrite));
}

// The write check also covers the second page of a split operand before anything is read.
TEST_CASE("A read-modify-write straddling into a not-present page faults on that page as a write") {
    AluRig m;
    // Make the 2 MiB below the not-present region writable (the rig maps it read-only).
    m.poke_val<uint64_t>(CpuFixture::kPd + 8 * (AluRig::kReadOnly >> 21), AluRig::kReadOnly | 0x87);
    m.cpu.invalidate_caches();
    m.poke_val<uint16_t>(AluRig::kNotPresent - 2, 0x1234);
    m.reg(RSI) = AluRig::kNotPresent - 2, m.reg(RAX) = 1;
    REQUIRE(m.exec({0x01, 0x06}) == PF); // add [rsi], eax over the boundary
    CHECK(m.pushed_error_code() == kPfWrite);
    CHECK(m.s().cr2 == AluRig::kNotPresent);
    CHECK(m.peek_val<uint16_t>(AluRig::kNotPresent - 2) == 0x1234);
}
