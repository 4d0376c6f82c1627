// The generator's encoder is itself checked against Capstone: a wrong ModRM/SIB/REX/VEX
// encoding would silently test something other than what a template says.
#include "tools/harness/disassembler.hpp"
#include "tools/harness/insn_encoder.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace hvlab::tools;

namespace {

std::string disasm(Mode mode, const InsnSpec& s) {
    Disassembler d(mode);
    const std::vector<uint8_t> bytes = encode(s, mode);
    const cs_insn* insn = d.decode(bytes.data(), bytes.size(), 0);
    REQUIRE(insn != nullptr);
    CHECK(insn->size == bytes.size());
    return d.text(insn);
}

InsnSpec modrm(std::vector<uint8_t> opcode, uint8_t reg, RmOperand rm) {
    InsnSpec s;
    s.opcode = std::move(opcode);
    s.reg = reg;
    s.rm = rm;
    return s;
}

RmOperand mem(int base, int index, unsigned scale, int32_t disp) {
    RmOperand rm;
    rm.is_mem = true;
    rm.mem = MemOperand{base, index, scale, disp, false};
    return rm;
}

} // namespace

TEST_CASE("encoder: register and memory forms with REX", "[difftest][encoder]") {
    InsnSpec s = modrm({0x01}, 10, RmOperand{false, 3, {}});
    s.rex_w = true;
    CHECK(disasm(Mode::Long64, s) == "add rbx, r10");
    s = modrm({0x8B}, 0, mem(12, -1, 1, 0)); // r12 as base needs a SIB byte
    CHECK(disasm(Mode::Long64, s) == "mov eax, dword ptr [r12]");
    s = modrm({0x8B}, 0, mem(13, -1, 1, 0)); // r13 as base needs a displacement
    CHECK(disasm(Mode::Long64, s) == "mov eax, dword ptr [r13]");
    s = modrm({0x8B}, 15, mem(5, 9, 8, -0x80));
    s.rex_w = true;
    CHECK(disasm(Mode::Long64, s) == "mov r15, qword ptr [rbp + r9*8 - 0x80]");
    s = modrm({0x8B}, 1, mem(-1, -1, 1, 0x410000));
    CHECK(disasm(Mode::Long64, s) == "mov ecx, dword ptr [0x410000]");
    CHECK(disasm(Mode::Protected32, s) == "mov ecx, dword ptr [0x410000]");
}

TEST_CASE("encoder: byte registers with and without REX", "[difftest][encoder]") {
    InsnSpec s = modrm({0x88}, 4, RmOperand{false, 6, {}});
    CHECK(disasm(Mode::Long64, s) == "mov dh, ah");
    s.force_rex = true;
    CHECK(disasm(Mode::Long64, s) == "mov sil, spl");
}

TEST_CASE("encoder: VEX-encoded BMI forms", "[difftest][encoder]") {
    InsnSpec s = modrm({0xF2}, 1, RmOperand{false, 9, {}});
    s.use_vex = true;
    s.vex = VexPrefix{2, 0, true, false, 3};
    CHECK(disasm(Mode::Long64, s) == "andn rcx, rbx, r9");
    s = modrm({0xF7}, 2, RmOperand{false, 7, {}});
    s.use_vex = true;
    s.vex = VexPrefix{2, 3, false, false, 1}; // shrx edx, edi, ecx
    CHECK(disasm(Mode::Protected32, s) == "shrx edx, edi, ecx");
}
