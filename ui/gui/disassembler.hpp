// Capstone disassembly of guest code for the inspector, in the CPU's current mode.
#pragma once
#include "cpu/cpu_state.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hvlab::gui {

struct DisasmLine {
    uint64_t address = 0; // linear address of the first byte
    uint8_t length = 0;   // 0: the bytes could not be read or decoded
    std::array<uint8_t, 16> bytes{};
    std::string text; // "mov rax, qword ptr [rbp - 8]" or "(unreadable)"
    bool is_call = false;
};

// Reads guest bytes for the disassembler; false if unmapped (no side effects allowed).
using CodeReader = std::function<bool(uint64_t linear, uint8_t* dst, unsigned size)>;

class Disassembler {
  public:
    Disassembler();
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // One instruction at `linear`.
    DisasmLine decode(const CodeReader& read, uint64_t linear, cpu::CpuMode mode) const;
    // `before` instructions before `center` (found by re-synchronising on it from up to
    // 8 * before bytes earlier) and `after` instructions from it.
    std::vector<DisasmLine> around(const CodeReader& read, uint64_t center, cpu::CpuMode mode,
                                   unsigned before, unsigned after) const;

  private:
    size_t handle_for(cpu::CpuMode mode) const;
    std::array<size_t, 3> handles_{}; // csh for 16-, 32- and 64-bit code
};

} // namespace hvlab::gui
