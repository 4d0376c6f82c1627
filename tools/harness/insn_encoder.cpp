// SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081), "Instruction Format" and "Addressing-Mode
// Encoding of ModR/M and SIB Bytes" give the tables this follows.
#include "tools/harness/insn_encoder.hpp"

namespace hvlab::tools {

std::vector<uint8_t> le_bytes(uint64_t v, unsigned size) {
    std::vector<uint8_t> out;
    for (unsigned i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return out;
}

static bool fits_i8(int32_t v) { return v >= -128 && v <= 127; }

static unsigned scale_bits(unsigned scale) {
    return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
}

// ModRM (+ SIB + displacement) for the rm operand, given the reg field.
static void emit_modrm(std::vector<uint8_t>& out, uint8_t reg, const RmOperand& rm, Mode mode) {
    const uint8_t r = (reg & 7) << 3;
    if (!rm.is_mem) {
        out.push_back(0xC0 | r | (rm.reg & 7));
        return;
    }
    const MemOperand& m = rm.mem;
    if (m.rip_relative || (m.base < 0 && m.index < 0 && mode == Mode::Protected32)) {
        // mod=00 rm=101: RIP+disp32 in 64-bit mode, disp32 alone in 32-bit mode.
        out.push_back(r | 5);
        for (uint8_t b : le_bytes(static_cast<uint32_t>(m.disp), 4)) out.push_back(b);
        return;
    }
    const bool need_sib = m.index >= 0 || m.base < 0 || (m.base & 7) == 4;
    unsigned mod;
    if (m.base < 0) mod = 0; // SIB base=101 with mod=00: disp32, no base
    else if (m.disp == 0 && (m.base & 7) != 5) mod = 0;
    else if (fits_i8(m.disp)) mod = 1;
    else mod = 2;
    out.push_back(static_cast<uint8_t>(mod << 6) | r | (need_sib ? 4 : (m.base & 7)));
    if (need_sib) {
        const uint8_t index = m.index >= 0 ? (m.index & 7) : 4;
        const uint8_t base = m.base >= 0 ? (m.base & 7) : 5;
        out.push_back(static_cast<uint8_t>(scale_bits(m.scale) << 6) | (index << 3) | base);
    }
    const unsigned disp_size = m.base < 0 ? 4 : mod == 1 ? 1 : mod == 2 ? 4 : 0;
    for (uint8_t b : le_bytes(static_cast<uint32_t>(m.disp), disp_size)) out.push_back(b);
}

// REX.R/X/B bits (also the inverted R/X/B of VEX).
static uint8_t rex_rxb(const InsnSpec& s) {
    uint8_t rxb = 0;
    if (s.has_modrm && (s.reg & 8)) rxb |= 4;
    if (s.rm.is_mem) {
        if (s.rm.mem.index >= 0 && (s.rm.mem.index & 8)) rxb |= 2;
        if (s.rm.mem.base >= 0 && (s.rm.mem.base & 8)) rxb |= 1;
    } else if (s.rm.reg & 8) {
        rxb |= 1;
    }
    return rxb;
}

std::vector<uint8_t> encode(const InsnSpec& s, Mode mode) {
    std::vector<uint8_t> out(s.prefixes);
    const uint8_t rxb = mode == Mode::Long64 ? rex_rxb(s) : 0;
    if (s.use_vex) {
        out.push_back(0xC4);
        out.push_back(static_cast<uint8_t>(((~rxb & 7) << 5) | s.vex.map));
        out.push_back(static_cast<uint8_t>((s.vex.w ? 0x80 : 0) | ((~s.vex.vvvv & 15) << 3) |
                                           (s.vex.l ? 4 : 0) | s.vex.pp));
    } else if (mode == Mode::Long64 && (s.rex_w || rxb || s.force_rex)) {
        out.push_back(static_cast<uint8_t>(0x40 | (s.rex_w ? 8 : 0) | rxb));
    }
    out.insert(out.end(), s.opcode.begin(), s.opcode.end());
    if (s.has_modrm) emit_modrm(out, s.reg, s.rm, mode);
    out.insert(out.end(), s.imm.begin(), s.imm.end());
    return out;
}

} // namespace hvlab::tools
