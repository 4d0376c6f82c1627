// The interpreter's decoded form of one instruction: what the decoder extracts from the bytes
// (prefixes, ModRM/SIB, displacement, immediates) plus the handler chosen from the opcode map.
// Intel SDM, Dec 2023 (Order 325462-081). Layout: SDM Vol. 2A, "Instruction Format".
#pragma once
#include "cpu/fault.hpp"

#include <cstdint>

namespace hvlab::cpu {

struct Exec;
struct DecodedInsn;
struct OpcodeRow;
// Every instruction handler: executes `d` on the state in `x`; RIP already points at the next
// instruction. Returns kNoFault or the fault; on a fault the run loop restores RIP.
using Handler = Fault (*)(Exec& x, const DecodedInsn& d);

// Sentinel register numbers in DecodedInsn::base / index.
inline constexpr uint8_t kNoReg = 0xFF;
inline constexpr uint8_t kRipBase = 0x10; // RIP-relative (64-bit mode, mod=00 rm=101)

struct DecodedInsn {
    Handler handler = nullptr;
    const OpcodeRow* row = nullptr; // mnemonic and operand kinds, for tools
    uint64_t imm = 0;   // first immediate, sign-extended (Ib/Iz/Jb/Jz), zero-extended (Iw, Iv)
    int64_t disp = 0;   // displacement, or the moffs address (O operands)
    uint16_t imm2 = 0;  // second immediate: ENTER's Ib level, or the selector of a far pointer
    uint8_t length = 0;
    uint8_t opcode = 0;   // the opcode byte (last byte of the opcode)
    uint8_t opsize = 4;   // operand size in bytes: 1, 2, 4 or 8
    uint8_t addrsize = 8; // address size in bytes: 2, 4 or 8
    uint8_t mod = 0, reg = 0, rm = 0; // ModRM fields, reg/rm extended by REX.R / REX.B
    uint8_t base = kNoReg, index = kNoReg, scale = 0; // memory operand (scale is a shift)
    uint8_t seg = 3;      // effective segment of the memory operand (SegReg, DS by default)
    uint8_t rep = 0;      // 0, 0xF3 or 0xF2 (the last of them)
    uint8_t rex = 0;      // the REX byte (0x40..0x4F) or 0 when absent
    uint8_t vvvv = 0;     // VEX.vvvv, already inverted (register number)
    uint8_t vex_l = 0;    // VEX.L
    bool lock = false;
    bool opsize_prefix = false; // a 66 prefix was present
    bool has_modrm = false;

    bool mem() const { return has_modrm && mod != 3; }
};

} // namespace hvlab::cpu
