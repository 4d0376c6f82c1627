// One row of the opcode map: an opcode form, its mnemonic, its operands in the notation of the
// SDM opcode tables, and the handler that executes it. Every exec_*.cpp file owns a table of
// these rows for its instruction class (cpu/README.md says how to add one).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2D, "Opcode Map" (operand codes: "Codes for
// Addressing Method" and "Codes for Operand Type").
#pragma once
#include "cpu/decoded_insn.hpp"

#include <cstdint>
#include <span>

namespace hvlab::cpu {

// Which opcode map the opcode byte belongs to.
enum class Map : uint8_t { One, Two, Three38, Three3A, Vex0F, Vex0F38, Vex0F3A, Count };

// Mandatory prefix of the form. `Any`: 66/F2/F3 are ordinary prefixes (66 = operand size,
// F2/F3 = REP or ignored). `NP`: valid only with none of 66/F2/F3 (SSE "NP" forms).
// P66/F3/F2: the prefix selects this form (and 66 then does not change the operand size).
// For VEX forms the prefix is VEX.pp.
enum class Pfx : uint8_t { Any, NP, P66, F3, F2 };

// Which ModRM values select the row: any, /digit (reg field), /digit with mod!=3 or mod==3,
// one exact ModRM byte, memory-only or register-only.
struct Ext {
    uint16_t v = 0;
    static constexpr uint16_t kSlash = 0x100, kSlashMem = 0x200, kSlashReg = 0x300,
                              kModrm = 0x400, kMem = 0x500, kReg = 0x600;
    constexpr uint16_t kind() const { return v & 0xF00; }
    constexpr uint8_t value() const { return v & 0xFF; }
};
inline constexpr Ext kAnyExt{0};
constexpr Ext slash(unsigned n) { return Ext{uint16_t(Ext::kSlash | n)}; }        // /n
constexpr Ext slash_mem(unsigned n) { return Ext{uint16_t(Ext::kSlashMem | n)}; } // /n, mod!=3
constexpr Ext slash_reg(unsigned n) { return Ext{uint16_t(Ext::kSlashReg | n)}; } // /n, mod==3
constexpr Ext modrm_is(unsigned b) { return Ext{uint16_t(Ext::kModrm | b)}; }    // e.g. 0F 01 D0
inline constexpr Ext kMemOnly{Ext::kMem};
inline constexpr Ext kRegOnly{Ext::kReg};

// Row flags.
namespace rowf {
inline constexpr uint32_t Lock = 1u << 0;    // LOCK allowed (with a memory destination)
inline constexpr uint32_t Def64 = 1u << 1;   // 64-bit mode: operand size 64 by default (66 -> 16)
inline constexpr uint32_t Force64 = 1u << 2; // 64-bit mode: operand size always 64 (near branches)
inline constexpr uint32_t Inv64 = 1u << 3;   // #UD in 64-bit mode
inline constexpr uint32_t Only64 = 1u << 4;  // #UD outside 64-bit mode
inline constexpr uint32_t PlusR = 1u << 5;   // opcode+r: the row covers 8 opcodes, reg in bits 2:0
inline constexpr uint32_t Byte = 1u << 6;    // byte operation even if no operand says so
inline constexpr uint32_t VexL0 = 1u << 7;   // VEX.L must be 0
inline constexpr uint32_t Size32 = 1u << 8;  // operand size 32 unless REX.W/VEX.W (66 ignored)
inline constexpr uint32_t PlusCC = 1u << 9;  // opcode+cc: the row covers 16 opcodes (Jcc, SETcc..)
inline constexpr uint32_t ModReg = 1u << 10; // ModRM.mod is ignored, always a register (MOV CR/DR)
} // namespace rowf

struct OpcodeRow {
    Map map;
    uint8_t op;
    Pfx pfx;
    Ext ext;
    const char* mnemonic; // lower case, as Capstone spells it
    const char* operands; // SDM notation: "Eb,Gb", "rAX,Iz", "Jz", "" ...
    uint32_t flags;
    Handler handler;
};

// The row tables of each instruction class (defined in cpu/exec_*.cpp). opcode_map.cpp lists
// them; a new class adds its function here and one line there.
std::span<const OpcodeRow> alu_rows();
std::span<const OpcodeRow> mov_rows();
std::span<const OpcodeRow> stack_rows();
std::span<const OpcodeRow> branch_rows();
std::span<const OpcodeRow> shift_rows();
std::span<const OpcodeRow> muldiv_rows();
std::span<const OpcodeRow> bit_rows();
std::span<const OpcodeRow> string_rows();
std::span<const OpcodeRow> misc_rows();
std::span<const OpcodeRow> system_rows();
std::span<const OpcodeRow> atomic_rows();
std::span<const OpcodeRow> io_rows();
std::span<const OpcodeRow> legacy_rows(); // BCD, BOUND, ARPL (outside 64-bit mode)
std::span<const OpcodeRow> sse_rows(); // SSE/SSE2 (cpu/exec_sse_*.cpp)
std::span<const OpcodeRow> x87_rows(); // x87 control state, FXSAVE/FXRSTOR
std::span<const OpcodeRow> bmi_rows(); // BMI1/BMI2, ADX
std::span<const OpcodeRow> vmx_rows(); // VMX instructions (cpu/exec_vmx.cpp)

} // namespace hvlab::cpu
