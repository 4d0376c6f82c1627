// Decoder: lengths, mnemonics, prefixes, REX, modes, #UD encodings, the 15-byte limit.
#include "cpu/decode_info.hpp"
#include "cpu/decoder.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace hvlab::cpu;
using Status = DecodeInfo::Status;

namespace {

DecodeInfo dec(std::vector<uint8_t> b, CpuMode m = CpuMode::Long64) {
    return decode_info(b.data(), b.size(), m);
}

DecodedInsn full(std::vector<uint8_t> b, CpuMode m = CpuMode::Long64) {
    DecodedInsn d;
    REQUIRE(decode(b.data(), b.size(), m, d) == Status::Ok);
    return d;
}

} // namespace

TEST_CASE("decoder: lengths of common 64-bit forms", "[decoder]") {
    struct Case {
        std::vector<uint8_t> bytes;
        unsigned length;
        const char* mnemonic;
    };
    const Case cases[] = {
        {{0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00}, 7, "mov"},                   // rip-relative
        {{0x64, 0x8b, 0x84, 0x8b, 0x78, 0x56, 0x34, 0x12}, 8, "mov"},             // fs:, SIB, disp32
        {{0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, 10, "mov"}, // moffs64
        {{0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, 10, "mov"}, // imm64
        {{0x4f, 0x8d, 0x64, 0xf5, 0x00}, 5, "lea"},                               // r13 base needs disp8
        {{0x66, 0x81, 0x00, 0x34, 0x12}, 5, "add"},                               // Iz is 16 bits
        {{0x48, 0x83, 0x00, 0x12}, 4, "add"},
        {{0xc8, 0x10, 0x00, 0x02}, 4, "enter"},
        {{0x69, 0x03, 0x00, 0x10, 0x00, 0x00}, 6, "imul"},
        {{0xe9, 0xfb, 0x00, 0x00, 0x00}, 5, "jmp"},
        {{0x66, 0xe9, 0xfb, 0x00, 0x00, 0x00}, 6, "jmp"}, // 64-bit mode: rel32 even with 66
        {{0x0f, 0x84, 0xfa, 0x00, 0x00, 0x00}, 6, "je"},
        {{0x75, 0xee}, 2, "jne"},
        {{0x0f, 0x45, 0xc1}, 3, "cmovne"},
        {{0x0f, 0x94, 0xc0}, 3, "sete"},
        {{0x0f, 0xa4, 0xd8, 0x05}, 4, "shld"},
        {{0x0f, 0xa0}, 2, "push"},
        {{0xc2, 0x08, 0x00}, 3, "ret"},
        {{0xf3, 0x0f, 0x1e, 0xfa}, 4, "endbr64"},
        {{0xf3, 0x90}, 2, "pause"},
        {{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, "nop"},
        {{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}, 10, "nop"},
        {{0x48, 0x63, 0xc7}, 3, "movsxd"},
        {{0x0f, 0x38, 0xf0, 0x07}, 4, "movbe"},
    };
    for (const auto& c : cases) {
        const DecodeInfo i = dec(c.bytes);
        INFO("first byte " << int(c.bytes[0]) << " expected " << c.mnemonic);
        CHECK(i.status == Status::Ok);
        CHECK(i.length == c.length);
        CHECK(std::string(i.mnemonic) == c.mnemonic);
    }
}

TEST_CASE("decoder: operand and address size rules per mode", "[decoder]") {
    CHECK(full({0x01, 0xd8}).opsize == 4);
    CHECK(full({0x48, 0x01, 0xd8}).opsize == 8);
    CHECK(full({0x66, 0x01, 0xd8}).opsize == 2);
    CHECK(full({0x66, 0x48, 0x01, 0xd8}).opsize == 8); // REX.W wins over 66
    CHECK(full({0x50}).opsize == 8);                   // PUSH defaults to 64
    CHECK(full({0x66, 0x50}).opsize == 2);
    CHECK(full({0xe8, 0, 0, 0, 0}).opsize == 8);       // near CALL forced to 64
    CHECK(full({0x8b, 0x00}).addrsize == 8);
    CHECK(full({0x67, 0x8b, 0x00}).addrsize == 4);
    CHECK(full({0x01, 0xd8}, CpuMode::Protected32).opsize == 4);
    CHECK(full({0x66, 0x01, 0xd8}, CpuMode::Protected32).opsize == 2);
    CHECK(full({0x01, 0xd8}, CpuMode::Protected16).opsize == 2);
    CHECK(full({0x66, 0x01, 0xd8}, CpuMode::Protected16).opsize == 4);
    CHECK(full({0x8b, 0x00}, CpuMode::Compat32).addrsize == 4);
    CHECK(full({0x67, 0x8b, 0x00}, CpuMode::Compat32).addrsize == 2);
    // 16-bit addressing: [bx+si+disp8]
    const DecodedInsn d = full({0x67, 0x66, 0x8b, 0x40, 0x10}, CpuMode::Protected32);
    CHECK(d.length == 5);
    CHECK(d.base == RBX);
    CHECK(d.index == RSI);
    CHECK(d.disp == 0x10);
    // [bp+di] defaults to SS
    CHECK(full({0x67, 0x8b, 0x03}, CpuMode::Protected32).seg == SS);
    CHECK(full({0x8b, 0x45, 0x00}).seg == SS); // [rbp+0]
    CHECK(full({0x8b, 0x04, 0x24}).seg == SS); // [rsp]
    CHECK(full({0x64, 0x8b, 0x04, 0x24}).seg == FS);
    CHECK(full({0x36, 0x8b, 0x00}).seg == DS); // SS override ignored in 64-bit mode
    CHECK(full({0x36, 0x8b, 0x00}, CpuMode::Protected32).seg == SS);
}

TEST_CASE("decoder: REX and byte registers", "[decoder]") {
    // mov ah, bh (no REX): reg=7 (BH), rm=4 (AH)
    DecodedInsn d = full({0x88, 0xfc});
    CHECK(d.rex == 0);
    CHECK(d.reg == 7);
    CHECK(d.rm == 4);
    d = full({0x40, 0x88, 0xfc}); // mov spl, dil
    CHECK(d.rex == 0x40);
    // REX followed by a legacy prefix is ignored
    d = full({0x48, 0x66, 0x01, 0xd8});
    CHECK(d.rex == 0);
    CHECK(d.opsize == 2);
    // REX.X=1 with index 100 selects r12 as index
    d = full({0x4a, 0x8b, 0x04, 0x20});
    CHECK(d.index == R12);
    d = full({0x48, 0x8b, 0x04, 0x20});
    CHECK(d.index == kNoReg);
    // mod=00, base=101 in SIB: disp32, no base
    d = full({0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00});
    CHECK(d.base == kNoReg);
    CHECK(d.disp == 0x1000);
    // RIP-relative only in 64-bit mode
    CHECK(full({0x8b, 0x05, 0, 0, 0, 0}).base == kRipBase);
    CHECK(full({0x8b, 0x05, 0, 0, 0, 0}, CpuMode::Protected32).base == kNoReg);
    // 40..4F are INC/DEC outside 64-bit mode
    CHECK(std::string(dec({0x40}, CpuMode::Protected32).mnemonic) == "inc");
    CHECK(dec({0x40}, CpuMode::Long64).status == Status::Truncated);
}

TEST_CASE("decoder: undefined encodings are #UD", "[decoder][negative]") {
    CHECK(dec({0x0f, 0x0b}).status == Status::Ok); // UD2 decodes; it raises #UD when executed
    CHECK(dec({0x06}).status == Status::Undefined);         // PUSH ES in 64-bit mode
    CHECK(dec({0x06}, CpuMode::Protected32).status == Status::Ok);
    CHECK(dec({0xea, 0, 0, 0, 0, 0, 0}).status == Status::Undefined); // far JMP ptr in 64-bit
    CHECK(dec({0xd4, 0x0a}).status == Status::Undefined);   // AAM in 64-bit mode
    CHECK(std::string(dec({0x63, 0xc0}, CpuMode::Protected32).mnemonic) == "arpl");
    CHECK(dec({0x8d, 0xc0}).status == Status::Undefined);       // LEA with a register
    CHECK(dec({0x8c, 0xf0}).status == Status::Undefined);       // MOV r/m, sreg 6
    CHECK(dec({0x8e, 0xc8}).status == Status::Undefined);       // MOV CS, r/m
    CHECK(dec({0xff, 0xd8}).status == Status::Undefined);       // far CALL with a register
    CHECK(dec({0x0f, 0x04}).status == Status::Undefined);
    CHECK(dec({0xc6, 0xc8, 0x00}).status == Status::Undefined); // C6 /1
}

TEST_CASE("decoder: LOCK is allowed only on memory read-modify-write forms", "[decoder][negative]") {
    CHECK(dec({0xf0, 0x01, 0x00}).status == Status::Ok);        // lock add [rax], eax
    CHECK(dec({0xf0, 0x01, 0xc0}).status == Status::Undefined); // lock add eax, eax
    CHECK(dec({0xf0, 0x39, 0x00}).status == Status::Undefined); // lock cmp
    CHECK(dec({0xf0, 0x8b, 0x00}).status == Status::Undefined); // lock mov
    CHECK(dec({0xf0, 0x90}).status == Status::Undefined);       // lock nop
    CHECK(dec({0xf0, 0x87, 0x00}).status == Status::Ok);        // lock xchg [rax], eax
}

TEST_CASE("decoder: the 15-byte limit", "[decoder][negative]") {
    // 14 prefixes + NOP = 15 bytes: fine.
    std::vector<uint8_t> ok(14, 0x66);
    ok.push_back(0x90);
    CHECK(dec(ok).status == Status::Ok);
    CHECK(dec(ok).length == 15);
    // 15 prefixes + NOP = 16 bytes: #GP.
    std::vector<uint8_t> bad(15, 0x66);
    bad.push_back(0x90);
    CHECK(dec(bad).status == Status::TooLong);
    // A long instruction whose immediate crosses the limit.
    std::vector<uint8_t> imm(6, 0x2e);
    for (uint8_t b : {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}) imm.push_back(b);
    CHECK(dec(imm).status == Status::TooLong);
    // Truncated when the bytes end early.
    CHECK(dec({0x48, 0xb8, 1, 2}).status == Status::Truncated);
}
