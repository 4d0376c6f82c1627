// The part of the architectural state that both emulators expose and the differential
// harness compares after every instruction: GPRs, RIP, RFLAGS and the XMM registers.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::tools {

enum class Mode : uint8_t { Long64, Protected32 };

struct ArchState {
    std::array<uint64_t, 16> gpr{};
    uint64_t rip = 0;
    uint64_t rflags = 2;
    std::array<std::array<uint64_t, 2>, 16> xmm{}; // lo, hi
};

inline unsigned gpr_count(Mode m) { return m == Mode::Long64 ? 16 : 8; }
const char* gpr_name(unsigned index);

// RFLAGS bits the harness compares: the status flags plus the system flags that an
// instruction at CPL 0 can change (TF, IF, DF, IOPL, NT, AC, ID). RF, VM, VIF and VIP are
// left out: Unicorn does not model RF across single steps and the others stay 0 at CPL 0.
inline constexpr uint64_t kComparedFlags = 0x0000'0000'0024'7FD5ull;

// Human-readable differences between two states, honouring the per-instruction masks:
// `flag_mask` clears RFLAGS bits that are architecturally undefined for the instruction,
// `skip_gpr` (bit per GPR) skips registers whose result is undefined.
std::vector<std::string> diff_states(const ArchState& hv, const ArchState& uc, Mode mode,
                                     uint64_t flag_mask, uint32_t skip_gpr);

std::string format_state(const ArchState& s, Mode mode);

} // namespace hvlab::tools
