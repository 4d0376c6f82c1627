#include "ui/gui/disassembler.hpp"

#include <capstone/capstone.h>
#include <cstring>
#include <stdexcept>

namespace hvlab::gui {

Disassembler::Disassembler() {
    const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
    for (int i = 0; i < 3; ++i) {
        csh h = 0;
        if (cs_open(CS_ARCH_X86, modes[i], &h) != CS_ERR_OK)
            throw std::runtime_error("capstone: cannot open an x86 handle");
        handles_[i] = h;
    }
}

Disassembler::~Disassembler() {
    for (size_t& h : handles_) {
        csh c = h;
        cs_close(&c);
    }
}

size_t Disassembler::handle_for(cpu::CpuMode mode) const {
    switch (mode) {
    case cpu::CpuMode::Long64: return handles_[2];
    case cpu::CpuMode::Protected32:
    case cpu::CpuMode::Compat32: return handles_[1];
    default: return handles_[0];
    }
}

DisasmLine Disassembler::decode(const CodeReader& read, uint64_t linear, cpu::CpuMode mode) const {
    DisasmLine line;
    line.address = linear;
    // Read as much of the 15-byte maximum as is mapped (code may end at an unmapped page).
    unsigned avail = 15;
    while (avail && !read(linear, line.bytes.data(), avail))
        --avail;
    if (!avail) {
        line.text = "(unreadable)";
        return line;
    }
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(handle_for(mode), line.bytes.data(), avail, linear, 1, &insn);
    if (n == 0) {
        line.length = 1;
        line.text = "(bad)";
        return line;
    }
    line.length = static_cast<uint8_t>(insn[0].size);
    line.text = insn[0].mnemonic;
    if (insn[0].op_str[0]) line.text += std::string(" ") + insn[0].op_str;
    line.is_call = insn[0].id == X86_INS_CALL || insn[0].id == X86_INS_LCALL;
    cs_free(insn, n);
    return line;
}

std::vector<DisasmLine> Disassembler::around(const CodeReader& read, uint64_t center,
                                             cpu::CpuMode mode, unsigned before,
                                             unsigned after) const {
    // x86 cannot be decoded backwards: try start points further and further back and keep
    // the first that lands exactly on `center` with `before` instructions on the way.
    std::vector<DisasmLine> lines;
    for (uint64_t back = 8ull * before; back > 0 && lines.empty(); --back) {
        if (back > center) continue;
        std::vector<DisasmLine> trial;
        uint64_t a = center - back;
        while (a < center) {
            DisasmLine l = decode(read, a, mode);
            if (l.length == 0 || l.text == "(bad)") break;
            a += l.length;
            trial.push_back(std::move(l));
        }
        if (a == center && trial.size() >= before) {
            trial.erase(trial.begin(), trial.end() - before);
            lines = std::move(trial);
        }
    }
    uint64_t a = center;
    for (unsigned i = 0; i < after; ++i) {
        DisasmLine l = decode(read, a, mode);
        a += l.length ? l.length : 1;
        lines.push_back(std::move(l));
    }
    return lines;
}

} // namespace hvlab::gui
