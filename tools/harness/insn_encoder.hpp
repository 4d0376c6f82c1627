// A small x86 instruction encoder for the generator: legacy prefixes, REX or VEX, opcode,
// ModRM/SIB/displacement and immediate (SDM Vol. 2, Instruction Format). It encodes what it is
// told; choosing legal combinations is the generator's job (and illegal ones are welcome: both
// emulators must then agree on the fault).
#pragma once
#include "tools/harness/arch_state.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::tools {

struct MemOperand {
    int base = -1;  // GPR number, or -1 for none
    int index = -1; // GPR number (not 4 = none), or -1
    unsigned scale = 1;
    int32_t disp = 0;
    bool rip_relative = false; // 64-bit mode only
};

// The ModRM.rm operand: a register or memory.
struct RmOperand {
    bool is_mem = false;
    uint8_t reg = 0;
    MemOperand mem;
};

struct VexPrefix {
    uint8_t map = 1; // 1 = 0F, 2 = 0F38, 3 = 0F3A
    uint8_t pp = 0;  // 0 none, 1 = 66, 2 = F3, 3 = F2
    bool w = false, l = false;
    uint8_t vvvv = 0; // register number (encoded inverted)
};

struct InsnSpec {
    std::vector<uint8_t> prefixes; // legacy prefixes in the order given
    bool rex_w = false;
    bool force_rex = false; // emit a REX even when no bit is needed (SPL..DIL, redundant REX)
    bool use_vex = false;
    VexPrefix vex;
    std::vector<uint8_t> opcode; // without VEX: full bytes incl. 0F/0F38; with VEX: the last byte
    bool has_modrm = true;
    uint8_t reg = 0; // ModRM.reg: a register number or an opcode extension (/digit)
    RmOperand rm;
    std::vector<uint8_t> imm; // little-endian immediate/relative bytes, appended last
};

std::vector<uint8_t> encode(const InsnSpec& spec, Mode mode);

// Little-endian bytes of the low `size` bytes of v.
std::vector<uint8_t> le_bytes(uint64_t v, unsigned size);

} // namespace hvlab::tools
