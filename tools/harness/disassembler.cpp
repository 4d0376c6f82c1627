#include "tools/harness/disassembler.hpp"

#include <stdexcept>

namespace hvlab::tools {

Disassembler::Disassembler(Mode mode) {
    const cs_mode m = mode == Mode::Long64 ? CS_MODE_64 : CS_MODE_32;
    if (cs_open(CS_ARCH_X86, m, &handle_) != CS_ERR_OK) throw std::runtime_error("cs_open failed");
    cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
    insn_ = cs_malloc(handle_);
}

Disassembler::~Disassembler() {
    if (insn_) cs_free(insn_, 1);
    cs_close(&handle_);
}

const cs_insn* Disassembler::decode(const uint8_t* bytes, size_t avail, uint64_t address) {
    const uint8_t* code = bytes;
    size_t size = avail;
    uint64_t addr = address;
    return cs_disasm_iter(handle_, &code, &size, &addr, insn_) ? insn_ : nullptr;
}

std::string Disassembler::text(const cs_insn* insn) const {
    if (!insn) return "(unknown to Capstone)";
    std::string s = insn->mnemonic;
    if (insn->op_str[0]) s += std::string(" ") + insn->op_str;
    return s;
}

} // namespace hvlab::tools
