// The teaching hypervisor's MOV decoder for MMIO emulation (hypervisor/mmio_decode.c), compiled
// into this host test: lengths, access sizes, register numbers and immediates of the encodings
// compilers emit for device registers, and refusal of everything else. Intel SDM, Dec 2023
// (Order 325462-081), Vol. 2, "Instruction Format", "MOV", "MOVZX".
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

extern "C" {
#include "hypervisor/mmio_decode.c"
}

namespace {

struct Decoded {
    int status;
    mmio_insn m;
};

Decoded decode(std::vector<uint8_t> bytes, bool long_mode = true) {
    Decoded d{};
    d.status = mmio_decode(bytes.data(), static_cast<unsigned>(bytes.size()), long_mode, &d.m);
    return d;
}

} // namespace

TEST_CASE("mmio decode: stores of a register") {
    auto d = decode({0x89, 0x02}); // mov %eax,(%rdx)
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 2);
    CHECK(d.m.size == 4);
    CHECK(d.m.is_write);
    CHECK(d.m.reg == 0);

    d = decode({0x41, 0x89, 0x40, 0x10}); // mov %eax,0x10(%r8): REX.B only changes the base
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 4);
    CHECK(d.m.reg == 0);

    d = decode({0x44, 0x89, 0x88, 0x90, 0x03, 0x00, 0x00}); // mov %r9d,0x390(%rax)
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 7);
    CHECK(d.m.reg == 9);

    d = decode({0x66, 0x89, 0x08}); // mov %cx,(%rax)
    REQUIRE(d.status == 0);
    CHECK(d.m.size == 2);
    CHECK(d.m.length == 3);
    CHECK(d.m.reg == 1);

    d = decode({0x48, 0x89, 0x18}); // mov %rbx,(%rax)
    REQUIRE(d.status == 0);
    CHECK(d.m.size == 8);
    CHECK(d.m.reg == 3);
}

TEST_CASE("mmio decode: byte registers, with and without REX") {
    auto d = decode({0x88, 0x20}); // mov %ah,(%rax): no REX, register 4 is AH
    REQUIRE(d.status == 0);
    CHECK(d.m.size == 1);
    CHECK(d.m.reg == 0);
    CHECK(d.m.high_byte);

    d = decode({0x40, 0x88, 0x20}); // mov %spl,(%rax): with REX, register 4 is SPL
    REQUIRE(d.status == 0);
    CHECK(d.m.reg == 4);
    CHECK_FALSE(d.m.high_byte);
}

TEST_CASE("mmio decode: loads, SIB and displacement forms") {
    // mov 0xfee00020,%eax through a SIB byte with no base: disp32
    auto d = decode({0x8b, 0x04, 0x25, 0x20, 0x00, 0xe0, 0xfe});
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 7);
    CHECK_FALSE(d.m.is_write);
    CHECK(d.m.reg == 0);

    d = decode({0x8b, 0x44, 0x24, 0x08}); // mov 0x8(%rsp),%eax: SIB + disp8
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 4);

    d = decode({0x8b, 0x05, 0x00, 0x10, 0x00, 0x00}); // mov 0x1000(%rip),%eax
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 6);

    d = decode({0x0f, 0xb6, 0x00}); // movzbl (%rax),%eax
    REQUIRE(d.status == 0);
    CHECK(d.m.size == 1);
    CHECK(d.m.zero_extend);
    CHECK(d.m.length == 3);
}

TEST_CASE("mmio decode: immediates and moffs") {
    // movl $0x1ff,0xf0(%rax)
    auto d = decode({0xc7, 0x80, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00});
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 10);
    CHECK(d.m.reg == -1);
    CHECK(d.m.imm == 0x1ff);

    d = decode({0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff}); // movq $-1,(%rax): sign-extended
    REQUIRE(d.status == 0);
    CHECK(d.m.imm == ~uint64_t{0});

    d = decode({0xc6, 0x00, 0x7f}); // movb $0x7f,(%rax)
    REQUIRE(d.status == 0);
    CHECK(d.m.size == 1);
    CHECK(d.m.length == 3);

    // movabs 0xfee00030,%eax: 8-byte address in 64-bit mode, 4-byte outside it
    d = decode({0xa1, 0x30, 0x00, 0xe0, 0xfe, 0, 0, 0, 0});
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 9);
    d = decode({0xa1, 0x30, 0x00, 0xe0, 0xfe}, false);
    REQUIRE(d.status == 0);
    CHECK(d.m.length == 5);
}

TEST_CASE("mmio decode: refuses what it cannot emulate") {
    CHECK(decode({0xff, 0x00}).status == -1);             // inc (%rax)
    CHECK(decode({0x89, 0xc0}).status == -1);             // mov %eax,%eax: no memory operand
    CHECK(decode({0x8b, 0x04}).status == -1);             // truncated before the SIB byte
    CHECK(decode({0xc7, 0x00, 0x01, 0x02}).status == -1); // truncated immediate
    CHECK(decode({0xc7, 0x08, 0, 0, 0, 0}).status == -1); // C7 /1 is not MOV
    CHECK(decode({0x66}).status == -1);                   // prefixes only
}
