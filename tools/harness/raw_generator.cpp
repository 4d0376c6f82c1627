#include "tools/harness/raw_generator.hpp"

#include "tools/harness/flag_rules.hpp"
#include "tools/harness/insn_filter.hpp"

#include <vector>

namespace hvlab::tools {

namespace {

std::vector<uint8_t> random_bytes(StreamBuilder& b) {
    Rng& rng = b.rng();
    static const uint8_t kPrefixes[] = {0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65};
    std::vector<uint8_t> out;
    const unsigned n_prefix = rng.chance(40) ? static_cast<unsigned>(rng.below(4)) : 0;
    for (unsigned i = 0; i < n_prefix; ++i) out.push_back(rng.pick(kPrefixes));
    if (b.long64() && rng.chance(30)) out.push_back(static_cast<uint8_t>(0x40 + rng.below(16)));
    const unsigned map = static_cast<unsigned>(rng.below(100));
    if (map >= 45) out.push_back(0x0F);
    if (map >= 75) out.push_back(map >= 88 ? 0x3A : 0x38);
    while (out.size() < 15) out.push_back(static_cast<uint8_t>(rng.next()));
    return out;
}

// Points a memory operand [base + index*scale + disp] at the data region by setting its base
// (and zeroing its index), unless it uses RIP, RSP or a segment with a non-zero base.
void aim_memory_operand(StreamBuilder& b, const cs_insn& insn) {
    const cs_x86& x = insn.detail->x86;
    for (unsigned i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type != X86_OP_MEM) continue;
        if (op.mem.segment == X86_REG_FS || op.mem.segment == X86_REG_GS) return;
        const int base = capstone_gpr(op.mem.base);
        const int index = capstone_gpr(op.mem.index);
        if (base < 0 || base == 4 || index == 4 || base == index) return;
        if (index >= 0) b.set_reg(static_cast<unsigned>(index), 0);
        uint64_t v = b.data_address(16, 1) - static_cast<uint64_t>(op.mem.disp);
        if (!b.long64() || x.addr_size == 4) v &= 0xFFFF'FFFF;
        if (x.addr_size == 2) return; // 16-bit addressing: leave it to chance
        b.set_reg(static_cast<unsigned>(base), v);
        return;
    }
}

} // namespace

void emit_raw_insn(StreamBuilder& b, Disassembler& dis, const HvlabFeatures& features) {
    for (int tries = 0; tries < 64; ++tries) {
        std::vector<uint8_t> bytes = random_bytes(b);
        const cs_insn* insn = dis.decode(bytes.data(), bytes.size(), 0);
        if (!insn) {
            b.emit(bytes); // unknown to Capstone: both sides must still agree (mostly #UD)
            return;
        }
        if (not_comparable_reason(*insn) || features.missing_for(*insn, b.long64())) continue;
        bytes.resize(insn->size);
        if (b.rng().chance(70)) aim_memory_operand(b, *insn);
        b.emit(bytes);
        return;
    }
}

} // namespace hvlab::tools
