// One generated instruction stream: the code bytes, the initial memory of the data and stack
// regions, and the initial registers. Both emulators start every stream from this state.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::tools {

// A field to patch once the stream is laid out and every instruction's address is known.
struct Fixup {
    enum class Kind : uint8_t {
        None,
        Rel,     // target instruction address - next RIP (branches)
        Abs,     // absolute address of the target instruction (push imm; ret / jmp reg)
        RipData, // data address - next RIP (RIP-relative memory operand)
    };
    Kind kind = Kind::None;
    unsigned offset = 0; // byte offset of the field inside the instruction
    unsigned size = 0;   // 1, 4 or 8 bytes
    unsigned skip = 0;   // Rel/Abs: target = instruction (own index + 1 + skip), or the end
    uint64_t data = 0;   // RipData: the data address to reach
};

struct StreamInsn {
    std::vector<uint8_t> bytes;
    Fixup fixup;
    bool privileged = false; // emitted by a privileged template (see privileged_templates.hpp)
};

// One IN or OUT as seen by an emulator (IN values are what the emulator returned).
struct PortAccess {
    bool out = false;
    uint16_t port = 0;
    uint8_t size = 0;
    uint32_t value = 0;
    bool operator==(const PortAccess&) const = default;
};

struct Stream {
    Mode mode = Mode::Long64;
    ArchState init;
    uint64_t fs_base = 0, gs_base = 0;      // 64-bit mode only
    std::vector<uint8_t> code, data, stack; // full images of the three regions
    uint64_t end_rip = 0;                   // reaching this address on both sides ends the stream
    unsigned insn_count = 0;
    std::string origin; // template names, for reports
    // False if any byte offset of the code starts an encoding that aborts Unicorn
    // (lock_rule.hpp): Unicorn may translate from any offset a branch or a misdecode reaches.
    bool unicorn_safe = true;
    // Addresses of the instructions that privileged templates emitted, ascending. Only there
    // are system instructions compared (one reached by a wild branch or a misdecode is
    // skipped like any other), and a stream with any of them also compares the system
    // registers after every step.
    std::vector<uint64_t> privileged;
    bool is_privileged_at(uint64_t rip) const;
};

inline bool Stream::is_privileged_at(uint64_t rip) const {
    for (uint64_t a : privileged)
        if (a == rip) return true;
    return false;
}

} // namespace hvlab::tools
