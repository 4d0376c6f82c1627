// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2, "LOCK—Assert LOCK# Signal Prefix".
#include "tools/harness/lock_rule.hpp"
#include "tools/harness/prefixes.hpp"

namespace hvlab::tools {

namespace {

// The instructions LOCK may prefix (with a memory destination): ADD, ADC, AND, BTC, BTR, BTS,
// CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG.
bool lockable_one_byte(uint8_t op, unsigned digit) {
    if (op < 0x40 && (op & 7) <= 1) return (op >> 3) != 7; // ALU r/m,r except CMP (38/39)
    switch (op) {
    // 82: the 32-bit-mode alias of 80 (opcode map: Grp 1 Eb,Ib, i64; #UD in 64-bit mode anyway)
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: return digit != 7; // not CMP
    case 0xF6:
    case 0xF7: return digit == 2 || digit == 3; // NOT, NEG
    case 0xFE: return digit <= 1;               // INC, DEC
    case 0xFF: return digit <= 1;
    case 0x86:
    case 0x87: return true; // XCHG
    default: return false;
    }
}

bool lockable_two_byte(uint8_t op, unsigned digit) {
    switch (op) {
    case 0xAB:
    case 0xB3:
    case 0xBB: return true;       // BTS, BTR, BTC r/m, r
    case 0xBA: return digit >= 5; // BTS/BTR/BTC r/m, imm8
    case 0xB0:
    case 0xB1:
    case 0xC0:
    case 0xC1: return true;       // CMPXCHG, XADD
    case 0xC7: return digit == 1; // CMPXCHG8B/16B
    default: return false;
    }
}

} // namespace

bool lock_prefix_must_fault(const uint8_t* b, size_t avail, Mode mode) {
    size_t i = 0;
    bool lock = false;
    while (i < avail && is_legacy_prefix(b[i]))
        lock |= b[i++] == 0xF0;
    if (!lock) return false;
    if (i >= 11) return false; // long prefix runs: the 15-byte limit may come first
    while (mode == Mode::Long64 && i < avail && (b[i] & 0xF0) == 0x40)
        ++i; // REX (the last counts)
    if (i + 1 >= avail) return false;
    if (b[i] != 0x0F) {
        const uint8_t op = b[i], modrm = b[i + 1];
        return (modrm >> 6) == 3 || !lockable_one_byte(op, (modrm >> 3) & 7);
    }
    if (i + 2 >= avail) return false;
    const uint8_t op = b[i + 1], modrm = b[i + 2];
    if (op == 0x38 || op == 0x3A) return true; // no lockable instruction in these maps
    return (modrm >> 6) == 3 || !lockable_two_byte(op, (modrm >> 3) & 7);
}

} // namespace hvlab::tools

namespace hvlab::tools {

bool unicorn_aborts_on(const uint8_t* b, size_t avail, Mode mode) {
    size_t i = 0;
    bool lock = false;
    // Unicorn's decoder takes legacy prefixes and REX in any order (U10): observed abort on
    // `F0 44 F2 A7` (LOCK, REX, REPNE, CMPSD), a REX between the prefixes.
    while (i < avail && (is_legacy_prefix(b[i]) || (mode == Mode::Long64 && (b[i] & 0xF0) == 0x40)))
        lock |= b[i++] == 0xF0;
    if (i >= avail) return false;
    const uint8_t op = b[i];
    if (lock && (op == 0xA6 || op == 0xA7)) return true; // CMPS
    if (i + 1 >= avail) return false;
    // FF /3, FF /5 (far CALL/JMP) with a register operand: with or without LOCK.
    if (op == 0xFF && (b[i + 1] >> 6) == 3 &&
        (((b[i + 1] >> 3) & 7) == 3 || ((b[i + 1] >> 3) & 7) == 5))
        return true;
    if (!lock) return false;
    if (op != 0x0F) {
        const uint8_t modrm = b[i + 1];
        const unsigned digit = (modrm >> 3) & 7;
        const bool reg = (modrm >> 6) == 3;
        if ((op == 0x38 || op == 0x39) && !reg) return true;
        return op >= 0x80 && op <= 0x83 && digit == 7 && !reg;
    }
    if (i + 2 >= avail) return false;
    const uint8_t op2 = b[i + 1], modrm = b[i + 2];
    const bool reg = (modrm >> 6) == 3;
    if (op2 == 0xA3 || op2 == 0xAB || op2 == 0xB3 || op2 == 0xBB) return reg;
    return op2 == 0xBA && reg && ((modrm >> 3) & 7) >= 4;
}

} // namespace hvlab::tools
